"""Paginated list responses for APIView classes (HackSoft's get_paginated_response)."""

from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def paginated_response(*, serializer_class, queryset, request, view, prepare=None):
    """One page of `queryset`; `prepare(rows)` may load what the rows need in bulk first."""
    paginator = Pagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    if prepare is not None:
        page = prepare(page)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)
