"""URL converters: `<month:month>` matches YYYY-MM and hands the view the month's 1st."""

from datetime import date


class MonthConverter:
    regex = r"[0-9]{4}-[0-9]{2}"

    def to_python(self, value: str) -> date:
        year, month = value.split("-")
        return date(int(year), int(month), 1)  # month 13 → ValueError → no match → 404

    def to_url(self, value: date | str) -> str:
        return value if isinstance(value, str) else f"{value:%Y-%m}"
