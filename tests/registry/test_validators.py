"""validate_id_number: one Chinese message and code per failed rule; make_id_number builds valid
numbers. No database: the rules come from python-stdnum's tables."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from hypothesis import assume, given
from hypothesis import strategies as st
from stdnum.cn import ric

from registry.validators import make_id_number, validate_id_number

VALID = "110101198808080001"
VALID_X = "11010119900307002X"


def with_check_digit(body: str) -> str:
    """The 17-digit `body` completed with its correct check digit, so only the rule under test
    can fail."""
    return body + ric.calc_check_digit(body + "0")


def rejection(value: str, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as raised:
        validate_id_number(value, **kwargs)
    return raised.value


def test_valid_number_is_returned_unchanged():
    assert validate_id_number(VALID) == VALID


def test_lowercase_x_is_normalised_to_uppercase():
    assert validate_id_number(VALID_X.lower()) == VALID_X


def test_surrounding_spaces_are_removed():
    assert validate_id_number(f"  {VALID} ") == VALID


def test_full_width_digits_are_normalised():
    assert validate_id_number("１１０１０１１９８８０８０８０００１") == VALID


@pytest.mark.parametrize(
    ("value", "length"), [("", 0), (VALID[:17], 17), (VALID + "1", 19), ("1101", 4)]
)
def test_wrong_length(value, length):
    error = rejection(value)
    assert error.code == "id_length"
    assert error.messages == [f"社会保障号码应为18位，当前为{length}位。"]


@pytest.mark.parametrize(
    "value",
    [
        "11010119880808000A",  # a letter other than X as check digit
        "X10101198808080001",  # X anywhere but last
        "1101011988080800X1",
        "1101011988080800²1",  # str.isdigit() is true for "²", int() is not
        "110101198808080٠٠1",  # Arabic-Indic digits: isdigit() true, database constraint false
    ],
)
def test_characters_other_than_ascii_digits_and_final_x(value):
    error = rejection(value)
    assert error.code == "id_format"
    assert error.messages == ["社会保障号码前17位应为数字，最后一位为数字或X。"]


@pytest.mark.parametrize("wrong", ["0", "2", "9", "X"])
def test_wrong_check_digit(wrong):
    error = rejection(VALID[:17] + wrong)
    assert error.code == "id_checksum"
    assert error.messages == ["社会保障号码校验位错误，请核对号码。"]


@pytest.mark.parametrize("birth", ["19880230", "19890229", "19881301", "19880000", "00000101"])
def test_impossible_birth_date(birth):
    number = with_check_digit(f"110101{birth}001")
    error = rejection(number)
    assert error.code == "id_birth_date"
    assert error.messages == [f"社会保障号码中的出生日期（{birth}）不存在。"]


def test_leap_day_birth_is_valid():
    number = with_check_digit("11010119880229001")
    assert number == "110101198802290016"
    assert validate_id_number(number) == number


def test_birth_date_after_today():
    number = with_check_digit("11010120261205001")
    error = rejection(number, today=date(2026, 12, 4))
    assert error.code == "id_birth_future"
    assert error.messages == ["社会保障号码中的出生日期（20261205）晚于今天。"]


def test_birth_date_today_is_accepted():
    number = with_check_digit("11010120261205001")
    assert validate_id_number(number, today=date(2026, 12, 5)) == number


@pytest.mark.parametrize("region", ["000000", "999999", "110199", "990000"])
def test_unknown_region(region):
    number = with_check_digit(f"{region}19880808001")
    error = rejection(number)
    assert error.code == "id_region"
    assert error.messages == [f"社会保障号码前6位（{region}）不是有效的行政区划代码。"]


def test_abolished_county_code_stays_valid_for_numbers_issued_before():
    """110103 崇文区 was merged into 东城区 in 2010: people born there before keep their number,
    while a number claiming a birth there after 2010 is not a real one."""
    born_2010 = with_check_digit("11010320100101001")
    assert validate_id_number(born_2010) == born_2010
    born_2011 = with_check_digit("11010320110101001")
    error = rejection(born_2011)
    assert error.code == "id_region"
    assert error.messages == ["社会保障号码前6位（110103）不是有效的行政区划代码。"]


@pytest.mark.parametrize(
    ("region", "created"), [("500103", 1997), ("220102", 1983), ("440106", 1985)]
)
def test_code_created_after_the_birth_year_is_valid(region, created):
    """Numbers are issued under the code in force at registration: someone born in 1960 in
    Chongqing's 渝中区 carries 500103, a code created with the municipality in 1997."""
    number = make_id_number(region, date(1960, 6, 15), 7)
    assert int(number[6:10]) < created
    assert validate_id_number(number) == number


def test_rules_are_checked_in_order_length_format_checksum_date_future_region():
    """A number breaking several rules reports the first; the message names that one rule."""
    assert rejection("00000019880230000A").code == "id_format"
    assert rejection("000000198802300000").code == "id_checksum"
    assert rejection(with_check_digit("00000019880230001")).code == "id_birth_date"
    future_unknown_region = with_check_digit("00000020300101001")
    assert rejection(future_unknown_region, today=date(2026, 12, 4)).code == "id_birth_future"


def test_make_id_number():
    assert make_id_number("110101", date(1988, 8, 8), 0) == VALID
    assert make_id_number("110101", date(1990, 3, 7), 2) == VALID_X
    assert make_id_number("110101", date(1988, 8, 8), 1000) == VALID  # sequence wraps at 1000
    assert make_id_number("220102", date(1975, 12, 31), 999) == "22010219751231999X"


# Codes still in use (no end year in python-stdnum's table); some were created after 1930.
REGIONS = ["110101", "110108", "120101", "220102", "310101", "440106", "500103", "650102"]

births = st.dates(min_value=date(1930, 1, 1), max_value=date(2005, 12, 31))


@given(region=st.sampled_from(REGIONS), birth=births, sequence=st.integers(0, 999))
def test_made_numbers_validate(region, birth, sequence):
    number = make_id_number(region, birth, sequence)
    assert validate_id_number(number) == number
    assert number[:6] == region
    assert number[6:14] == f"{birth:%Y%m%d}"
    assert number[14:17] == f"{sequence:03d}"


@given(
    region=st.sampled_from(REGIONS),
    birth=births,
    sequence=st.integers(0, 999),
    wrong=st.sampled_from("0123456789X"),
)
def test_any_other_check_digit_fails_the_checksum(region, birth, sequence, wrong):
    number = make_id_number(region, birth, sequence)
    assume(wrong != number[-1])
    error = rejection(number[:17] + wrong)
    assert error.code == "id_checksum"
