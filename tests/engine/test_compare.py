"""Comparisons between areas: each place against the others of its level, by the verdict tests,
with hand-worked figures."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from policeperf.engine import compare
from policeperf.engine import verdict as V
from policeperf.report.suppress import suppress
from tests.report import suppression_cases as C

NORTH = {"Fenmoor", "Hunton", "Northam"}


def counts(
    solved_north: float = 3.0, solved_south: float = 1.0
) -> dict[str, dict[str, np.ndarray]]:
    """Ten crimes a month in every district; North solves `solved_north` a month per district."""
    ten = {d: np.full(len(C.MONTHS), 10.0) for d in C.DISTRICTS}
    solved = {
        d: np.full(len(C.MONTHS), solved_north if d in NORTH else solved_south) for d in C.DISTRICTS
    }
    return {"crimes": ten, "den": ten, "solved": solved, "harm_crimes": ten,
            "harm": {d: c * 30 for d, c in ten.items()}}  # fmt: skip


def compared(results: pd.DataFrame, since: date = C.MONTHS[12]) -> pd.DataFrame:
    return compare.compare_areas(
        results, compare.methods_for(C.FRAMEWORK), confidence=0.95, minimum_n=30, since=since
    )


def row(frame: pd.DataFrame, measure: str, area: str, month: date = C.REPORTING) -> pd.Series:
    return frame[
        (frame["measure_id"] == measure) & (frame["area"] == area) & (frame["month"] == month)
    ].iloc[0]


def test_two_poisson_rates_by_hand() -> None:
    # (0.15 - 0.10) / sqrt(150 / 1000^2 + 100 / 1000^2) = 0.05 / 0.0158114 = 3.1623
    v = compare.rates_compare(150, 1000, 100, 1000, confidence=0.95)
    assert (v.verdict, v.direction) == ("Higher", "up")
    assert v.statistic == pytest.approx(3.16228, abs=1e-5)
    assert v.p_value == pytest.approx(math.erfc(3.16228 / math.sqrt(2)), rel=1e-4)


def test_over_dispersion_of_each_place_widens_the_test() -> None:
    # 130 vs 100: z = 0.03 / sqrt(2.3e-4) = 1.978, significant; with phi = 2: z = 0.03 / sqrt(4.6e-4) = 1.3988, not significant.
    plain = compare.rates_compare(130, 1000, 100, 1000, confidence=0.95)
    assert plain.statistic == pytest.approx(1.97814, abs=1e-5) and plain.verdict == "Higher"
    wide = compare.rates_compare(130, 1000, 100, 1000, phi=2.0, confidence=0.95)
    assert wide.statistic == pytest.approx(1.39876, abs=1e-5)
    assert (wide.verdict, wide.direction) == ("Comparable", "none")


def test_equal_rates_on_different_populations_are_comparable() -> None:
    v = compare.rates_compare(100, 1000, 300, 3000, confidence=0.95)
    assert (v.verdict, v.statistic) == ("Comparable", 0.0)
    assert compare.rates_compare(0, 1000, 0, 500, confidence=0.95).verdict == "Comparable"
    assert compare.rates_compare(5, 0, 5, 500, confidence=0.95).verdict == V.INSUFFICIENT


def test_two_areas_outcome_rates_are_tested_against_each_other() -> None:
    out = compared(C.results_from(counts()))
    north, south = row(out, "solved", "North"), row(out, "solved", "South")
    # North 108 / 360 = 30%, South 36 / 360 = 10%; pooled 0.2:
    # z = 0.2 / sqrt(0.2 x 0.8 x 2 / 360) = 0.2 / 0.0298142 = 6.7082
    assert north["comparison_statistic"] == pytest.approx(6.70820, abs=1e-5)
    assert south["comparison_statistic"] == pytest.approx(-6.70820, abs=1e-5)
    assert (north["compared_with"], north["comparison"], north["comparison_direction"]) == (
        "South", "Higher", "up",
    )  # fmt: skip
    assert (south["compared_with"], south["comparison"]) == ("North", "Lower")
    assert north["comparison_method"] == "places_two_proportion"
    expected = compare.proportions_compare(108, 360, 36, 360, confidence=0.95,
                                           minimum_n=30)  # fmt: skip
    assert (north["comparison_ci_low"], north["comparison_ci_high"]) == (
        pytest.approx(expected.ci_low), pytest.approx(expected.ci_high),
    )  # fmt: skip
    assert north["baseline_comparison_direction"] == "up"  # 2019/20 had the same rates


def test_a_district_is_tested_against_the_other_districts_combined() -> None:
    out = compared(C.results_from(counts()))
    northam = row(out, "solved", "Northam")
    assert northam["compared_with"] == "the other 5 districts combined"
    # Northam 36 / 120 against 108 / 600: the same test on those sums.
    expected = compare.proportions_compare(36, 120, 108, 600, confidence=0.95,
                                           minimum_n=30)  # fmt: skip
    assert northam["comparison_statistic"] == pytest.approx(expected.statistic)
    assert northam["comparison"] == "Higher"


def test_rates_per_population_use_each_areas_population() -> None:
    out = compared(C.results_from(counts()))
    north = row(out, "per1000", "North")
    # 360 crimes on 120,000 residents against 360 on 90,000; no dispersion held gives phi = 1:
    # z = (0.003 - 0.004) / sqrt(360 / 120000^2 + 360 / 90000^2) = -3.7947
    assert north["comparison_method"] == "poisson_rates_overdispersed"
    assert north["comparison_statistic"] == pytest.approx(-3.79473, abs=1e-5)
    assert north["comparison"] == "Lower"


def test_counts_and_harm_are_not_compared_between_places_of_different_size() -> None:
    out = compared(C.results_from(counts()))
    for measure in ("crimes", "harm"):
        assert row(out, measure, "North")[list(compare.COLUMNS)].isna().all()


def test_months_before_the_verdict_window_and_the_force_row_are_not_compared() -> None:
    out = compared(C.results_from(counts()), since=C.REPORTING)
    assert pd.isna(row(out, "solved", "North", C.MONTHS[-2])["comparison"])
    assert row(out, "solved", "North")["comparison"] == "Higher"
    assert out.loc[out["area_level"] == "force", "comparison"].isna().all()


def test_a_place_without_its_figure_stops_the_comparison_of_its_level() -> None:
    results = C.results_from(counts())
    hole = (results["measure_id"] == "solved") & (results["area"] == "Southdale")
    results.loc[hole, "status"] = "no_data"
    out = compared(results)
    districts = out[(out["measure_id"] == "solved") & (out["area_level"] == "district")]
    assert districts["comparison"].isna().all()
    assert row(out, "solved", "North")["comparison"] == "Higher"  # the areas still stand


def test_too_few_cases_give_insufficient_data_not_a_verdict() -> None:
    few = counts()
    some = ("Northam", "Cambury")  # 2 crimes a month each: 24 a year per area, below 30
    few["den"] = {d: np.full(len(C.MONTHS), 2.0 if d in some else 0.0) for d in C.DISTRICTS}
    few["solved"] = {d: np.full(len(C.MONTHS), 1.0 if d in some else 0.0) for d in C.DISTRICTS}
    out = compared(C.results_from(few))
    assert row(out, "solved", "North")["comparison"] == V.INSUFFICIENT


def test_a_public_version_hides_every_comparison_of_a_level_with_a_hidden_figure() -> None:
    few = counts()
    few["crimes"] = {d: np.full(len(C.MONTHS), 10.0 if d != "Eastfield" else 0.0)
                     for d in C.DISTRICTS}  # fmt: skip
    few["crimes"]["Eastfield"][-1] = 1.0  # one crime: Eastfield's 12 months are small
    few["den"] = few["crimes"]
    few["solved"] = {d: np.zeros(len(C.MONTHS)) for d in C.DISTRICTS}
    out = suppress(compared(C.results_from(few)), 5, parents=C.PARENTS)
    hunton = row(out, "solved", "Hunton")
    assert not hunton["suppressed"]  # its own figures stand ...
    assert hunton["comparison"] == "Suppressed"  # ... but its test includes Eastfield
    assert pd.isna(hunton["comparison_direction"])
    assert hunton["comparison_statistic"] in ("[c]", None)
