"""Months and financial years (April to March): plain date arithmetic that the store's coverage
and the engine's series both use, so it sits below every layer."""

from __future__ import annotations

from datetime import date


def fy_start_year(month: date) -> int:
    """The calendar year a financial year starts in: April 2020 - March 2021 is 2020."""
    return month.year if month.month >= 4 else month.year - 1


def fy_label(start_year: int) -> str:
    """'2020/21' for the year starting April 2020.

    >>> fy_label(2020)
    '2020/21'
    """
    return f"{start_year}/{(start_year + 1) % 100:02d}"


def fy_of(month: date) -> str:
    return fy_label(fy_start_year(month))


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def month_index(month: date) -> int:
    return month.year * 12 + month.month - 1


def month_range(first: date, last: date) -> list[date]:
    """Every first-of-month from `first` to `last` inclusive (empty if `last` is earlier)."""
    return [add_months(first, k) for k in range(month_index(last) - month_index(first) + 1)]


def parse_month(text: str) -> date:
    """'2021-03' -> date(2021, 3, 1)."""
    try:
        year, mon = text.split("-")
        return date(int(year), int(mon), 1)
    except ValueError as exc:
        raise ValueError(f"not a month: {text!r}; expected YYYY-MM") from exc


def month_name(month: date) -> str:
    return month.strftime("%B %Y")
