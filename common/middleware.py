"""Request-level guards: Chinese error pages for domain errors, no NUL bytes into queries."""

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render

from common.errors import ApplicationError


class ApplicationErrorMiddleware:
    """Turn a domain error raised in an HTML view into a Chinese error page, never a traceback."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, ApplicationError) and not request.path.startswith("/api/"):
            return render(request, "error.html", {"error": exception}, status=exception.status)
        return None


class RejectNulMiddleware:
    """A NUL byte (`%00`) in the path or the query string is never a valid number or filter, and
    PostgreSQL refuses it in any query: answer 404 / 400 here instead of a database error deep in
    a view. (Bodies are covered by the form and serializer fields' own NUL validators.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path:
            return _refusal(request, 404, "NOT_FOUND", "未找到该记录。")
        if any("\x00" in key or "\x00" in value for key, value in _pairs(request.GET)):
            return _refusal(request, 400, "INVALID", "查询条件含有非法字符。")
        return self.get_response(request)


def _refusal(request, status: int, code: str, message: str):
    if request.path.startswith("/api/"):
        return JsonResponse({"code": code, "message": message}, status=status)
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def _pairs(query):
    for key, values in query.lists():
        for value in values:
            yield key, value
