"""SPC rules against hand-worked edge cases (golden file) and direct checks of each rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from policeperf.engine.spc import (
    assurance,
    compute_limits,
    evaluate_spc,
    limits_per_point,
    shift,
    trend,
)

CASES = json.loads((Path(__file__).parent / "spc_cases.json").read_text())["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_rule_edge_cases_match_the_hand_worked_golden_file(case: dict) -> None:
    result = evaluate_spc(
        case["values"],
        polarity=case["polarity"],
        shift_points=case.get("shift_points", 7),
        rebase_at=case.get("rebase_at", ()),
    )
    assert result.rules == case["rules"]
    assert result.classes == case["classes"]


def test_limits_are_mean_plus_minus_2_66_mean_moving_range() -> None:
    limits = compute_limits([12, 10] * 6)
    assert limits is not None
    assert limits.mean == 11
    assert limits.upper == pytest.approx(11 + 2.66 * 2)
    assert limits.lower_near == pytest.approx(11 - 2 / 3 * 2.66 * 2)


def test_limits_lock_after_the_baseline_points_and_are_trial_before() -> None:
    values = [12, 10] * 6 + [30, 30]
    limits = limits_per_point(values, baseline_points=12)
    assert limits[0] is None
    assert limits[10] is not None and not limits[10].locked
    assert limits[11] is not None and limits[11].locked
    assert limits[13] == limits[11]


def test_screening_drops_a_huge_moving_range_as_nelson_advises() -> None:
    values = [10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 60]
    plain = compute_limits(values)
    screened = compute_limits(values, screen_outliers=True)
    assert plain is not None and screened is not None
    assert screened.upper - screened.mean < plain.upper - plain.mean
    assert screened.upper - screened.mean == pytest.approx(2.66 * 1)


def test_a_tie_neither_breaks_nor_extends_a_trend() -> None:
    assert trend([1, 2, 3, 3, 4, 5, 6, 7]) == ["high"] * 8
    assert trend([1, 2, 3, 3, 4, 5, 6]) == [""] * 7
    assert trend([7, 6, 5, 4, 3, 2, 1]) == ["low"] * 7
    assert trend([1, 2, 3, 4, 5, 6]) == [""] * 6


def test_a_point_on_the_mean_breaks_a_shift() -> None:
    limits = limits_per_point([12, 10] * 6 + [12, 12, 12, 11, 12, 12, 12, 12], baseline_points=12)
    values = [12, 10] * 6 + [12, 12, 12, 11, 12, 12, 12, 12]
    assert shift(values, limits, 7)[12:] == [""] * 8


def test_assurance_compares_the_target_with_the_limits() -> None:
    limits = compute_limits([92, 94] * 6)  # mean 93, limits 93 +/- 5.32
    assert assurance(limits, 80, "up_is_good") == "consistently_pass"
    assert assurance(limits, 99, "up_is_good") == "consistently_fail"
    assert assurance(limits, 93, "up_is_good") == "hit_or_miss"
    assert assurance(limits, 80, "down_is_good") == "consistently_fail"
    assert assurance(limits, None, "up_is_good") is None
