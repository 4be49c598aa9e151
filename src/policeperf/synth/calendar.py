"""Months and financial years of the demo force (April 2016 to March 2022)."""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

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


_FIELDS = {
    "%Y-%m-%d": (0, 10),
    "%H:%M:%S": (11, 19),
    "%H:%M": (11, 16),
    "%Y": (0, 4),
    "%m": (5, 7),
    "%d": (8, 10),
    "%H": (11, 13),
    "%M": (14, 16),
    "%S": (17, 19),
}
"""Where each strftime field, or run of fields, sits in Arrow's text of a timestamp,
`YYYY-MM-DD HH:MM:SS`: a run is one slice rather than several joined."""
_TOKENS = re.compile("(" + "|".join(_FIELDS) + "|%.)")


def format_times(values: np.ndarray, fmt: str) -> pa.Array:
    """`pyarrow.compute.strftime` for the fields the exports use (%Y %m %d %H %M %S and
    literal text), from slices of Arrow's own text of each time: the same strings, missing
    times stay missing, about 10 times faster on the demo's million calls.

    Example:
        >>> times = np.array(["2020-03-01T07:05:09", "NaT"], "datetime64[s]")
        >>> format_times(times, "%d/%m/%Y %H:%M").to_pylist()
        ['01/03/2020 07:05', None]
    """
    text = pc.cast(pa.array(values.astype("datetime64[s]")), pa.string())
    parts: list[pa.Array | str] = []
    for token in _TOKENS.split(fmt):
        if token in _FIELDS:
            parts.append(pc.utf8_slice_codeunits(text, *_FIELDS[token]))
        elif token.startswith("%"):
            raise ValueError(f"format {fmt!r}: {token} is not supported")
        elif token:
            parts.append(token)
    return pc.binary_join_element_wise(*parts, "")
