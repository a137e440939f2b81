"""DRF permission: the API view names its action; `common.scope` decides."""

from rest_framework.permissions import BasePermission

from common.scope import scope_for


def allowed(action: str) -> type[BasePermission]:
    """`permission_classes = [allowed("person.view")]`: authenticated and the role fits."""

    class Allowed(BasePermission):
        def has_permission(self, request, view) -> bool:
            return bool(request.user and request.user.is_authenticated) and scope_for(
                request.user
            ).can(action)

    Allowed.__name__ = f"Allowed[{action}]"
    return Allowed
