"""Cohort outcome rates as they stood at a month's end, and baselines at equal follow-up.

A cohort rate counts the crimes recorded in a window that got an outcome. Outcomes keep arriving
for months after a crime, so a window that ended long ago has had more time to reach them than
the latest one. Two rules keep the figures honest:

- **As at**: the figure for a window ending at month t counts only outcomes dated on or before
  the end of t. Its crimes of month t-k have had k months of follow-up (k = 0..11), so a past
  month reads the same in every later run on the same store.
- **Equal follow-up**: the baseline year (April to March) counts its crimes of the k-th month
  before March with outcomes within k months, as the current window does; that is, the baseline's
  rate as it stood at the end of March.

`lags[j, k]` is the number of crimes of month j with an outcome within k calendar months of it
(an outcome dated in the crime's own month has lag 0; one dated earlier counts as lag 0 too).
A month without data is NaN in every column, so any figure that touches it is unavailable.

>>> import numpy as np
>>> lags = np.array([[1, 2, 3], [0, 1, 1], [2, 2, 2]], dtype=float)
>>> as_at_window(lags, end=2, length=3)  # 2 (month 2, lag 0) + 1 (month 1, lag 1) + 3 (month 0, lag 2)
6.0
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np

from policeperf.calendar import month_index


def as_at_window(lags: np.ndarray, end: int, length: int) -> float | None:
    """Crimes of the `length` months ending at `end` with an outcome on or before month `end`:
    month end-k contributes its count within k months. None when the window starts before the
    series or touches a month without data."""
    start = end - length + 1
    if start < 0 or length > lags.shape[1]:
        return None
    total = float(sum(lags[end - k, k] for k in range(length)))
    return None if math.isnan(total) else total


def baseline_at_equal_follow_up(
    lags: np.ndarray, months: list[date], start_year: int, length: int = 12
) -> float | None:
    """The baseline year's numerator at equal follow-up: its 12 months ending in March counted as
    they stood at the end of that March (None unless the whole year is in the series)."""
    if not months:
        return None
    end = month_index(date(start_year + 1, 3, 1)) - month_index(months[0])
    if end >= len(months):
        return None
    return as_at_window(lags, end, length)
