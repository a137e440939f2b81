"""One domain error type, and the DRF handler that turns every error into a clear 4xx/503 body."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler

logger = logging.getLogger(__name__)


class ApplicationError(Exception):
    """A business rule said no. `status` is the HTTP answer an API gives for it."""

    status = status.HTTP_400_BAD_REQUEST
    default_code = "INVALID"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        fields: dict[str, list[str]] | None = None,
        extra: dict | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.fields = fields or {}
        self.extra = extra or {}

    def as_body(self) -> dict:
        body = {"code": self.code, "message": self.message, **self.extra}
        if self.fields:
            body["fields"] = self.fields
        return body


def invalid(field: str, message: str, code: str = "INVALID") -> ApplicationError:
    """A 400 naming the one input that is wrong."""
    return ApplicationError(message, code=code, fields={field: [message]})


def reference_no(value: str, *, field: str, label: str) -> str:
    """A bank voucher or transaction reference as typed: required, printable, at most 64."""
    value = value.strip()
    if not value or len(value) > 64 or not value.isprintable():
        raise invalid(field, f"请填写{label}（不超过64个字符）。")
    return value


class NotAllowed(ApplicationError):
    status = status.HTTP_403_FORBIDDEN
    default_code = "FORBIDDEN"


class NotFound(ApplicationError):
    status = status.HTTP_404_NOT_FOUND
    default_code = "NOT_FOUND"


class Conflict(ApplicationError):
    status = status.HTTP_409_CONFLICT
    default_code = "CONFLICT"


class Unavailable(ApplicationError):
    """The module is suspended or a maintenance window is on; the body carries the notice."""

    status = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "UNAVAILABLE"


_DRF_MESSAGES = {
    exceptions.NotAuthenticated: ("NOT_AUTHENTICATED", "未登录或未提供身份凭证。"),
    exceptions.AuthenticationFailed: ("AUTHENTICATION_FAILED", "身份凭证无效。"),
    exceptions.PermissionDenied: ("FORBIDDEN", "您的角色或所属省份无权办理此业务。"),
    exceptions.NotFound: ("NOT_FOUND", "未找到该记录。"),
    exceptions.MethodNotAllowed: ("METHOD_NOT_ALLOWED", "不支持该请求方法。"),
    exceptions.ParseError: ("MALFORMED", "请求内容格式错误，无法解析。"),
    exceptions.UnsupportedMediaType: ("UNSUPPORTED_MEDIA_TYPE", "不支持的请求内容类型。"),
    exceptions.Throttled: ("THROTTLED", "请求过于频繁，请稍后再试。"),
}


def api_exception_handler(exc, context):
    """Every error leaves as `{"code", "message", "fields"?}` with a Chinese message."""
    if isinstance(exc, ApplicationError):
        return Response(exc.as_body(), status=exc.status)
    if isinstance(exc, RequestDataTooBig):
        return Response(
            {"code": "TOO_LARGE", "message": "请求内容过大，请减少提交的内容或分批提交。"},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {
            "code": "INVALID",
            "message": "提交的内容有误，请按提示修改。",
            "fields": exc.detail
            if isinstance(exc.detail, dict)
            else {"non_field_errors": exc.detail},
        }
        return response
    for exc_type, (code, message) in _DRF_MESSAGES.items():
        if isinstance(exc, exc_type):
            response.data = {"code": code, "message": message}
            break
    return response
