"""Perf v Benchmark verdicts: is the latest figure significantly different from its baseline?

Each method returns a `Verdict` that names itself and carries its statistic, so every verdict in a
report can say how it was reached. The rolling 12 months and the baseline year share months, so
every headline test compares only the months they do not share (`engine/nonshared.py`, which
holds the vectorised tests; docs/methods.md gives each formula and its derivation). Each row's
p-value, interval and verdict come from the one test.

Words: counts are Higher / Lower / Comparable; rates and proportions Improved / Deteriorated /
Comparable by the measure's polarity (a neutral rate is Higher / Lower). Too little data gives
"Insufficient data", never a guess.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
from scipy import special

from policeperf.engine import nonshared as NS

Direction = Literal["up", "down", "none"]
Polarity = Literal["up_is_good", "down_is_good", "neutral"]

INSUFFICIENT = "Insufficient data"
COMPARABLE = "Comparable"

COUNT_METHOD = "non_shared_months_quasi_poisson"
PROPORTION_METHOD = "non_shared_months_two_proportion"
SURVEY_METHOD = "non_shared_months_survey_proportion"
MEDIAN_METHOD = "non_shared_months_median_shift"
MONTH_METHOD = "current_month_vs_baseline_months"
LEGACY_METHODS = {
    "rolling_12m_vs_baseline_overdispersed": COUNT_METHOD,
    "two_proportion_newcombe": PROPORTION_METHOD,
    "wilson_newcombe": SURVEY_METHOD,
    "monthly_medians_mann_whitney": MEDIAN_METHOD,
}
"""Earlier method names a framework may still give: each now means the method it maps to."""

METHOD_TEXT = {
    COUNT_METHOD: (
        "Rolling 12 months vs baseline year on the months they do not share (the shared months "
        "cancel): z = (A - B) / sqrt(phi (A + B)), A the rolling months outside the baseline, "
        "B the baseline months outside the rolling 12; phi = max(1, over-dispersion of the "
        "seasonally differenced months before the reporting month)"
    ),
    PROPORTION_METHOD: (
        "Two proportions (rolling 12 months vs baseline year) with the shared months' cases "
        "counted once: z = (p1 - p0) / SE, SE from the pooled proportion and the non-shared "
        "months' cases, times the over-dispersion phi; interval p1 - p0 +/- z SE"
    ),
    SURVEY_METHOD: (
        "Survey proportions with n: as the two-proportion test on the responses of the months "
        "the two periods do not share; each proportion shown with its Wilson interval"
    ),
    MEDIAN_METHOD: (
        "Monthly medians: mean log shift of the rolling 12 months' non-shared months against the "
        "same calendar months of the baseline year, t test with the residual month-to-month "
        "variance of the months before the reporting month; interval as a % change"
    ),
    MONTH_METHOD: (
        "Current month vs the baseline year's months: outside mean +/- z x SD of the baseline months"
    ),
}


@dataclass(frozen=True)
class Verdict:
    """A verdict and how it was reached."""

    verdict: str
    method: str
    direction: Direction
    """Direction of the significant difference, 'none' when Comparable or insufficient."""
    statistic: float | None = None
    p_value: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    """Interval for the difference, from the same test as the p-value (rates: percentage
    points; counts: the change in the count; medians: minutes or seconds)."""
    note: str = ""
    dispersion: float | None = None
    """Over-dispersion phi (counts, proportions) or month-level variance (medians) used."""


@lru_cache(maxsize=32)
def z_for(confidence: float) -> float:
    """Two-sided critical value: 1.96 at 95%. `scipy.special.ndtri` is the function behind
    `scipy.stats.norm.ppf`, without the half second `scipy.stats` takes to import."""
    return float(special.ndtri(0.5 + confidence / 2))


def two_sided_p(z: float) -> float:
    """Two-sided p-value of a standard normal statistic."""
    return math.erfc(abs(z) / math.sqrt(2))


def words(direction: Direction, polarity: Polarity, *, rate: bool) -> str:
    """The verdict word for a significant difference in `direction`."""
    if direction == "none":
        return COMPARABLE
    if rate and polarity != "neutral":
        good = (direction == "up") == (polarity == "up_is_good")
        return "Improved" if good else "Deteriorated"
    return "Higher" if direction == "up" else "Lower"


def _verdict(
    t: NS.Comparison,
    method: str,
    polarity: Polarity,
    confidence: float,
    *,
    rate: bool,
    note: str,
    scale: float = 1.0,
) -> Verdict:
    """The verdict of the first (only) series of `t`: significant when p < 1 - confidence."""
    p = float(t.p_value[0])
    direction: Direction = (
        "none" if not p < 1 - confidence else ("up" if t.difference[0] > 0 else "down")
    )
    return Verdict(
        words(direction, polarity, rate=rate), method, direction,
        statistic=float(t.statistic[0]), p_value=p, ci_low=scale * float(t.low[0]),
        ci_high=scale * float(t.high[0]), note=note, dispersion=float(t.phi[0]),
    )  # fmt: skip


def _overlap_note(end: int, baseline_first: int) -> str:
    w = NS.split_windows(end, baseline_first)
    return f"{w.months_not_shared} months not shared with the baseline"


def _same_windows(method: str) -> Verdict:
    return Verdict(
        COMPARABLE, method, "none", p_value=1.0,
        note="the rolling 12 months are the baseline year: nothing to compare",
    )  # fmt: skip


def count_vs_baseline(
    counts: np.ndarray,
    end: int,
    baseline_first: int,
    *,
    confidence: float,
    polarity: Polarity = "neutral",
) -> Verdict:
    """Rolling-12 count (ending at position `end` of the monthly `counts`) vs the baseline year
    (12 months from `baseline_first`), on the months the two do not share."""
    method = COUNT_METHOD
    if end - 11 < 0 or baseline_first < 0 or baseline_first + 12 > len(counts):
        return Verdict(INSUFFICIENT, method, "none", note="needs 12 months in both periods")
    if end == baseline_first + 11:
        return _same_windows(method)
    t = NS.count_test(np.asarray(counts, dtype=float)[None, :], end, baseline_first, confidence)
    note = _overlap_note(end, baseline_first)
    if t.se[0] == 0:
        return Verdict(
            COMPARABLE, method, "none", statistic=0.0, p_value=1.0, ci_low=0.0, ci_high=0.0,
            note="no crimes in the months the periods do not share", dispersion=float(t.phi[0]),
        )  # fmt: skip
    return _verdict(t, method, polarity, confidence, rate=False, note=note)


def month_vs_baseline_months(
    current: float | None,
    baseline_months: list[float],
    *,
    confidence: float,
    polarity: Polarity = "neutral",
    rate: bool = False,
) -> Verdict:
    """The current month against mean +/- z SD of the baseline months (common OPCC practice)."""
    method = MONTH_METHOD
    if current is None or len(baseline_months) < 12:
        return Verdict(INSUFFICIENT, method, "none", note="needs 12 baseline months")
    mean = sum(baseline_months) / len(baseline_months)
    sd = math.sqrt(sum((x - mean) ** 2 for x in baseline_months) / (len(baseline_months) - 1))
    z = z_for(confidence)
    low, high = mean - z * sd, mean + z * sd
    direction: Direction = "up" if current > high else "down" if current < low else "none"
    stat = (current - mean) / sd if sd > 0 else 0.0
    return Verdict(
        words(direction, polarity, rate=rate),
        method,
        direction,
        statistic=stat,
        ci_low=low,
        ci_high=high,
    )


def wilson_interval(successes: float, n: float, confidence: float) -> tuple[float, float]:
    """Wilson score interval for a proportion (Wilson 1927).

    >>> [round(x, 4) for x in wilson_interval(81, 263, 0.95)]
    [0.2553, 0.3662]
    """
    if n <= 0:
        return (0.0, 1.0)
    z = z_for(confidence)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def proportion_vs_baseline(
    successes: np.ndarray,
    cases: np.ndarray,
    end: int,
    baseline_first: int,
    *,
    confidence: float,
    polarity: Polarity,
    minimum_n: int,
    method: str = PROPORTION_METHOD,
) -> Verdict:
    """A rate (outcomes / crimes) or survey proportion over the rolling 12 months vs the
    baseline year, on the months they do not share (difference in percentage points)."""
    if end - 11 < 0 or baseline_first < 0 or baseline_first + 12 > len(cases):
        return Verdict(INSUFFICIENT, method, "none", note="no baseline or no cases")
    x, n = np.asarray(successes, dtype=float), np.asarray(cases, dtype=float)
    n1 = float(n[end - 11 : end + 1].sum())
    n0 = float(n[baseline_first : baseline_first + 12].sum())
    if not n1 or not n0:
        return Verdict(INSUFFICIENT, method, "none", note="no baseline or no cases")
    if n1 < minimum_n or n0 < minimum_n:
        return Verdict(INSUFFICIENT, method, "none", note=f"fewer than {minimum_n} cases")
    if end == baseline_first + 11:
        return _same_windows(method)
    t = NS.proportion_test(x[None, :], n[None, :], end, baseline_first, confidence)
    note = _overlap_note(end, baseline_first)
    return _verdict(t, method, polarity, confidence, rate=True, note=note, scale=100.0)


def medians_vs_baseline(
    medians: np.ndarray,
    end: int,
    baseline_first: int,
    *,
    confidence: float,
    polarity: Polarity,
) -> Verdict:
    """Monthly medians: the rolling 12 months' non-shared months vs the same calendar months
    of the baseline year (`medians` NaN where a month has none)."""
    method = MEDIAN_METHOD
    v = np.asarray(medians, dtype=float)
    if end - 11 < 0 or baseline_first < 0 or baseline_first + 12 > len(v):
        return Verdict(
            INSUFFICIENT, method, "none", note="needs 12 monthly medians in both periods"
        )
    if end == baseline_first + 11:
        return _same_windows(method)
    w = NS.split_windows(end, baseline_first)
    chosen = np.concatenate([v[w.current_only], v[w.baseline_only]])
    if np.isnan(chosen).any() or (chosen <= 0).any():
        return Verdict(INSUFFICIENT, method, "none", note="a non-shared month has no median")
    t = NS.median_test(v[None, :], end, baseline_first, confidence)
    if t.residuals[0] < MIN_MEDIAN_RESIDUALS:
        return Verdict(
            INSUFFICIENT, method, "none",
            note=f"fewer than {MIN_MEDIAN_RESIDUALS} months of history to measure month-to-month variation",
        )  # fmt: skip
    return _verdict(
        t, method, polarity, confidence, rate=True, note=_overlap_note(end, baseline_first)
    )


MIN_MEDIAN_RESIDUALS = 3
"""Residuals the medians' variance needs at the least (it has no model variance to fall back on)."""


def chance_note(tested: int, confidence: float, adjustment: str) -> str:
    """How many verdicts were tested and how many differences chance alone would give: with
    many verdicts a month, some "significant" ones are expected even where nothing changed.

    >>> chance_note(126, 0.95, "none")
    '126 verdicts tested at 95% confidence; about 6 would show a difference by chance alone.'
    """
    if not tested:
        return ""
    expected = round(tested * (1 - confidence))
    text = (
        f"{tested} verdict{'s' if tested != 1 else ''} tested at {confidence:.0%} confidence; "
        f"about {expected} would show a difference by chance alone."
    )
    if adjustment == "benjamini_hochberg":
        text += (
            " Verdicts are adjusted (Benjamini-Hochberg) so that about "
            f"{1 - confidence:.0%} of the differences shown are expected to be chance."
        )
    return text
