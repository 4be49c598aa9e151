"""Proportions with a numerator filter, outcome counts, means, sums and ratios, on a small store
whose every figure is worked by hand."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
import pytest
import yaml

from policeperf.calendar import month_range
from policeperf.engine import evaluate
from policeperf.engine.results import default_method
from policeperf.engine.verdict import COUNT_METHOD, MEDIAN_METHOD, PROPORTION_METHOD
from policeperf.framework import Framework
from policeperf.store import Store
from tests.frameworks import framework_yaml

FORCE = "Test Force"
MONTHS = month_range(date(2018, 4, 1), date(2020, 3, 1))
MARCH = date(2020, 3, 1)
VIOLENCE = {"categories": ["Violence and sexual offences"]}

MEASURES: list[dict[str, Any]] = [
    {"id": "violence", "name": "Violence", "kind": "count", "filters": VIOLENCE},
    {"id": "weapon_share", "name": "Weapon share of violence", "kind": "proportion",
     "filters": VIOLENCE, "success": {"filters": {"markers": ["sharp_instrument"]}}},
    {"id": "charges", "name": "Charges", "kind": "outcome_count", "outcome_set": "charge"},
    {"id": "charges_per_violence", "name": "Charges per violent crime", "kind": "ratio",
     "numerator": "charges", "denominator": "violence"},
    {"id": "violence_per_1000", "name": "Violence per 1,000", "kind": "rate_per_population",
     "of": "violence"},
    {"id": "mean_response", "name": "Mean response", "kind": "mean", "table": "incidents",
     "value": "response_minutes"},
    {"id": "total_response", "name": "Total response", "kind": "sum", "table": "incidents",
     "value": "response_minutes"},
]  # fmt: skip


def _framework() -> Framework:
    return Framework.model_validate(yaml.safe_load(framework_yaml(MEASURES, force=FORCE)))


def _fill(store: Store) -> None:
    """Each month: four violence crimes (the first with the sharp-instrument marker, the second
    charged in the month) and two thefts; two incidents attended after 10 and 20 minutes and
    one never attended. Crimes, outcomes and incidents received for every month."""
    for month in MONTHS:
        for n in range(6):
            category = "Violence and sexual offences" if n < 4 else "Other theft"
            store.execute(
                "INSERT INTO crimes (crime_id, force, recorded_date, district, offence_category,"
                " sharp_instrument) VALUES (?, ?, ?, 'A', ?, ?)",
                [f"{month:%Y%m}-{n}", FORCE, month + timedelta(days=n), category, n == 0],
            )
        store.execute(
            "INSERT INTO outcomes (crime_id, force, outcome_date, outcome_type) VALUES (?, ?, ?, 1)",
            [f"{month:%Y%m}-1", FORCE, month + timedelta(days=20)],
        )
        start = datetime(month.year, month.month, 3, 12)
        for n, minutes in enumerate((10, 20, None)):
            arrived = None if minutes is None else start + timedelta(minutes=minutes)
            store.execute(
                "INSERT INTO incidents (incident_id, force, created_at, arrived_at, grade, "
                "district) VALUES (?, ?, ?, ?, 'immediate', 'A')",
                [f"i{month:%Y%m}-{n}", FORCE, start, arrived],
            )
        for table in ("crimes", "outcomes", "incidents"):
            store.execute(
                "INSERT INTO coverage VALUES (1, ?, 'test', 'test', ?, ?)", [FORCE, table, month]
            )


@pytest.fixture
def results(store: Store) -> pd.DataFrame:
    _fill(store)
    return evaluate(store, _framework(), "2020-03")


def _row(results: pd.DataFrame, measure_id: str) -> pd.Series:
    rows = results[
        (results["measure_id"] == measure_id)
        & (results["area"] == "all")
        & (results["month"] == MARCH)
    ]
    assert len(rows) == 1
    return rows.iloc[0]


def test_weapon_share_of_violence_is_marked_violence_over_violence(results: pd.DataFrame) -> None:
    row = _row(results, "weapon_share")
    assert (row["numerator"], row["denominator"]) == (1, 4)
    assert row["value"] == pytest.approx(25.0)
    assert (row["rolling_12m_numerator"], row["rolling_12m_denominator"]) == (12, 48)
    assert row["rolling_12m"] == pytest.approx(25.0)
    assert row["unit"] == "pct"
    assert row["method"] == PROPORTION_METHOD


def test_outcome_count_counts_crimes_in_the_month_of_their_outcome_in_the_set(
    results: pd.DataFrame,
) -> None:
    row = _row(results, "charges")
    assert row["value"] == 1
    assert row["rolling_12m"] == 12
    # 2018/19's outcomes include crimes of the year before it, which the store does not hold.
    assert pd.isna(row["baseline"])
    assert row["status"] == "incomplete_baseline"
    assert row["unit"] == "count"
    assert default_method(_framework().measure("charges")) == COUNT_METHOD


def test_ratio_divides_its_numerator_measures_totals_by_its_denominators(
    results: pd.DataFrame,
) -> None:
    row = _row(results, "charges_per_violence")
    assert (row["numerator"], row["denominator"]) == (1, 4)
    assert row["value"] == pytest.approx(0.25)
    assert row["rolling_12m"] == pytest.approx(12 / 48)
    assert row["unit"] == "ratio"
    assert row["status"] == "incomplete_baseline"  # as its outcome count's
    assert default_method(_framework().measure("charges_per_violence")) == MEDIAN_METHOD


def test_a_rate_built_on_a_count_takes_its_records(results: pd.DataFrame) -> None:
    assert _row(results, "violence_per_1000")["numerator"] == 4


def test_mean_is_the_sum_over_the_records_with_a_value(results: pd.DataFrame) -> None:
    row = _row(results, "mean_response")
    # (10 + 20) / 2: the incident never attended has no response time, so it is not averaged.
    assert (row["numerator"], row["denominator"], row["n"]) == (30, 2, 2)
    assert row["value"] == pytest.approx(15.0)
    assert row["rolling_12m"] == pytest.approx(15.0)
    assert row["unit"] == "minutes"
    assert row["method"] == MEDIAN_METHOD


def test_sum_totals_the_value_and_keeps_the_records_behind_it(results: pd.DataFrame) -> None:
    row = _row(results, "total_response")
    assert row["value"] == pytest.approx(30.0)
    assert row["rolling_12m"] == pytest.approx(360.0)
    assert row["crime_count"] == 2  # the records with a value: what a public version hides by
    assert row["unit"] == "total_minutes"
    assert row["method"] == COUNT_METHOD


def test_every_month_of_the_year_before_has_the_same_figures_so_no_change(
    results: pd.DataFrame,
) -> None:
    for measure_id in ("weapon_share", "mean_response", "total_response", "violence"):
        row = _row(results, measure_id)
        assert row["change"] == pytest.approx(0.0)
