"""Funnel limits with over-dispersion (Spiegelhalter 2005), each formula against a hand-worked
case."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policeperf.engine.funnel import (
    Z_95,
    Z_998,
    back,
    between_variance,
    dispersion_ratio,
    funnel,
    funnel_verdict,
    transform,
    winsorise,
)


def test_a_rate_is_its_standardised_ratio_on_the_square_root_scale() -> None:
    # 100 crimes in 1,000 people at a national 0.1 per head: E = 100, O/E = 1, s = 1/(2*10).
    assert transform(100, 1000, 0.1, "rate") == (1.0, 0.05, 1.0)
    # 121 crimes: sqrt(1.21) = 1.1
    assert transform(121, 1000, 0.1, "rate")[0] == pytest.approx(1.1)


def test_a_proportion_is_on_the_arcsine_square_root_scale() -> None:
    # p = 25/100: asin(sqrt(.25)) = asin(.5) = pi/6; s = 1/(2*sqrt(100)) = 0.05
    y, s, target = transform(25, 100, 0.25, "proportion")
    assert (y, s, target) == (pytest.approx(math.pi / 6), 0.05, pytest.approx(math.pi / 6))


def test_winsorising_moves_the_outer_tenths_to_the_10th_and_90th_percentiles() -> None:
    # 0..10: the 10th percentile is 1 and the 90th is 9 (linear interpolation).
    assert winsorise([float(i) for i in range(11)]).tolist() == [1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9]


def test_phi_is_the_mean_squared_z_score() -> None:
    # (1 + 1 + 4 + 4) / 4
    assert dispersion_ratio([1.0, -1.0, 2.0, -2.0]) == 2.5


def test_tau2_by_dersimonian_laird() -> None:
    # n = 4, phi = 2.5, s = 0.1 each so w = 100: (4*2.5 - 3) / (400 - 40000/400) = 7/300
    assert between_variance(2.5, [0.1] * 4) == pytest.approx(7 / 300)


def test_tau2_is_zero_when_not_over_dispersed() -> None:
    # n phi = 2 <= n - 1 = 3
    assert between_variance(0.5, [0.1] * 4) == 0.0


def test_unadjusted_limits_at_a_force_of_10000_people() -> None:
    # national 10 per 1,000 -> E = 100, s = 0.05; 95% limits (1 -/+ 1.96*0.05)^2 * 10
    f = funnel([100], [10_000], target=10.0, scale="rate", per=1000.0, adjustment="none")
    point = f.points[0]
    assert point.upper_95 == pytest.approx(12.056000455)
    assert point.lower_95 == pytest.approx(8.136072486)
    assert point.upper_998 == pytest.approx((1 + Z_998 * 0.05) ** 2 * 10)
    assert point.verdict == "within 95% limits"


def test_proportion_limits_for_100_offences_at_a_national_quarter() -> None:
    # sin^2(pi/6 -/+ 1.96 * 0.05)
    f = funnel([25], [100], target=0.25, scale="proportion", adjustment="none")
    assert f.points[0].upper_95 == pytest.approx(0.339113077)
    assert f.points[0].lower_95 == pytest.approx(0.170459866)


def two_forces(adjustment: str) -> object:
    # 80 and 120 crimes in 10,000 people each at a national 10 per 1,000: E = 100, s = 0.05,
    # z = (sqrt(.8) - 1)/.05 = -2.11146 and (sqrt(1.2) - 1)/.05 = 1.90890; winsorised to the
    # 10th/90th percentiles -1.70942 and 1.50687, so phi = (1.70942^2 + 1.50687^2)/2 = 2.59638,
    # and tau2 = (2*2.59638 - 1) / (800 - 2*400^2/800) = 0.0104819.
    return funnel([80, 120], [10_000, 10_000], target=10.0, scale="rate", per=1000.0,
                  adjustment=adjustment)  # type: ignore[arg-type]  # fmt: skip


def test_phi_and_tau2_of_two_forces_by_hand() -> None:
    f = two_forces("additive")
    assert f.phi == pytest.approx(2.596382188)  # type: ignore[attr-defined]
    assert f.tau2 == pytest.approx(0.010481911)  # type: ignore[attr-defined]


def test_additive_limits_widen_by_tau2() -> None:
    f = two_forces("additive")
    # (1 + 1.96 * sqrt(0.05^2 + 0.0104819))^2 * 10
    assert f.points[0].upper_95 == pytest.approx(14.964989706)  # type: ignore[attr-defined]
    assert f.points[0].verdict == "within 95% limits"  # type: ignore[attr-defined]


def test_multiplicative_limits_widen_by_root_phi() -> None:
    f = two_forces("multiplicative")
    # (1 + 1.96 * 0.05 * sqrt(2.59638))^2 * 10
    assert f.points[0].upper_95 == pytest.approx(13.407494822)  # type: ignore[attr-defined]


def test_without_adjustment_the_same_forces_lie_outside_the_95_limit() -> None:
    f = two_forces("none")
    assert [p.verdict for p in f.points] == ["below 95% limit", "within 95% limits"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("z", "verdict"),
    [
        (3.1, "above 99.8% limit"),
        (Z_998, "above 95% limit"),
        (2.0, "above 95% limit"),
        (Z_95, "within 95% limits"),
        (-1.0, "within 95% limits"),
        (-2.0, "below 95% limit"),
        (-3.5, "below 99.8% limit"),
    ],
)
def test_verdict_boundaries(z: float, verdict: str) -> None:
    assert funnel_verdict(z) == verdict


def test_a_lower_limit_below_zero_is_zero() -> None:
    assert back(-0.2, 10.0, "rate") == 0.0


@given(
    small=st.integers(min_value=100, max_value=10_000),
    extra=st.integers(min_value=1, max_value=1_000_000),
    tau2=st.sampled_from(["additive", "none"]),
)
def test_limits_narrow_as_forces_grow(small: int, extra: int, tau2: str) -> None:
    f = funnel([small // 10, (small + extra) // 10], [small, small + extra], target=100.0,
               scale="rate", per=1000.0, adjustment=tau2)  # type: ignore[arg-type]  # fmt: skip
    a, b = f.points
    assert a.upper_95 >= b.upper_95 - 1e-9
    assert a.lower_95 <= b.lower_95 + 1e-9
    assert a.lower_998 <= a.lower_95 <= a.upper_95 <= a.upper_998


@given(st.lists(st.integers(min_value=1, max_value=5000), min_size=3, max_size=30))
def test_the_additive_adjustment_never_makes_a_force_more_extreme(counts: list[int]) -> None:
    pops = [10_000] * len(counts)
    target = sum(counts) / sum(pops) * 1000
    f = funnel(counts, pops, target=target, scale="rate", per=1000.0)
    for p in f.points:
        assert abs(p.z_adjusted) <= abs(p.z) + 1e-9
