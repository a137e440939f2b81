"""Serializer fields shared by the APIs."""

import re
from datetime import date

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@extend_schema_field(
    {"type": "string", "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$", "example": "2020-01"}
)
class MonthField(serializers.Field):
    """A month as `YYYY-MM` on the wire, the 1st of that month in Python."""

    default_error_messages = {"invalid": "月份应为YYYY-MM格式（01至12月），如2020-01。"}

    def to_internal_value(self, data) -> date:
        match = _MONTH.match(data) if isinstance(data, str) else None
        if not match or int(match.group(1)) < 1951:
            self.fail("invalid")
        return date(int(match.group(1)), int(match.group(2)), 1)

    def to_representation(self, value: date) -> str:
        return value.strftime("%Y-%m")


class TextField(serializers.CharField):
    """A CharField that takes text only: DRF's own turns a number into a string (12345 → "12345")
    and would save it as a name or a note."""

    default_error_messages = {"invalid": "应为文本。"}

    def to_internal_value(self, data) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class RegionCodeField(serializers.RegexField):
    def to_internal_value(self, data) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)

    def __init__(self, **kwargs):
        super().__init__(
            r"^[0-9]{6}$", error_messages={"invalid": "区划代码应为6位数字。"}, **kwargs
        )
