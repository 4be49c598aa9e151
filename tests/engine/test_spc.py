"""SPC against NHSRplotthedots: every assertion of its test suite about limits, rules and point
types, ported (each case names the reference test it comes from), and our own edge cases with
their working. Whole series are in spc_cases.json; the rules one by one are below."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from policeperf.engine.spc import (
    Limits,
    SpcOptions,
    assurance,
    decide,
    evaluate_spc,
    group_limits,
    point_type,
    shift,
    trend,
    trend_direction,
    two_of_three,
)

CASES = json.loads((Path(__file__).parent / "spc_cases.json").read_text())["cases"]
POINT_TYPE_R = "NHSRplotthedots tests/testthat/test-ptd_calculate_point_type.R"


def _options(case: dict[str, Any]) -> SpcOptions:
    found = dict(case.get("options", {}))
    if "bounds" in found:
        found["bounds"] = tuple(found["bounds"])
    return SpcOptions(**found)


def _close(found: float, expected: float | None, tolerance: float) -> bool:
    if expected is None:
        return math.isnan(found)
    return found == pytest.approx(expected, rel=tolerance, abs=1e-9 if tolerance == 0 else 0)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_whole_series_get_the_reference_types_rules_and_limits(case: dict[str, Any]) -> None:
    values = np.array([np.nan if v is None else v for v in case["values"]], dtype=float)
    result = evaluate_spc(
        values,
        improvement=case.get("improvement", "increase"),
        rebase_at=case.get("rebase_at", ()),
        options=_options(case),
    )
    assert list(result.types) == case["types"]
    if "rules" in case:
        assert list(result.rules) == case["rules"]
    if "variation" in case:
        assert result.variation == case["variation"]
    tolerance = case.get("tolerance", 1e-12)
    for group in case.get("limits", ()):
        at = group["from"]
        for column in ("mean", "lower", "upper", "lower_near", "upper_near"):
            if column in group:
                found = float(getattr(result, column)[at])
                assert _close(found, group[column], tolerance), (column, found, group[column])
    if "locked" in case:
        assert bool(result.locked.all()) is case["locked"]


# ptd_spc_standard: limits -------------------------------------------------------------------

RNORM = next(c for c in CASES if c["name"].startswith("rnorm(20) with seed 123"))["values"]


def test_screening_outliers_narrows_limits_that_one_wild_point_widens() -> None:
    """test-ptd_spc_standard.R 'it returns expected values': y[15] <- 10; all three sets of
    limits differ and the unscreened range is the widest."""
    wild = list(RNORM)
    wild[14] = 10.0
    r1 = evaluate_spc(RNORM)
    r2 = evaluate_spc(wild)
    r3 = evaluate_spc(wild, options=SpcOptions(screen_outliers=False))
    for a, b in ((r1, r2), (r1, r3), (r2, r3)):
        assert a.lower[0] != b.lower[0] and a.upper[0] != b.upper[0]
    assert r3.upper[0] - r3.lower[0] > r2.upper[0] - r2.lower[0]


def test_fixing_after_12_points_changes_the_limits() -> None:
    """test-ptd_spc_standard.R 'setting fix_after_n_points changes the calculations'."""
    s0 = evaluate_spc(RNORM)
    s1 = evaluate_spc(RNORM, options=SpcOptions(fix_after=12))
    assert s1.lower[0] != s0.lower[0] and s1.upper[0] != s0.upper[0]
    mean, amr = group_limits(np.array(RNORM[:12]))
    assert s1.mean[0] == pytest.approx(mean)
    assert s1.upper[-1] == pytest.approx(mean + 2.66 * amr)


def test_a_rebase_starts_a_new_group() -> None:
    """test-ptd_spc_standard.R 'it sets the rebase_group field'."""
    assert evaluate_spc(RNORM).group.tolist() == [0] * 20
    assert evaluate_spc(RNORM, rebase_at=[10]).group.tolist() == [0] * 10 + [1] * 10


def test_limits_are_mean_plus_minus_2_66_mean_moving_range_and_near_limits_two_thirds() -> None:
    result = evaluate_spc([12.0, 10.0] * 6)
    assert result.mean[0] == 11
    assert result.upper[0] == pytest.approx(11 + 2.66 * 2)
    assert result.lower_near[0] == pytest.approx(11 - 2 / 3 * 2.66 * 2)


def test_screening_keeps_only_moving_ranges_strictly_below_3_267_times_their_mean() -> None:
    # Moving ranges 1 x 10 and 60 - 10 = 50: mean 60/11; 50 >= 3.267 x 5.45, dropped.
    values = np.array([10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 60], dtype=float)
    assert group_limits(values, screen_outliers=False)[1] == pytest.approx(60 / 11)
    assert group_limits(values)[1] == pytest.approx(1.0)


# ptd_calculate_point_type: the rules one by one ---------------------------------------------


@pytest.mark.parametrize(
    ("rtm", "expected"),
    [
        ([], []),
        ([1] * 6, [0] * 6),
        ([1] * 6 + [-1], [0] * 7),
        ([1] * 8 + [-1], [1] * 8 + [0]),
        ([-1] * 8 + [1], [1] * 8 + [0]),
        ([-1] + [1] * 8 + [-1], [0] + [1] * 8 + [0]),
        ([1] + [-1] * 8 + [1], [0] + [1] * 8 + [0]),
        ([-1] + [1] * 7 + [-1], [0] + [1] * 7 + [0]),
        ([1] * 3 + [0] + [1] * 3, [0] * 7),
        ([1] * 7, [1] * 7),
        ([0] * 8, [0] * 8),
        ([1] * 7 + [-1] * 7, [1] * 14),
        ([1] * 7 + [0] + [-1] * 6, [1] * 7 + [0] * 7),
    ],
)
def test_shift_flags_every_point_of_seven_or_more_on_one_side(
    rtm: list[int], expected: list[int]
) -> None:
    """test-ptd_calculate_point_type.R 'ptd_seven_point_one_side_mean works as expected' and
    'ptd_part_of_seven_trend works as expected' (flags spread to the run's seven points); the last
    rows are ours: a point on the mean breaks the run, and is in none."""
    assert shift(np.array(rtm, dtype=np.int64)).astype(int).tolist() == expected


@pytest.mark.parametrize(
    ("y", "expected", "direction"),
    [
        ([], [], []),
        ([1, 2, 3, 4, 5, 6], [0] * 6, None),
        ([1, 2, 3, 3, 4, 5, 6], [0] * 7, None),
        ([1, 2, 3, 4, 5, 6, 7], [1] * 7, [1] * 7),
        ([2, 1, 2, 3, 4, 5, 6, 7, 3], [0] + [1] * 7 + [0], [1] * 7),
        ([7, 6, 5, 4, 3, 2, 1], [1] * 7, [-1] * 7),
        ([2, 7, 6, 5, 4, 3, 2, 1, 3], [0] + [1] * 7 + [0], [-1] * 7),
        ([1, 2, 3, 4, 5, 6, 7, 7], [1] * 7 + [0], [1] * 7),
    ],
)
def test_trend_flags_seven_points_each_strictly_higher_or_lower(
    y: list[float], expected: list[int], direction: list[int] | None
) -> None:
    """test-ptd_calculate_point_type.R 'ptd_seven_point_trend works as expected' (a tie in
    c(1:3, 3:6) breaks the trend); the last row is ours."""
    values = np.array(y, dtype=float)
    flags = trend(values)
    assert flags.astype(int).tolist() == expected
    if direction is not None:
        assert trend_direction(values, flags)[flags].tolist() == direction


def test_a_trend_point_takes_the_direction_of_the_step_after_it_when_that_is_a_trend_too() -> None:
    """The reference reads a peak shared by a rise and a fall as part of the fall."""
    values = np.array([1, 2, 3, 4, 5, 6, 7, 6, 5, 4, 3, 2, 1], dtype=float)
    flags = trend(values)
    assert flags.all()
    assert trend_direction(values, flags).tolist() == [1] * 6 + [-1] * 7


@pytest.mark.parametrize(
    ("close", "rtm", "expected"),
    [
        ([], [], []),
        ([0, 0, 0], [0, 0, 0], [0, 0, 0]),
        ([1, 0, 1], [1, 1, 1], [1, 0, 1]),
        ([0, 1, 1], [1, 1, 1], [0, 1, 1]),
        ([1, 1, 0], [1, 1, 1], [1, 1, 0]),
        ([0, 0, 1, 0, 1, 0, 0], [1] * 7, [0, 0, 1, 0, 1, 0, 0]),
        ([0, 0, 1, 1, 0, 0, 0], [1] * 7, [0, 0, 1, 1, 0, 0, 0]),
        ([1, 0, 0, 1], [1] * 4, [0, 0, 0, 0]),
        ([1, 0, 0, 1, 1], [1] * 5, [0, 0, 0, 1, 1]),
        ([1, 0, 1], [1, -1, 1], [0, 0, 0]),
        ([0, 1, 1], [1, -1, 1], [0, 0, 0]),
        ([1, 1, 0], [1, -1, 1], [0, 0, 0]),
        ([0, 0, 1, 0, 1, 0, 0], [1, -1, 1, -1, 1, -1, 1], [0] * 7),
        ([0, 0, 1, 1, 0, 0, 0], [-1, 1, -1, 1, -1, 1, -1], [0] * 7),
    ],
)
def test_two_of_three_flags_the_near_limit_points_of_a_same_side_window(
    close: list[int], rtm: list[int], expected: list[int]
) -> None:
    """test-ptd_calculate_point_type.R 'ptd_part_of_two_in_three works as expected' and 'ptd_two_in_three
    works as expected when points are on opposite sides of the mean'."""
    found = two_of_three(np.array(close, dtype=bool), np.array(rtm, dtype=np.int64))
    assert found.astype(int).tolist() == expected


def test_precedence_is_astronomical_then_trend_then_two_of_three_then_shift() -> None:
    """test-ptd_calculate_point_type.R 'ptd_special_cause_type works as expected': trend on points 1-2
    (y = 1:8 rising), shift 3-4, two in three 5, outside the limits 6-7 below the mean."""
    y = np.arange(1.0, 9.0)
    in_trend = np.array([1, 1, 0, 0, 0, 0, 0, 0], dtype=bool)
    rules, dirs = decide(
        outside=np.array([0, 0, 0, 0, 0, 1, 1, 0], dtype=bool),
        in_trend=in_trend,
        trend_dir=trend_direction(y, in_trend),
        two_in_three=np.array([0, 0, 0, 0, 1, 0, 0, 0], dtype=bool),
        in_shift=np.array([0, 0, 1, 1, 0, 0, 0, 0], dtype=bool),
        relative_to_mean=np.array([1, 1, 1, 1, -1, -1, -1, -1], dtype=np.int64),
    )
    assert rules == ["trend", "trend", "shift", "shift", "two_of_three"] + ["astronomical"] * 2 + [
        ""
    ]
    assert dirs == [1, 1, 1, 1, -1, -1, -1, 0]
    assert [point_type(d, "increase") for d in dirs] == (
        ["special_cause_improvement"] * 4 + ["special_cause_concern"] * 3 + ["common_cause"]
    )


def test_point_type_turns_the_direction_by_the_improvement_direction() -> None:
    assert point_type(1, "decrease") == "special_cause_concern"
    assert point_type(-1, "decrease") == "special_cause_improvement"
    assert point_type(1, "neutral") == "special_cause_neutral_high"
    assert point_type(-1, "neutral") == "special_cause_neutral_low"
    assert point_type(0, "neutral") == "common_cause"


def test_a_downward_trend_above_the_mean_is_a_decrease() -> None:
    # Mean 73/16 = 4.5625; moving ranges 1 x 6, 2, 0 x 6, 3, 0: the 3 is screened out, mean
    # moving range 8/14, limits 4.5625 +/- 1.52. The 6 is above the mean, inside the limits,
    # and part of the fall 10..4: a decrease, so a concern when higher is better.
    values = [10, 9, 8, 7, 6, 5, 4, 2, 2, 2, 2, 2, 2, 2, 5, 5]
    result = evaluate_spc(values, improvement="increase")
    assert result.mean[4] == 4.5625 and result.upper[4] == pytest.approx(6.0825)
    assert result.rules[4] == "trend" and result.types[4] == "special_cause_concern"
    # Outside the upper limit, the 10 is judged by that first: an improvement.
    assert result.rules[0] == "astronomical,trend"
    assert result.types[0] == "special_cause_improvement"


def test_limits_from_a_named_period_are_held_after_it() -> None:
    # The period is the four points 10, 12, 10, 12: mean 11, moving ranges 2, limits 11 +/- 5.32.
    values = [0, 0, 10, 12, 10, 12, 30]
    period = np.array([0, 0, 1, 1, 1, 1, 0], dtype=bool)
    result = evaluate_spc(values, limits_from=period)
    assert result.mean.tolist() == [11] * 7
    assert result.upper[0] == pytest.approx(16.32)
    assert result.locked.all()
    assert result.types == ("special_cause_concern",) * 2 + ("common_cause",) * 4 + (
        "special_cause_improvement",
    )


def test_a_group_outside_the_named_period_takes_all_its_points() -> None:
    values = [10, 12, 10, 12, 30, 32, 30, 32]
    period = np.array([1, 1, 1, 1, 0, 0, 0, 0], dtype=bool)
    result = evaluate_spc(values, rebase_at=[4], limits_from=period)
    assert result.mean.tolist() == [11] * 4 + [31] * 4
    assert result.locked.tolist() == [False] * 8  # the period is the first group's every point


def test_fixing_limits_on_fewer_than_12_points_is_refused_as_in_the_reference() -> None:
    """test-ptd_spc_options.R 'fix_after_n_points must be a single numeric that is greater than or
    equal to 12.'"""
    with pytest.raises(ValueError, match="expected at least 12"):
        SpcOptions(fix_after=11)


def test_an_unknown_improvement_direction_is_refused() -> None:
    with pytest.raises(ValueError, match="expected increase, decrease or neutral"):
        evaluate_spc([1.0, 2.0], improvement="up")


# ptd_calculate_assurance_type ---------------------------------------------------------------

LIMITS = [Limits(2, 1, 3, 0, 0, False), Limits(6, 5, 7, 0, 0, False), Limits(4, 1, 5, 0, 0, False)]


@pytest.mark.parametrize(
    ("improvement", "expected"),
    [
        ("increase", ["consistently_fail", "consistently_pass", "hit_or_miss"]),
        ("decrease", ["consistently_pass", "consistently_fail", "hit_or_miss"]),
        ("neutral", [None, None, None]),
    ],
)
def test_assurance_compares_a_target_of_4_with_the_limits(
    improvement: str, expected: list[str | None]
) -> None:
    """test-ptd_calculate_assurance_type.R: limits (1, 3), (5, 7), (1, 5) against a target of 4
    (consistent_fail / consistent_pass / inconsistent in the reference's words)."""
    assert [assurance(lim, 4, improvement) for lim in LIMITS] == expected


def test_assurance_needs_a_target_and_treats_a_target_on_a_limit_as_hit_or_miss() -> None:
    """test-ptd_calculate_assurance_type.R 'it returns a column of NA's if there is no target'."""
    assert assurance(LIMITS[0], None, "increase") is None
    assert assurance(LIMITS[0], 3, "increase") == "hit_or_miss"


def test_assurance_is_judged_on_the_latest_group() -> None:
    """test-ptd_calculate_assurance_type.R 'it returns correct values for assurance when rebase'."""
    result = evaluate_spc([1, 3] * 6 + [11, 13] * 6, rebase_at=[12])
    # The latest limits 12 +/- 5.32 are above 4: lower is better, so the target is failed.
    assert assurance(result.limits(23), 4, "decrease") == "consistently_fail"
    assert assurance(result.limits(23), 4, "increase") == "consistently_pass"
    assert assurance(result.limits(0), 4, "decrease") == "hit_or_miss"
