"""Perf v Benchmark verdicts: is the latest figure significantly different from its baseline?

Each method returns a `Verdict` that names itself and carries its statistic, so every verdict in a
report can say how it was reached. Formulas: `shared reference METHODS.md §2` (Poisson counts with
over-dispersion, two proportions, Newcombe's hybrid score interval, Wilson score interval).

Words: counts are Higher / Lower / Comparable; rates and proportions Improved / Deteriorated /
Comparable by the measure's polarity (a neutral rate is Higher / Lower). Too little data gives
"Insufficient data", never a guess.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from scipy import special

Direction = Literal["up", "down", "none"]
Polarity = Literal["up_is_good", "down_is_good", "neutral"]

INSUFFICIENT = "Insufficient data"
COMPARABLE = "Comparable"

METHOD_TEXT = {
    "rolling_12m_vs_baseline_overdispersed": (
        "Rolling 12 months vs baseline year, Poisson test with over-dispersion: "
        "z = (X1 - X0) / sqrt(phi (X1 + X0)), phi = max(1, sum (x_i - mean)^2 / ((k - 1) mean)) "
        "from the k baseline months"
    ),
    "current_month_vs_baseline_months": (
        "Current month vs the baseline year's months: outside mean +/- z x SD of the baseline months"
    ),
    "two_proportion_newcombe": (
        "Two proportions (rolling 12 months vs baseline year): Newcombe hybrid score interval for "
        "the difference p1 - p0; significant when the interval excludes 0"
    ),
    "wilson_newcombe": (
        "Survey proportions with n: Wilson score interval for each, Newcombe hybrid score interval "
        "for the difference; significant when it excludes 0"
    ),
    "monthly_medians_mann_whitney": (
        "Monthly medians of the latest 12 months vs the baseline year's: two-sided Mann-Whitney U test"
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
    """Interval for the difference (rates: proportion points x 100; counts: not used)."""
    note: str = ""


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


def dispersion(baseline_months: list[float]) -> float:
    """Over-dispersion factor phi from the baseline months (1 = Poisson; never below 1).

    >>> dispersion([10, 10, 10, 10])
    1.0
    """
    k = len(baseline_months)
    if k < 2:
        return 1.0
    mean = sum(baseline_months) / k
    if mean <= 0:
        return 1.0
    phi = sum((x - mean) ** 2 for x in baseline_months) / ((k - 1) * mean)
    return max(1.0, phi)


def count_vs_baseline(
    current: float | None,
    baseline: float | None,
    baseline_months: list[float],
    *,
    confidence: float,
    polarity: Polarity = "neutral",
) -> Verdict:
    """Rolling-12 count vs the baseline year's count, equal exposure (12 months each)."""
    method = "rolling_12m_vs_baseline_overdispersed"
    if current is None or baseline is None or len(baseline_months) < 12:
        return Verdict(INSUFFICIENT, method, "none", note="needs 12 months in both periods")
    total = current + baseline
    if total == 0:
        return Verdict(
            COMPARABLE,
            method,
            "none",
            statistic=0.0,
            p_value=1.0,
            note="no crimes in either period",
        )
    phi = dispersion(baseline_months)
    z = (current - baseline) / math.sqrt(phi * total)
    p = two_sided_p(z)
    direction: Direction = "none" if abs(z) < z_for(confidence) else ("up" if z > 0 else "down")
    return Verdict(
        words(direction, polarity, rate=False), method, direction, statistic=z, p_value=p,
        note=f"phi = {phi:.2f}",
    )  # fmt: skip


def month_vs_baseline_months(
    current: float | None,
    baseline_months: list[float],
    *,
    confidence: float,
    polarity: Polarity = "neutral",
    rate: bool = False,
) -> Verdict:
    """The current month against mean +/- z SD of the baseline months (common OPCC practice)."""
    method = "current_month_vs_baseline_months"
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


def newcombe_interval(
    x1: float, n1: float, x0: float, n0: float, confidence: float
) -> tuple[float, float]:
    """Newcombe's hybrid score interval for p1 - p0 (Newcombe 1998, method 10).

    >>> [round(x, 4) for x in newcombe_interval(56, 70, 48, 80, 0.95)]
    [0.0524, 0.3339]
    """
    p1, p0 = x1 / n1, x0 / n0
    l1, u1 = wilson_interval(x1, n1, confidence)
    l0, u0 = wilson_interval(x0, n0, confidence)
    d = p1 - p0
    low = d - math.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)
    return (low, high)


def proportion_vs_baseline(
    x1: float | None,
    n1: float | None,
    x0: float | None,
    n0: float | None,
    *,
    confidence: float,
    polarity: Polarity,
    minimum_n: int,
    method: str = "two_proportion_newcombe",
) -> Verdict:
    """A rate (outcomes / crimes) or survey proportion now vs in the baseline year."""
    if None in (x1, n1, x0, n0) or not n1 or not n0:
        return Verdict(INSUFFICIENT, method, "none", note="no baseline or no cases")
    assert x1 is not None and n1 is not None and x0 is not None and n0 is not None
    if n1 < minimum_n or n0 < minimum_n:
        return Verdict(INSUFFICIENT, method, "none", note=f"fewer than {minimum_n} cases")
    # Period-method rates can exceed 100% (outcomes for earlier crimes); the interval needs p <= 1.
    x1c, x0c = min(x1, n1), min(x0, n0)
    low, high = newcombe_interval(x1c, n1, x0c, n0, confidence)
    direction: Direction = "up" if low > 0 else "down" if high < 0 else "none"
    pooled = (x1c + x0c) / (n1 + n0)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0)) if 0 < pooled < 1 else 0.0
    z = (x1c / n1 - x0c / n0) / se if se > 0 else 0.0
    p = two_sided_p(z)
    return Verdict(
        words(direction, polarity, rate=True), method, direction, statistic=z, p_value=p,
        ci_low=100 * low, ci_high=100 * high,
    )  # fmt: skip


def medians_vs_baseline(
    current_months: list[float],
    baseline_months: list[float],
    *,
    confidence: float,
    polarity: Polarity,
) -> Verdict:
    """Twelve monthly medians now vs the baseline year's twelve (Mann-Whitney U, two-sided)."""
    method = "monthly_medians_mann_whitney"
    if len(current_months) < 12 or len(baseline_months) < 12:
        return Verdict(
            INSUFFICIENT, method, "none", note="needs 12 monthly medians in both periods"
        )
    statistic, p = mann_whitney_u(current_months, baseline_months)
    shift = (
        float(sorted(current_months)[6] + sorted(current_months)[5]) / 2
        - float(sorted(baseline_months)[6] + sorted(baseline_months)[5]) / 2
    )
    direction: Direction = "none" if p >= 1 - confidence else ("up" if shift > 0 else "down")
    return Verdict(
        words(direction, polarity, rate=True),
        method,
        direction,
        statistic=statistic,
        p_value=p,
    )


def average_ranks(values: list[float]) -> tuple[list[float], list[int]]:
    """Ranks from 1, ties given their average rank, and the size of each group of ties.

    >>> average_ranks([3.0, 1.0, 3.0])
    ([2.5, 1.0, 2.5], [1, 2])
    """
    order = sorted(range(len(values)), key=values.__getitem__)
    ranks = [0.0] * len(values)
    ties: list[int] = []
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for i in order[start : end + 1]:
            ranks[i] = (start + end) / 2 + 1
        ties.append(end - start + 1)
        start = end + 1
    return ranks, ties


def mann_whitney_u(x: list[float], y: list[float]) -> tuple[float, float]:
    """Two-sided Mann-Whitney U test, normal approximation with tie and continuity corrections:
    (U of `x`, p-value). This is `scipy.stats.mannwhitneyu(x, y)` for samples of more than 8
    each, where scipy chooses the same approximation (Mann & Whitney 1947; tie correction as in
    scipy's reference [2]); written out so evaluating needs no `scipy.stats` import.

    >>> mann_whitney_u([1.0, 2.0, 3.0], [4.0, 5.0, 6.0])
    (0.0, 0.08085559837005224)
    """
    n1, n2 = len(x), len(y)
    ranks, ties = average_ranks([*x, *y])
    u1 = sum(ranks[:n1]) - n1 * (n1 + 1) / 2
    u = max(u1, n1 * n2 - u1)
    n = n1 + n2
    tie_term = float(sum(t**3 - t for t in ties))
    s = math.sqrt(n1 * n2 / 12 * ((n + 1) - tie_term / (n * (n - 1))))
    numerator = u - n1 * n2 / 2 - 0.5
    # All values tied gives s = 0 and numerator -0.5: z = -inf and p = 1, as in scipy.
    z = numerator / s if s > 0 else math.copysign(math.inf, numerator)
    p = min(max(2 * float(special.ndtr(-z)), 0.0), 1.0)
    return float(u1), p
