"""The demo force reproduces the published 2019/20 and 2020/21 figures, computed here directly
from the store with SQL written for the test (not the engine's code)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from policeperf.store import Store
from policeperf.synth import write_demo_exports
from policeperf.synth.allocate import count_for_rate, largest_remainder, pin_change
from policeperf.synth.services import exact_median_sample

FY = {"2019/20": ("2019-04-01", "2020-04-01"), "2020/21": ("2020-04-01", "2021-04-01")}
POSITIVE = "[1, 2, 3, 4, 6, 7, 8]"

MEASURES = {
    "all_crime": ("TRUE", {"2020/21": (59_883, 13.0), "2019/20": (67_882, 10.8)}),
    "domestic_abuse": ("domestic_abuse", {"2020/21": (12_196, 11.5), "2019/20": (10_660, 10.3)}),
    "csa": ("csa", {"2020/21": (843, 19.9), "2019/20": (778, 11.6)}),
    "serious_sexual": (
        "offence_subgroup = 'Rape offences' OR offence_code IN ('20A', '17A', '22A')",
        {"2020/21": (1_589, 8.4), "2019/20": (1_620, 6.4)},
    ),
    "rape": ("offence_subgroup = 'Rape offences'", {"2020/21": (819, 7.0), "2019/20": (777, 3.5)}),
    "modern_slavery": ("offence_code = '106'", {"2020/21": (91, None), "2019/20": (68, None)}),
    "dwelling_burglary": (
        "offence_subgroup = 'Domestic burglary'",
        {"2020/21": (1_242, 14.3), "2019/20": (2_058, 11.3)},
    ),
    "theft_of_motor_vehicle": (
        "offence_subgroup = 'Theft of a motor vehicle'",
        {"2020/21": (893, 6.7), "2019/20": (1_145, 7.2)},
    ),
    "hate": ("hate", {"2020/21": (1_368, 15.9), "2019/20": (1_330, 13.7)}),
    "sharp_instrument": ("sharp_instrument", {"2020/21": (1_372, 24.4), "2019/20": (1_577, 22.9)}),
    "possession_of_weapons": (
        "offence_category = 'Possession of weapons'",
        {"2020/21": (563, 47.8), "2019/20": (670, 40.9)},
    ),
    "drugs": ("offence_category = 'Drugs'", {"2020/21": (2_160, 66.3), "2019/20": (1_649, 60.6)}),
}


@pytest.mark.parametrize("measure", sorted(MEASURES))
@pytest.mark.parametrize("fy", sorted(FY))
def test_recorded_crime_and_positive_outcome_rate_match_the_published_year(
    demo_store: Store, measure: str, fy: str
) -> None:
    condition, expected = MEASURES[measure]
    start, end = FY[fy]
    count = demo_store.scalar(
        f"SELECT count(*) FROM crimes WHERE force = 'Demo Constabulary' AND ({condition}) "
        "AND recorded_date >= ? AND recorded_date < ?",
        [start, end],
    )
    positive = demo_store.scalar(
        f"SELECT count(*) FROM outcomes o JOIN crimes c USING (crime_id) "
        f"WHERE c.force = 'Demo Constabulary' AND ({condition}) AND list_contains({POSITIVE}, o.outcome_type) "
        "AND o.outcome_date >= ? AND o.outcome_date < ?",
        [start, end],
    )
    want_count, want_rate = expected[fy]
    assert count == want_count
    if want_rate is not None:
        assert round(100 * positive / count, 1) == want_rate


def monthly(db: Store, condition: str) -> dict[str, int]:
    return dict(
        db.fetchall(
            f"SELECT strftime(recorded_date, '%Y-%m'), count(*) FROM crimes "
            f"WHERE force = 'Demo Constabulary' AND ({condition}) GROUP BY 1"
        )
    )


def change(series: dict[str, int], month: str, year_before: str) -> float:
    return 100 * (series[month] / series[year_before] - 1)


def test_the_covid_months_fall_as_published(demo_store: Store) -> None:
    every = monthly(demo_store, "TRUE")
    for now, before in (("2020-04", "2019-04"), ("2021-01", "2020-01"), ("2021-02", "2020-02")):
        assert change(every, now, before) < -25
    assert -13 < change(every, "2020-11", "2019-11") < -7
    burglary = monthly(demo_store, "offence_subgroup = 'Domestic burglary'")
    assert round(change(burglary, "2020-04", "2019-04"), 1) == -58.0
    assert round(change(burglary, "2021-01", "2020-01"), 1) == -65.8
    assert round(change(burglary, "2021-02", "2020-02"), 1) == -66.2


@pytest.mark.parametrize(
    ("line", "seconds", "fy", "pct"),
    [("999", 10, "2019/20", 92.6), ("999", 10, "2020/21", 94.5),
     ("101", 30, "2019/20", 83.3), ("101", 30, "2020/21", 87.1)],
)  # fmt: skip
def test_calls_answered_within_target(
    demo_store: Store, line: str, seconds: int, fy: str, pct: float
) -> None:
    start, end = FY[fy]
    within, offered = demo_store.fetchall(
        "SELECT count(*) FILTER (WHERE answered_seconds <= ?), count(*) FROM calls "
        "WHERE line = ? AND received_at >= ? AND received_at < ?",
        [seconds, line, start, end],
    )[0]
    assert round(100 * within / offered, 1) == pct


@pytest.mark.parametrize(
    ("condition", "fy", "pct", "n"),
    [
        ("survey = 'public_confidence'", "2020/21", 64.7, 3_791),
        ("survey = 'public_confidence'", "2019/20", 56.4, 1_557),
        ("survey = 'victim_satisfaction' AND aspect = 'whole_experience'", "2020/21", 81.7, 1_320),
        ("survey = 'victim_satisfaction' AND aspect = 'whole_experience'", "2019/20", 77.2, 1_257),
        (
            "aspect = 'whole_experience' AND crime_category = 'Dwelling burglary'",
            "2020/21",
            90.4,
            509,
        ),
        (
            "aspect = 'whole_experience' AND crime_category = 'Dwelling burglary'",
            "2019/20",
            86.0,
            544,
        ),
        ("aspect = 'whole_experience' AND crime_category = 'Hate crime'", "2020/21", 73.2, 198),
        ("aspect = 'whole_experience' AND crime_category = 'Hate crime'", "2019/20", 81.6, 98),
    ],
)
def test_survey_percentages_with_n(
    demo_store: Store, condition: str, fy: str, pct: float, n: int
) -> None:
    start, end = FY[fy]
    yes, total = demo_store.fetchall(
        f"SELECT count(*) FILTER (WHERE satisfied), count(*) FROM survey_responses "
        f"WHERE ({condition}) AND response_date >= ? AND response_date < ?",
        [start, end],
    )[0]
    assert total == n
    assert round(100 * yes / total, 1) == pct


def test_prompt_domestic_response_medians_october_to_march(demo_store: Store) -> None:
    got = dict(
        demo_store.fetchall(
            "SELECT strftime(created_at, '%Y-%m'), median(date_diff('second', created_at, arrived_at) / 60.0) "
            "FROM incidents WHERE grade = 'prompt' AND domestic_abuse GROUP BY 1"
        )
    )
    expected = {
        "2019-10": 261, "2019-11": 311, "2019-12": 249, "2020-01": 285, "2020-02": 241, "2020-03": 174,
        "2020-10": 187, "2020-11": 192, "2020-12": 123, "2021-01": 77, "2021-02": 73, "2021-03": 85,
    }  # fmt: skip
    assert {m: got[m] for m in expected} == expected


def test_six_districts_in_two_areas_and_every_table_filled(demo_store: Store) -> None:
    areas = demo_store.fetchall(
        "SELECT area, list(DISTINCT district ORDER BY district) FROM crimes "
        "WHERE force = 'Demo Constabulary' GROUP BY 1 ORDER BY 1"
    )
    assert areas == [
        ("North", ["Fenmoor", "Hunton", "Northam"]),
        ("South", ["Cambury", "Eastfield", "Southdale"]),
    ]
    for table in ("crimes", "outcomes", "asb_incidents", "stop_searches", "incidents", "calls",
                  "survey_responses", "person_links", "investigations", "activities"):  # fmt: skip
        assert demo_store.scalar(f"SELECT count(*) FROM {table}") > 0, table
    span = demo_store.fetchall(
        "SELECT min(recorded_date), max(recorded_date) FROM crimes WHERE force = 'Demo Constabulary'"
    )[0]
    assert (str(span[0]), str(span[1])) == ("2016-04-01", "2022-03-31")


def test_the_same_seed_writes_the_same_exports(tmp_path: Path, demo_exports: list) -> None:
    again = write_demo_exports(tmp_path / "again")
    for a, b in zip(demo_exports, again, strict=True):
        assert (
            hashlib.sha256(a.csv.read_bytes()).digest()
            == hashlib.sha256(b.csv.read_bytes()).digest()
        ), a.csv.name


def test_count_for_rate_finds_the_count_that_rounds_to_the_rate() -> None:
    assert count_for_rate(14.3, 1_242) == 178
    assert count_for_rate(10.8, 67_882) == 7_331
    with pytest.raises(ValueError):
        count_for_rate(50.5, 3)


def test_largest_remainder_sums_exactly() -> None:
    parts = largest_remainder(10, np.array([1.0, 1.0, 1.0]))
    assert parts.sum() == 10 and sorted(parts.tolist()) == [3, 3, 4]
    assert largest_remainder(0, np.array([1.0, 2.0])).tolist() == [0, 0]


def test_pin_change_gives_a_pair_whose_change_rounds_to_the_target() -> None:
    base, new = pin_change(170, -58.0)
    assert round(100 * (new / base - 1), 1) == -58.0


def test_exact_median_sample_has_the_median() -> None:
    values = exact_median_sample(np.random.default_rng(1), 261, 301)
    assert float(np.median(values)) == 261.0


def test_each_audit_meets_every_standard_due_exactly_when_it_is_compliant(
    demo_store: Store,
) -> None:
    """The demo's per-standard flags agree with its overall flag: a compliant audit met every
    standard that was due, a non-compliant one missed at least one; a standard not due is NULL."""
    missed = (
        "(NOT allocated OR coalesce(vcc_contact_due AND NOT vcc_contact_made, false) "
        "OR coalesce(supervisory_review_due AND NOT supervisory_review_done, false) "
        "OR coalesce(NOT suspect_managed, false))"
    )
    assert (
        demo_store.scalar(f"SELECT count(*) FROM investigations WHERE compliant AND {missed}") == 0
    )
    assert (
        demo_store.scalar(
            f"SELECT count(*) FROM investigations WHERE NOT compliant AND NOT {missed}"
        )
        == 0
    )
    assert (
        demo_store.scalar(
            "SELECT count(*) FROM investigations WHERE (NOT vcc_contact_due AND vcc_contact_made IS NOT NULL) "
            "OR (NOT supervisory_review_due AND supervisory_review_done IS NOT NULL)"
        )
        == 0
    )
    assert (
        demo_store.scalar(
            "SELECT count(*) FROM investigations WHERE offence_subgroup = 'Rape offences'"
        )
        > 100
    )


def test_the_demo_activity_log_holds_powers_orders_and_referrals_through_its_mapping(
    demo_store: Store,
) -> None:
    counts = dict(
        demo_store.fetchall(
            "SELECT activity_type, count(*) FROM activities WHERE force = 'Demo Constabulary' "
            "AND activity_date >= '2020-04-01' AND activity_date < '2021-04-01' GROUP BY 1"
        )
    )
    assert {"arrest", "dispersal_authorisation", "criminal_behaviour_order", "fraud_referral",
            "asset_recovery", "data_quality_audit"} <= set(counts)  # fmt: skip
    assert 5_000 < counts["arrest"] < 10_000 and 5 < counts["dispersal_authorisation"] < 60
    assert demo_store.scalar("SELECT count(*) FROM quarantine WHERE table_name = 'activities'") == 0
    # Only seizures and recovered assets carry a quantity, each in its unit.
    assert demo_store.fetchall(
        "SELECT DISTINCT activity_type, unit FROM activities WHERE quantity IS NOT NULL ORDER BY 1"
    ) == [("asset_recovery", "gbp"), ("seizure", "grams")]
