"""Validation of the 18-character social security number (= resident identity card number)."""

from __future__ import annotations

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from stdnum import numdb
from stdnum.cn import ric
from stdnum.exceptions import InvalidComponent

# ASCII only: str.isdigit() and \d also accept "²" (which crashes the checksum) and other scripts'
# digits (which would pass and then break the database's [0-9] constraint).
ID_NUMBER = re.compile(r"[0-9]{17}[0-9X]")


def validate_id_number(value: str, *, today: date | None = None) -> str:
    """Return the normalised number or raise ValidationError with one Chinese message naming
    the failure: length, characters, check digit, impossible or future birth date, unknown region.

    The region check uses python-stdnum's table of birth-place codes, which keeps codes that have
    since been abolished: a number issued under an old county code stays valid."""
    number = ric.compact(value or "")
    if len(number) != 18:
        raise ValidationError(f"社会保障号码应为18位，当前为{len(number)}位。", code="id_length")
    if not ID_NUMBER.fullmatch(number):
        raise ValidationError("社会保障号码前17位应为数字，最后一位为数字或X。", code="id_format")
    if number[-1] != ric.calc_check_digit(number):
        raise ValidationError("社会保障号码校验位错误，请核对号码。", code="id_checksum")
    try:
        birth = ric.get_birth_date(number)
    except InvalidComponent:
        raise ValidationError(
            f"社会保障号码中的出生日期（{number[6:14]}）不存在。", code="id_birth_date"
        ) from None
    if birth > (today or timezone.localdate()):
        raise ValidationError(
            f"社会保障号码中的出生日期（{number[6:14]}）晚于今天。", code="id_birth_future"
        )
    if not _region_possible(number[:6], birth.year):
        raise ValidationError(
            f"社会保障号码前6位（{number[:6]}）不是有效的行政区划代码。", code="id_region"
        )
    return number


def _region_possible(code: str, birth_year: int) -> bool:
    """Whether `code` is in python-stdnum's table and not abolished before `birth_year`.

    Unlike `ric.get_birth_place`, a code created after the birth year is accepted: a number is
    issued under the code in force when the person is registered, so someone born in 1960 in
    Chongqing carries a 50xxxx code created in 1997. Only a code abolished before the birth can
    never appear in a real number."""
    parts = numdb.get("cn/loc").info(code)
    counties = {k: v for _, props in parts for k, v in props.items()}.get("county", "")
    for county in filter(None, counties.split(",")):
        if not county.startswith("["):
            return True
        end = county[1:].split("]", 1)[0].split("-", 1)[1]
        if not end or birth_year <= int(end):
            return True
    return False


def make_id_number(region: str, birth: date, sequence: int) -> str:
    """Build a valid number (check digit computed) — for demo data, tests and benchmarks."""
    body = f"{region}{birth:%Y%m%d}{sequence % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")
