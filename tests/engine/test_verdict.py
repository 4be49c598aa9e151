"""Verdict methods against hand-computed cases, including zero counts and too little data."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from policeperf.engine import nonshared as NS
from policeperf.engine import verdict as V

FLAT = np.full(24, 100.0 / 12)


def _two_years(baseline: list[float], current: list[float]) -> np.ndarray:
    return np.array([*baseline, *current], dtype=float)


def test_windows_split_into_months_alone_and_shared() -> None:
    w = NS.split_windows(12, 0)  # April after an April-March baseline
    assert (w.current_only, w.baseline_only, w.shared) == (slice(12, 13), slice(0, 1), slice(1, 12))
    w = NS.split_windows(23, 0)  # March: the year after the baseline, nothing shared
    assert w.current_only == slice(12, 24) and w.months_not_shared == 12
    w = NS.split_windows(40, 0)  # a fixed baseline years before: nothing shared
    assert (w.current_only, w.baseline_only, w.shared) == (slice(29, 41), slice(0, 12), slice(0, 0))
    w = NS.split_windows(20, 12)  # a fixed baseline ending after the reporting month
    assert (w.current_only, w.baseline_only, w.shared) == (
        slice(9, 12),
        slice(21, 24),
        slice(12, 21),
    )


def test_shared_months_cancel_and_only_non_shared_months_are_tested() -> None:
    # June: the rolling 12 months share July-March with the baseline. A = 3 x 60, B = 3 x 50.
    x = _two_years([50.0] * 12, [60.0] * 3)
    x[3:12] = 1000.0  # the shared months, however large, change nothing
    v = V.count_vs_baseline(x, 14, 0, confidence=0.95)
    assert v.statistic == pytest.approx((180 - 150) / math.sqrt(330))
    assert v.dispersion == 1.0 and v.verdict == "Comparable"
    assert v.note == "3 months not shared with the baseline"


def test_poisson_z_with_no_shared_months_is_the_difference_over_root_sum() -> None:
    # March: 150 vs 100 over the whole years, Poisson (too little history for a dispersion).
    x = _two_years([100 / 12] * 12, [150 / 12] * 12)
    v = V.count_vs_baseline(x, 23, 0, confidence=0.95)
    assert v.statistic == pytest.approx(50 / math.sqrt(250))
    assert v.p_value == pytest.approx(V.two_sided_p(50 / math.sqrt(250)))
    z = V.z_for(0.95)
    assert (v.ci_low, v.ci_high) == pytest.approx(
        (50 - z * math.sqrt(250), 50 + z * math.sqrt(250))
    )
    assert v.verdict == "Higher" and v.direction == "up" and v.method == V.COUNT_METHOD
    y = _two_years([100 / 12] * 12, [120 / 12] * 12)
    assert V.count_vs_baseline(y, 23, 0, confidence=0.95).verdict == "Comparable"


def test_dispersion_is_the_double_differenced_residuals_over_their_poisson_variance() -> None:
    # 14 months before position 14: one residual, e = x13 - x1 - x12 + x0.
    x = np.array([[10.0, 20, 11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 30, 15, 99]])
    phi, n = NS.dispersion(x, x, 14)
    e = 15 - 20 - 30 + 10
    assert n.tolist() == [1]
    assert phi[0] == pytest.approx(e * e / (15 + 20 + 30 + 10))


def test_dispersion_skips_residuals_touching_a_month_without_data() -> None:
    x = np.array([[10.0, 20, 11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 30, np.nan, 99]])
    phi, n = NS.dispersion(x, x, 14)
    assert n.tolist() == [0] and np.isnan(phi[0])


def test_over_dispersion_widens_the_count_test_and_uses_a_t_reference() -> None:
    rng = np.random.default_rng(3)
    season = np.resize(100 + 30 * np.sin(np.arange(12)), 48)
    x = season + rng.normal(0, 25, 48)  # variance 625 on a mean of 100: phi about 6
    x[36:] += 40
    v = V.count_vs_baseline(x, 47, 24, confidence=0.95)
    t = NS.count_test(x[None, :], 47, 24, 0.95)
    phi, n = NS.dispersion(x[None, :], x[None, :], 47)
    a, b = x[36:48].sum(), x[24:36].sum()
    assert v.dispersion == pytest.approx(phi[0]) and phi[0] > 1
    assert v.statistic == pytest.approx((a - b) / math.sqrt(phi[0] * (a + b)))
    df = n[0] / 1.5
    assert t.df[0] == pytest.approx(df)
    assert v.p_value == pytest.approx(2 * stats.t.sf(abs(v.statistic), df))


def test_dispersion_never_falls_below_poisson() -> None:
    x = np.full(40, 10.0)
    assert V.count_vs_baseline(x, 39, 24, confidence=0.95).dispersion == 1.0


def test_zero_counts_in_both_periods_are_comparable_not_an_error() -> None:
    v = V.count_vs_baseline(np.zeros(24), 23, 0, confidence=0.95)
    assert v.verdict == "Comparable" and v.statistic == 0.0 and v.p_value == 1.0


def test_short_series_is_insufficient_data_and_identical_windows_are_not_tested() -> None:
    assert V.count_vs_baseline(FLAT[:20], 19, 10, confidence=0.95).verdict == "Insufficient data"
    same = V.count_vs_baseline(FLAT, 11, 0, confidence=0.95)
    assert same.verdict == "Comparable" and "nothing to compare" in same.note


def _proportions(x0: float, n0: float, x1: float, n1: float) -> tuple[np.ndarray, np.ndarray]:
    """Two years whose totals are x0/n0 and x1/n1, spread evenly over their months."""
    return (
        np.array([x0 / 12] * 12 + [x1 / 12] * 12),
        np.array([n0 / 12] * 12 + [n1 / 12] * 12),
    )


def test_proportions_with_no_shared_months_are_the_pooled_two_proportion_z() -> None:
    x, n = _proportions(48, 80, 56, 70)
    v = V.proportion_vs_baseline(x, n, 23, 0, confidence=0.95, polarity="up_is_good", minimum_n=30)
    pooled = 104 / 150
    se = math.sqrt(pooled * (1 - pooled) * (1 / 70 + 1 / 80))
    assert v.statistic == pytest.approx((56 / 70 - 48 / 80) / se)
    z = V.z_for(0.95)
    d = 56 / 70 - 48 / 80
    assert (v.ci_low, v.ci_high) == pytest.approx((100 * (d - z * se), 100 * (d + z * se)))
    assert v.verdict == "Improved"
    worse = V.proportion_vs_baseline(
        x, n, 23, 0, confidence=0.95, polarity="down_is_good", minimum_n=30
    )
    assert worse.verdict == "Deteriorated"
    neutral = V.proportion_vs_baseline(
        x, n, 23, 0, confidence=0.95, polarity="neutral", minimum_n=30
    )
    assert neutral.verdict == "Higher"


def test_proportions_that_share_months_count_the_shared_cases_once() -> None:
    # May: shared June-March. Baseline-only April+May 15/150, current-only April+May 30/150.
    x = np.array([10.0, 5] + [20.0] * 10 + [12.0, 18])
    n = np.array([100.0, 50] + [100.0] * 10 + [60.0, 90])
    v = V.proportion_vs_baseline(x, n, 13, 0, confidence=0.95, polarity="up_is_good", minimum_n=30)
    s, ns = 200, 1000
    a, na, b, nb = 30, 150, 15, 150
    n1, n0 = ns + na, ns + nb
    p = (s + a + b) / (ns + na + nb)
    var = p * (1 - p) * (ns * (1 / n1 - 1 / n0) ** 2 + na / n1**2 + nb / n0**2)
    assert v.statistic == pytest.approx(((s + a) / n1 - (s + b) / n0) / math.sqrt(var))


def test_a_difference_whose_interval_spans_zero_is_comparable() -> None:
    x, n = _proportions(48, 100, 52, 100)
    v = V.proportion_vs_baseline(x, n, 23, 0, confidence=0.95, polarity="up_is_good", minimum_n=30)
    assert v.verdict == "Comparable" and v.ci_low < 0 < v.ci_high and v.p_value > 0.05


def test_too_few_cases_for_a_rate_is_insufficient_data() -> None:
    x, n = _proportions(1, 10, 5, 10)
    v = V.proportion_vs_baseline(x, n, 23, 0, confidence=0.95, polarity="up_is_good", minimum_n=30)
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


def test_medians_compare_the_log_shift_of_non_shared_months() -> None:
    rng = np.random.default_rng(5)
    history = 60 * np.exp(rng.normal(0, 0.05, 36))
    now = 30 * np.exp(rng.normal(0, 0.05, 12))
    x = np.concatenate([history, now])
    v = V.medians_vs_baseline(x, 47, 24, confidence=0.95, polarity="down_is_good")
    d = np.log(x[36:]).mean() - np.log(x[24:36]).mean()
    sigma2, _ = NS.dispersion(np.log(x)[None, :], np.ones((1, 48)), 47)
    assert v.statistic == pytest.approx(d / math.sqrt(sigma2[0] * 2 / 12))
    assert v.verdict == "Improved" and v.direction == "down" and v.method == V.MEDIAN_METHOD
    # April with only the baseline year before it: no residual to measure variation by.
    short = V.medians_vs_baseline(x[24:37], 12, 0, confidence=0.95, polarity="down_is_good")
    assert short.verdict == "Insufficient data"


def test_confidence_level_changes_the_critical_value() -> None:
    assert V.z_for(0.95) == pytest.approx(1.959964)
    assert V.z_for(0.99) == pytest.approx(2.575829)
    # 135 vs 100: z = 35 / sqrt(235) = 2.28: significant at 95%, not at 99%.
    x = _two_years([100 / 12] * 12, [135 / 12] * 12)
    assert V.count_vs_baseline(x, 23, 0, confidence=0.95).verdict == "Higher"
    assert V.count_vs_baseline(x, 23, 0, confidence=0.99).verdict == "Comparable"


def test_critical_value_is_scipy_normal_quantile_to_the_last_bit() -> None:
    for confidence in (0.8, 0.9, 0.95, 0.99, 0.999):
        assert V.z_for(confidence) == float(stats.norm.ppf(0.5 + confidence / 2))


def test_benjamini_hochberg_matches_the_step_up_rule_by_hand() -> None:
    p = np.array([0.01, 0.04, 0.03, 0.005, np.nan])
    # sorted 0.005, 0.01, 0.03, 0.04 -> x 4/1, 4/2, 4/3, 4/4 = 0.02, 0.02, 0.04, 0.04
    assert NS.benjamini_hochberg(p)[:4] == pytest.approx([0.02, 0.04, 0.04, 0.02])
    assert np.isnan(NS.benjamini_hochberg(p)[4])


def test_chance_note_counts_tested_verdicts() -> None:
    text = V.chance_note(126, 0.95, "none")
    assert text == (
        "126 verdicts tested at 95% confidence; about 6 would show a difference by chance alone."
    )
    assert V.chance_note(30, 0.99, "none").endswith(
        "about 0 would show a difference by chance alone."
    )
    assert "Benjamini-Hochberg" in V.chance_note(1, 0.95, "benjamini_hochberg")
    assert V.chance_note(0, 0.95, "none") == ""


def _significant(v: V.Verdict) -> bool:
    return v.direction != "none"


@settings(max_examples=150, deadline=None)
@given(
    base=st.lists(st.integers(0, 400), min_size=36, max_size=36),
    now=st.lists(st.integers(0, 400), min_size=1, max_size=12),
    confidence=st.sampled_from([0.9, 0.95, 0.99]),
)
def test_count_p_value_interval_and_verdict_agree(
    base: list[int], now: list[int], confidence: float
) -> None:
    x = np.array([*base, *now], dtype=float)
    v = V.count_vs_baseline(x, len(x) - 1, 24, confidence=confidence)
    assert v.p_value is not None
    excludes = v.ci_low is not None and v.ci_high is not None and (v.ci_low > 0 or v.ci_high < 0)
    assert (v.p_value < 1 - confidence) == _significant(v) == excludes


@settings(max_examples=150, deadline=None)
@given(
    cases=st.lists(st.integers(1, 300), min_size=48, max_size=48),
    shares=st.lists(st.floats(0, 1), min_size=48, max_size=48),
    months=st.integers(1, 12),
)
def test_proportion_p_value_interval_and_verdict_agree(
    cases: list[int], shares: list[float], months: int
) -> None:
    n = np.array(cases[: 36 + months], dtype=float)
    x = np.round(n * np.array(shares[: 36 + months]))
    v = V.proportion_vs_baseline(
        x, n, len(n) - 1, 24, confidence=0.95, polarity="up_is_good", minimum_n=1
    )
    assert v.p_value is not None and v.ci_low is not None and v.ci_high is not None
    excludes = v.ci_low > 0 or v.ci_high < 0
    assert (v.p_value < 0.05) == _significant(v) == excludes


def test_benjamini_hochberg_setting_judges_each_months_verdicts_as_one_family() -> None:
    import pandas as pd

    from policeperf.engine.results import adjust_for_multiple_testing

    rows = pd.DataFrame({
        "month": ["2021-03"] * 4 + ["2021-02"],
        "p_value": [0.01, 0.04, 0.03, None, 0.04],
        "confidence": [0.95] * 5,
        "verdict": ["Higher", "Lower", "Improved", "Insufficient data", "Higher"],
        "verdict_direction": ["up", "down", "up", "none", "up"],
        "verdict_note": ["", "", "", "", ""],
    })  # fmt: skip
    none = adjust_for_multiple_testing(rows, "none")
    assert none["verdict"].tolist() == rows["verdict"].tolist()
    assert none["p_adjusted"].iloc[:3].tolist() == [0.01, 0.04, 0.03]
    bh = adjust_for_multiple_testing(rows, "benjamini_hochberg")
    # March: three tested, sorted 0.01, 0.03, 0.04 -> 0.03, 0.045, 0.04 -> monotone 0.03, 0.04, 0.04
    assert bh["p_adjusted"].iloc[:3].tolist() == pytest.approx([0.03, 0.04, 0.04])
    assert bh["verdict"].tolist() == ["Higher", "Lower", "Improved", "Insufficient data", "Higher"]
    assert bh["adjustment"].iloc[0] == "benjamini_hochberg" and pd.isna(bh["adjustment"].iloc[3])
    strict = adjust_for_multiple_testing(rows.assign(confidence=0.97), "benjamini_hochberg")
    assert strict["verdict"].tolist()[:3] == ["Higher", "Comparable", "Comparable"]
    assert "Benjamini-Hochberg" in strict["verdict_note"].iloc[1]
    assert strict["verdict"].iloc[4] == "Comparable"  # February alone: 0.04 >= 0.03
