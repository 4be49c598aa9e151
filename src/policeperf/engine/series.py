"""Series maths on one measure's monthly figures in one area: rolling 12 months, financial year to
date, baseline year, changes, records and trend. Works on the small monthly table, after the
backend has aggregated the records.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from policeperf.calendar import fy_start_year, month_index

WINDOW = 12
TREND_MONTHS = 24
"""Months of monthly values behind the long-term direction test."""
MIN_TREND_MONTHS = 12


@dataclass(frozen=True)
class MonthlySeries:
    """Contiguous months with numerator and denominator (denominator None for counts)."""

    months: list[date]
    numerator: np.ndarray
    denominator: np.ndarray | None
    scale: float = 1.0
    """value = scale x numerator / denominator (100 for percentages, per for population rates)."""

    def ratio(self, num: float, den: float | None) -> float | None:
        if math.isnan(num):
            return None
        if self.denominator is None:
            return float(num)
        if den is None or den == 0 or math.isnan(den):
            return None
        return self.scale * num / den


def values(series: MonthlySeries) -> list[float | None]:
    """`ratio` of every month, worked as one array operation: the same IEEE operations in the
    same order (scale x numerator, then / denominator), so the same floats."""
    num = np.asarray(series.numerator, dtype=float)
    den = series.denominator
    if den is None:
        return [None if math.isnan(x) else x for x in num.tolist()]
    den = np.asarray(den, dtype=float)
    usable = ~np.isnan(num) & ~np.isnan(den) & (den != 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = series.scale * num / den
    return [x if ok else None for x, ok in zip(ratio.tolist(), usable.tolist(), strict=True)]


def window_sum(a: np.ndarray, end: int, length: int) -> float | None:
    """Sum of the `length` values ending at `end` (inclusive), None if they do not all exist
    (a month without data is NaN, never zero)."""
    start = end - length + 1
    if start < 0:
        return None
    total = float(a[start : end + 1].sum())
    return None if math.isnan(total) else total


def window_sums(a: np.ndarray, length: int) -> list[float | None]:
    """`window_sum(a, end, length)` for every `end` at once: the same contiguous values summed by
    the same numpy reduction, so the same floats, without a Python call per month.

    >>> window_sums(np.array([1.0, 2.0, np.nan, 4.0, 5.0]), 2)
    [None, 3.0, None, None, 9.0]
    """
    out: list[float | None] = [None] * min(len(a), length - 1)
    if len(a) >= length:
        sums = sliding_window_view(a, length).sum(axis=1).tolist()
        out += [None if math.isnan(x) else x for x in sums]
    return out


def fy_total(series: MonthlySeries, start_year: int, array: np.ndarray) -> float | None:
    """Total of a financial year; None unless all twelve months are in the series."""
    first = date(start_year, 4, 1)
    if not series.months or first < series.months[0]:
        return None
    offset = month_index(first) - month_index(series.months[0])
    if offset + WINDOW > len(series.months):
        return None
    total = float(array[offset : offset + WINDOW].sum())
    return None if math.isnan(total) else total


def fy_offset(months: list[date], start_year: int) -> int:
    """Position in `months` of the April that begins `start_year`'s financial year (negative
    when the year began before them).

    >>> fy_offset([date(2020, 1, 1), date(2020, 2, 1)], 2020)
    3
    """
    return month_index(date(start_year, 4, 1)) - month_index(months[0])


def fy_months(series: MonthlySeries, start_year: int) -> list[float]:
    """The twelve monthly values of a financial year (empty unless all are present)."""
    if not series.months:
        return []
    offset = fy_offset(series.months, start_year)
    if offset < 0:
        return []
    if offset + WINDOW > len(series.months):
        return []
    vals = values(series)[offset : offset + WINDOW]
    return [v for v in vals if v is not None] if all(v is not None for v in vals) else []


def baseline_year(month: date, fixed: str | None) -> int:
    """Start year of the baseline: a fixed financial year, or the one before the year containing
    `month` (so March 2021 compares 2020/21 with 2019/20; January 2020 with 2018/19)."""
    if fixed:
        return int(fixed[:4])
    return fy_start_year(month) - 1


@dataclass(frozen=True)
class Records:
    """Where the latest monthly value stands against earlier months."""

    highest_since: date | None
    """The value is the highest since this month (the last month that was as high or higher)."""
    lowest_since: date | None
    highest_on_record: bool
    lowest_on_record: bool
    twelve_month_high: bool
    twelve_month_low: bool


def records_at(vals: list[float | None], months: list[date], i: int) -> Records:
    """Records for the value at position `i`. "Highest since March 2018" means March 2018 was the
    last month with a value at least as high; only reported when that was over a month before."""
    current = vals[i]
    none = Records(None, None, False, False, False, False)
    if current is None or i == 0:
        return none
    earlier = [(j, v) for j, v in enumerate(vals[:i]) if v is not None]
    higher = [j for j, v in earlier if v >= current]
    lower = [j for j, v in earlier if v <= current]
    high_since = months[higher[-1]] if higher and higher[-1] < i - 1 else None
    low_since = months[lower[-1]] if lower and lower[-1] < i - 1 else None
    window = [v for v in vals[max(0, i - WINDOW + 1) : i] if v is not None]
    full = i >= WINDOW - 1 and len(window) == WINDOW - 1
    return Records(
        highest_since=high_since,
        lowest_since=low_since,
        highest_on_record=bool(earlier) and not higher,
        lowest_on_record=bool(earlier) and not lower,
        twelve_month_high=full and all(current > v for v in window),
        twelve_month_low=full and all(current < v for v in window),
    )


def mann_kendall(vals: list[float]) -> tuple[str, float | None]:
    """Direction of a monotonic trend and its two-sided p-value (Mann-Kendall, tie-corrected)."""
    x = [float(v) for v in vals]
    n = len(x)
    if n < MIN_TREND_MONTHS:
        return "none", None
    # S counts rising minus falling pairs; plain comparisons on at most 24 values are several
    # times quicker than numpy's pairwise matrix, and S and the tie terms are exact integers.
    s = float(sum((b > a) - (b < a) for i, a in enumerate(x) for b in x[i + 1 :]))
    ties = sum(c * (c - 1) * (2 * c + 5) for c in Counter(x).values())
    var = (n * (n - 1) * (2 * n + 5) - float(ties)) / 18
    if var <= 0:
        return "none", 1.0
    z = (s - (s > 0) + (s < 0)) / math.sqrt(var)
    p = math.erfc(abs(z) / math.sqrt(2))
    return ("up" if s > 0 else "down" if s < 0 else "none"), p


def direction_3m(r12: list[float | None], i: int) -> str:
    """'up' when the rolling value rose in each of the last three months, 'down' when it fell in
    each, else 'mixed'; 'none' when there is not enough history."""
    if i < 3 or any(r12[k] is None for k in range(i - 3, i + 1)):
        return "none"
    steps = [r12[k] - r12[k - 1] for k in range(i - 2, i + 1)]  # type: ignore[operator]
    if all(s > 0 for s in steps):
        return "up"
    if all(s < 0 for s in steps):
        return "down"
    return "mixed"
