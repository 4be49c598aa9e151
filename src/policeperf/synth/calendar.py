"""Months and financial years of the demo force (April 2016 to March 2022)."""

from __future__ import annotations

from datetime import date

import numpy as np

FIRST_FY = 2016
FINANCIAL_YEARS = tuple(f"{y}/{(y + 1) % 100:02d}" for y in range(FIRST_FY, 2022))
START = date(2016, 4, 1)
END = date(2022, 3, 31)
"""Last day with data: outcomes dated after it have not happened yet."""

SEASONAL = np.array(
    [0.081, 0.085, 0.084, 0.090, 0.087, 0.083, 0.086, 0.083, 0.079, 0.080, 0.076, 0.086]
)
"""Share of a year's crime in each month, April first: summer high, February low."""


def fy_start_year(fy: str) -> int:
    return int(fy[:4])


def fy_months(fy: str) -> list[date]:
    """First days of the twelve months of a financial year, April first."""
    year = fy_start_year(fy)
    return [date(year + (m < 4), m, 1) for m in (*range(4, 13), 1, 2, 3)]


def days_in_month(month: date) -> int:
    nxt = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return (nxt - month).days


def fy_of(day: np.ndarray) -> np.ndarray:
    """Financial-year start year of each numpy datetime64[D]."""
    months = day.astype("datetime64[M]").astype(int)  # months since 1970-01
    year = months // 12 + 1970
    month = months % 12 + 1
    return np.where(month >= 4, year, year - 1)
