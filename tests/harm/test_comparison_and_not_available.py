"""The managed cohort's matched comparison group, and figures that cannot be computed (a rate
over nobody, a change from no harm) said as not available, never 0% or nan%."""

from __future__ import annotations

from datetime import date

import pandas as pd

from policeperf.harm.cohort import CohortResult, comparison_group
from policeperf.harm.reoffending import Cohort, Reoffending, measure
from policeperf.narrative.harm import cohort_sentences, comparison_sentence, reoffending_sentence

# Pre-adoption harm: ranks 1..8 are P1 (900), M1 (800), P2 (700), M2 (600), P3 (500), P4 (400),
# P5 (300), P6 (300); P7 had none. M1 and M2 are the cohort.
PRE = pd.Series(
    {"P1": 900.0, "M1": 800.0, "P2": 700.0, "M2": 600.0, "P3": 500.0, "P4": 400.0,
     "P6": 300.0, "P5": 300.0, "P7": 0.0}
)  # fmt: skip


def test_the_comparison_group_is_the_people_ranked_next_below_the_lowest_member() -> None:
    group = comparison_group(PRE, {"M1", "M2"}, 2)
    # The top non-members would be P1 and P2, more harmful than the cohort: not a match.
    assert group.people == ["P3", "P4"]
    assert (group.lowest_member_rank, group.first_rank, group.last_rank) == (4, 5, 6)


def test_ties_below_the_cohort_are_broken_by_id_and_a_short_list_says_so() -> None:
    group = comparison_group(PRE, {"M1", "M2", "P3", "P4"}, 4)
    assert group.people == ["P5", "P6"]  # 300 each, by id; P7 has no harm and is not ranked
    assert (group.lowest_member_rank, group.first_rank, group.last_rank) == (6, 7, 8)


def test_no_comparison_group_when_no_member_had_harm_before_or_nobody_is_below() -> None:
    none_before = comparison_group(PRE, {"P7", "X"}, 2)
    assert none_before.people == [] and "no member of the cohort had harm" in str(
        none_before.why_none
    )
    bottom = comparison_group(PRE, {"P5", "P6"}, 2)
    assert bottom.people == [] and bottom.lowest_member_rank == 8
    assert "nobody with harm before adoption is ranked below" in str(bottom.why_none)


def _cohort(before: float, comparison: dict | None) -> CohortResult:
    totals = {"people": 2.0, "before_harm": before, "after_harm": 50.0, "before_offences": 0.0,
              "after_offences": 1.0, "harm_change_pct": 100 * (50 / before - 1) if before else None}  # fmt: skip
    return CohortResult(12, pd.DataFrame(), totals, comparison)


def test_the_comparison_group_and_how_it_was_chosen_are_stated() -> None:
    c = {"people": 2.0, "wanted": 2.0, "before_harm": 900.0, "after_harm": 450.0,
         "harm_change_pct": -50.0, "as_if_adopted": "2020-01-01",
         "ranked_on": "01 January 2019 to 31 December 2019", "lowest_member_rank": 4,
         "first_rank": 5, "last_rank": 6, "why_none": None}  # fmt: skip
    text = comparison_sentence(c)
    assert text == (
        "Comparison group: the 2 people ranked just below the cohort's lowest-ranked member "
        "(rank 4) on harm from 01 January 2019 to 31 December 2019, ranks 5 to 6, none of them "
        "in the cohort; as if adopted 2020-01-01: harm 900 and 450 days (-50.0%)."
    )
    short = comparison_sentence({**c, "people": 1.0, "last_rank": 5})
    assert "(only 1 of the 2 wanted are ranked below)" in short


def test_a_change_from_no_harm_is_not_available_never_nan() -> None:
    lines = cohort_sentences(_cohort(0.0, None))
    assert "change not available: no harm before adoption" in lines[0]
    assert "nan" not in " ".join(lines).lower()
    c = {"people": 1.0, "wanted": 2.0, "before_harm": 0.0, "after_harm": 5.0,
         "harm_change_pct": None, "as_if_adopted": "2020-01-01", "ranked_on": "x",
         "lowest_member_rank": 1, "first_rank": 2, "last_rank": 2, "why_none": None}  # fmt: skip
    assert "change not available: no harm before adoption" in comparison_sentence(c)
    assert comparison_sentence({}).startswith("No comparison group:")


def test_reoffending_over_no_offenders_is_not_available_with_its_reason() -> None:
    empty = pd.DataFrame(columns=["person_id", "crime_id", "offence", "disposed"])
    result = measure(empty, Cohort.parse("2019Q1"), data_end=date(2021, 12, 31))
    assert (result.binary_rate_pct, result.per_offender, result.per_reoffender) == (
        None,
        None,
        None,
    )
    payload = result.as_dict()
    assert payload["binary_rate_pct"] is None
    assert payload["binary_rate_not_available"] == (
        "no offender had a qualifying disposal (charge/summons or caution) from "
        "01 January 2019 to 31 March 2019"
    )
    text = reoffending_sentence(result)
    assert text == (
        "0 offenders; the reoffending rate and reoffences per offender and per reoffender are "
        "not available: no offender had a qualifying disposal (charge/summons or caution) from "
        "01 January 2019 to 31 March 2019."
    )
    assert "0.0%" not in text and "0.00" not in text and "nan" not in text.lower()


def test_reoffending_with_nobody_reoffending_is_0_percent_but_per_reoffender_not_available() -> (
    None
):
    result = Reoffending(Cohort.parse("2019Q1"), offenders=4, reoffenders=0, reoffences=0)
    text = reoffending_sentence(result)
    assert text == (
        "4 offenders; 0 reoffended (0.0%); 0 reoffences: 0.00 per offender, per reoffender not "
        "available: no offender of the cohort reoffended."
    )
    assert (
        result.as_dict()["per_reoffender_not_available"] == "no offender of the cohort reoffended"
    )
