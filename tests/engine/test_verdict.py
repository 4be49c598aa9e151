"""Verdict methods against hand-computed cases, including zero counts and too little data."""

from __future__ import annotations

import math
import random

import pytest
from scipy import stats

from policeperf.engine import verdict as V

FLAT = [100.0 / 12] * 12


def test_poisson_z_for_equal_exposure_is_the_difference_over_root_sum() -> None:
    # 150 vs 100, Poisson months: z = 50 / sqrt(250) = 3.162 -> Higher
    v = V.count_vs_baseline(150, 100, FLAT, confidence=0.95)
    assert v.statistic == pytest.approx(50 / math.sqrt(250))
    assert v.verdict == "Higher" and v.direction == "up"
    assert v.method == "rolling_12m_vs_baseline_overdispersed"
    # 120 vs 100: z = 20 / sqrt(220) = 1.348 -> Comparable
    assert V.count_vs_baseline(120, 100, FLAT, confidence=0.95).verdict == "Comparable"
    assert V.count_vs_baseline(60, 100, FLAT, confidence=0.95).verdict == "Lower"


def test_over_dispersion_from_baseline_months_widens_the_test() -> None:
    months = [5.0, 15.0] * 6  # mean 10, variance 300/11 -> phi = 300 / (11 * 10) = 2.727
    assert V.dispersion(months) == pytest.approx(300 / 110)
    v = V.count_vs_baseline(150, 120, months, confidence=0.95)
    assert v.statistic == pytest.approx(30 / math.sqrt(300 / 110 * 270))
    assert v.verdict == "Comparable"
    assert V.count_vs_baseline(150, 120, FLAT, confidence=0.95).verdict == "Comparable"
    assert V.count_vs_baseline(200, 120, months, confidence=0.95).verdict == "Higher"


def test_dispersion_never_falls_below_poisson() -> None:
    assert V.dispersion([10.0] * 12) == 1.0
    assert V.dispersion([0.0] * 12) == 1.0


def test_zero_counts_in_both_periods_are_comparable_not_an_error() -> None:
    v = V.count_vs_baseline(0, 0, [0.0] * 12, confidence=0.95)
    assert v.verdict == "Comparable" and v.statistic == 0.0


def test_missing_baseline_or_short_baseline_is_insufficient_data() -> None:
    assert V.count_vs_baseline(10, None, FLAT, confidence=0.95).verdict == "Insufficient data"
    assert V.count_vs_baseline(10, 12, FLAT[:11], confidence=0.95).verdict == "Insufficient data"


def test_rates_use_polarity_words() -> None:
    # Newcombe (1998) example: 56/70 vs 48/80, interval for the difference 0.0524 to 0.3339
    v = V.proportion_vs_baseline(
        56, 70, 48, 80, confidence=0.95, polarity="up_is_good", minimum_n=30
    )
    assert (v.ci_low, v.ci_high) == pytest.approx((5.24, 33.39), abs=0.01)
    assert v.verdict == "Improved"
    worse = V.proportion_vs_baseline(
        56, 70, 48, 80, confidence=0.95, polarity="down_is_good", minimum_n=30
    )
    assert worse.verdict == "Deteriorated"
    neutral = V.proportion_vs_baseline(
        56, 70, 48, 80, confidence=0.95, polarity="neutral", minimum_n=30
    )
    assert neutral.verdict == "Higher"


def test_a_difference_whose_interval_spans_zero_is_comparable() -> None:
    v = V.proportion_vs_baseline(
        52, 100, 48, 100, confidence=0.95, polarity="up_is_good", minimum_n=30
    )
    assert v.verdict == "Comparable" and v.ci_low < 0 < v.ci_high


def test_too_few_cases_for_a_rate_is_insufficient_data() -> None:
    v = V.proportion_vs_baseline(5, 10, 1, 10, confidence=0.95, polarity="up_is_good", minimum_n=30)
    assert v.verdict == "Insufficient data" and "fewer than 30" in v.note


def test_wilson_interval_matches_the_formula() -> None:
    low, high = V.wilson_interval(81, 263, 0.95)
    z = 1.959963984540054
    p, n = 81 / 263, 263
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert (low, high) == pytest.approx((centre - half, centre + half))


def test_current_month_against_mean_plus_minus_two_sd() -> None:
    months = [10.0, 12.0] * 6  # mean 11, sd = sqrt(12/11)
    sd = math.sqrt(12 / 11)
    v = V.month_vs_baseline_months(11 + 1.96 * sd + 0.01, months, confidence=0.95)
    assert v.verdict == "Higher"
    assert (
        V.month_vs_baseline_months(11 + 1.9 * sd, months, confidence=0.95).verdict == "Comparable"
    )
    assert v.method == "current_month_vs_baseline_months"


def test_medians_compare_twelve_monthly_values() -> None:
    base = [200.0 + i for i in range(12)]
    now = [100.0 + i for i in range(12)]
    v = V.medians_vs_baseline(now, base, confidence=0.95, polarity="down_is_good")
    assert v.verdict == "Improved" and v.direction == "down"
    assert (
        V.medians_vs_baseline(now[:11], base, confidence=0.95, polarity="down_is_good").verdict
        == "Insufficient data"
    )


def test_confidence_level_changes_the_critical_value() -> None:
    assert V.z_for(0.95) == pytest.approx(1.959964)
    assert V.z_for(0.99) == pytest.approx(2.575829)
    # 129 vs 100: z = 29 / sqrt(229) = 1.92; 135 vs 100: z = 35 / sqrt(235) = 2.28
    assert V.count_vs_baseline(129, 100, FLAT, confidence=0.95).verdict == "Comparable"
    assert V.count_vs_baseline(135, 100, FLAT, confidence=0.95).verdict == "Higher"
    assert V.count_vs_baseline(135, 100, FLAT, confidence=0.99).verdict == "Comparable"


def test_critical_value_is_scipy_normal_quantile_to_the_last_bit() -> None:
    for confidence in (0.8, 0.9, 0.95, 0.99, 0.999):
        assert V.z_for(confidence) == float(stats.norm.ppf(0.5 + confidence / 2))


def test_ranks_average_ties_and_count_them() -> None:
    assert V.average_ranks([]) == ([], [])
    assert V.average_ranks([2.0, 2.0, 2.0]) == ([2.0, 2.0, 2.0], [3])
    assert V.average_ranks([4.0, 1.0, 4.0, 0.5]) == ([3.5, 2.0, 3.5, 1.0], [1, 1, 2])


@pytest.mark.parametrize("seed", range(40))
def test_mann_whitney_is_scipy_to_the_last_bit_for_twelve_months_or_more(seed: int) -> None:
    rng = random.Random(seed)
    levels = rng.choice([3, 20, 10_000])  # many ties, some, almost none
    x = [rng.randint(0, levels) / 2 for _ in range(rng.randint(9, 24))]
    y = [rng.randint(0, levels) / 2 + rng.choice([0, 1]) for _ in range(rng.randint(9, 24))]
    expected = stats.mannwhitneyu(x, y, alternative="two-sided")
    assert V.mann_whitney_u(x, y) == (float(expected.statistic), float(expected.pvalue))


def test_mann_whitney_of_identical_months_is_p_one_as_in_scipy() -> None:
    months = [5.0] * 12
    expected = stats.mannwhitneyu(months, months, alternative="two-sided")
    assert (float(expected.statistic), float(expected.pvalue)) == (72.0, 1.0)
    assert V.mann_whitney_u(months, months) == (72.0, 1.0)
