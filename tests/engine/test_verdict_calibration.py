"""The headline tests are calibrated: simulated series with no change give about 5% significant
verdicts in every reporting month, and a real change is found more often the more months the
rolling 12 months and the baseline year do not share.

Each case simulates `SERIES` series of 36 months of history before the first month of the year
after the baseline, then that year's months up to the reporting month (April: one month not
shared with the baseline ... March: twelve), with a seasonal pattern and, for power, a change
from the first month after the baseline year. The series go through the engine's own vectorised
tests (`engine.nonshared`), the functions every results row is judged by. Tolerance: the
false-positive rate lies within 5% +/- 2% in each month (with 8,000 series its standard error
is 0.24%, so the band is about eight standard errors wide).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from policeperf.engine import nonshared as NS

SERIES = 8_000
HISTORY = 36
"""Months before the year after the baseline: the baseline year and the two before it."""
BASELINE_FIRST = HISTORY - 12
CONFIDENCE = 0.95
SEASON = 1 + 0.25 * np.sin(2 * np.pi * np.arange(12) / 12)
REPORTING_MONTHS = range(1, 13)
"""Months into the year after the baseline: 1 = April ... 12 = March."""


def _means(level: float, months: int, change: float) -> np.ndarray:
    mu = level * np.resize(SEASON, HISTORY + months)
    mu[HISTORY:] *= 1 + change
    return mu


def _rates(test: NS.Comparison) -> float:
    return float(np.mean(test.p_value < 1 - CONFIDENCE))


def _counts(rng: np.random.Generator, months: int, change: float, size: float | None) -> np.ndarray:
    mu = np.broadcast_to(_means(500, months, change), (SERIES, HISTORY + months))
    if size is not None:  # negative binomial: gamma-mixed Poisson, variance mu + mu^2 / size
        mu = rng.gamma(size, mu / size)
    return rng.poisson(mu).astype(float)


def _count_rates(change: float, size: float | None, seed: int) -> list[float]:
    x = _counts(np.random.default_rng(seed), 12, change, size)
    # Reporting month k of the year sees the series up to it: the first HISTORY + k months.
    return [
        _rates(NS.count_test(x, HISTORY + k - 1, BASELINE_FIRST, CONFIDENCE))
        for k in REPORTING_MONTHS
    ]


def _proportion_rates(change: float, seed: int) -> list[float]:
    rng = np.random.default_rng(seed)
    total = HISTORY + 12
    p = np.broadcast_to(_means(0.12, 12, change), (SERIES, total))
    n = rng.integers(150, 250, size=(SERIES, total)).astype(float)
    x = rng.binomial(n.astype(int), p).astype(float)
    return [
        _rates(NS.proportion_test(x, n, HISTORY + k - 1, BASELINE_FIRST, CONFIDENCE))
        for k in REPORTING_MONTHS
    ]


def _median_rates(change: float, seed: int) -> list[float]:
    """Monthly medians of 15 response times each (log-normal, about 60 minutes)."""
    rng = np.random.default_rng(seed)
    scale = _means(60.0, 12, change)
    times = rng.lognormal(0.0, 0.6, size=(SERIES, HISTORY + 12, 15)) * scale[None, :, None]
    medians = np.median(times, axis=2)
    return [
        _rates(NS.median_test(medians, HISTORY + k - 1, BASELINE_FIRST, CONFIDENCE))
        for k in REPORTING_MONTHS
    ]


CASES = {
    "poisson counts": lambda change: _count_rates(change, None, 11),
    "negative binomial counts": lambda change: _count_rates(change, 250.0, 12),
    "binomial proportions": lambda change: _proportion_rates(change, 13),
    "monthly medians": lambda change: _median_rates(change, 14),
}
CHANGES = {
    "poisson counts": 0.10,
    "negative binomial counts": 0.10,
    "binomial proportions": 0.25,
    "monthly medians": 0.20,
}
"""The real change whose power is checked (proportions: 12% to 15%; medians: a fifth longer)."""


@pytest.mark.parametrize("case", CASES)
def test_no_change_gives_five_percent_significant_in_every_reporting_month(case: str) -> None:
    rates = CASES[case](0.0)
    assert all(0.03 <= r <= 0.07 for r in rates), [round(r, 3) for r in rates]


@pytest.mark.parametrize("case", CASES)
def test_power_against_a_real_change_rises_with_the_months_not_shared(case: str) -> None:
    power = CASES[case](CHANGES[case])
    assert power[0] > 0.07, "even one non-shared month has some power"
    # Rises with the number of non-shared months, allowing the simulation's own noise.
    assert all(later >= earlier - 0.02 for earlier, later in itertools.pairwise(power))
    assert power[-1] > power[0] + 0.3 and power[-1] > 0.5, [round(r, 3) for r in power]
