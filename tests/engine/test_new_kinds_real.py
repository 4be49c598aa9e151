"""New kinds on the real Cambridgeshire 2024 files: a proportion with a numerator filter equals
shares counted here straight from the CSVs, and an outcome count equals the numerator of the
period outcome rate of the same set."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import yaml

from policeperf.engine import evaluate
from policeperf.framework import Framework
from policeperf.ingest.run import ingest_police_uk
from policeperf.store import Store
from tests.conftest import CAMBS_2024, read_zip_csv_rows
from tests.frameworks import framework_yaml

CAMBS = "Cambridgeshire Constabulary"
NO_LOOKBACK = {"outcome_lookback_months": 0}
"""One year of files: outcomes are counted without the year of crimes before."""
MEASURES = [
    {"id": "crime", "name": "Crime", "kind": "count"},
    {"id": "burglary_share", "name": "Burglary share", "kind": "proportion", "of": "crime",
     "success": {"filters": {"categories": ["Burglary"]}}},
    {"id": "positive", "name": "Positive outcomes", "kind": "outcome_count",
     "outcome_set": "positive"},
    {"id": "positive_rate", "name": "Positive outcome rate", "kind": "outcome_rate",
     "outcome_set": "positive", "of": "crime"},
    {"id": "weapon_share", "name": "Weapon share", "kind": "proportion", "of": "crime",
     "success": {"filters": {"markers": ["sharp_instrument"]}}},
    {"id": "hate", "name": "Hate crime", "kind": "count", "filters": {"markers": ["hate"]}},
    {"id": "hate_share", "name": "Hate per crime", "kind": "ratio", "numerator": "hate",
     "denominator": "crime"},
]  # fmt: skip


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    framework = Framework.model_validate(
        yaml.safe_load(framework_yaml(MEASURES, force=CAMBS, settings=NO_LOOKBACK))
    )
    path: Path = tmp_path_factory.mktemp("kinds") / "store.duckdb"
    with Store(path) as db:
        ingest_police_uk(db, [CAMBS_2024])
        return evaluate(db, framework, "2024-12")


def _force(results: pd.DataFrame, measure_id: str) -> pd.DataFrame:
    rows = results[(results["measure_id"] == measure_id) & (results["area"] == "all")]
    return rows.set_index("month")


def test_burglary_share_is_burglaries_over_crimes_in_the_files(results: pd.DataFrame) -> None:
    crimes: Counter[str] = Counter()
    burglaries: Counter[str] = Counter()
    for r in read_zip_csv_rows(CAMBS_2024, "-street.csv"):
        if r["Crime type"] != "Anti-social behaviour":
            crimes[r["Month"]] += 1
            burglaries[r["Month"]] += r["Crime type"] == "Burglary"
    share = _force(results, "burglary_share")
    assert len(crimes) == 12
    for month, n in crimes.items():
        row = share.loc[date(int(month[:4]), int(month[5:]), 1)]
        assert (row["numerator"], row["denominator"]) == (burglaries[month], n)
        assert row["value"] == pytest.approx(100 * burglaries[month] / n)


def test_an_outcome_count_is_the_period_rates_numerator(results: pd.DataFrame) -> None:
    count, rate = _force(results, "positive"), _force(results, "positive_rate")
    assert count["numerator"].sum() > 0
    assert count["numerator"].tolist() == rate["numerator"].tolist()
    assert count["status"].tolist() == rate["status"].tolist()


def test_a_figure_the_files_cannot_give_is_not_configured_never_zero(
    results: pd.DataFrame,
) -> None:
    # data.police.uk files carry no markers: neither the share nor a ratio built on them is 0.
    for measure_id, column in (("weapon_share", "sharp_instrument"), ("hate_share", "hate")):
        rows = results[results["measure_id"] == measure_id]
        assert set(rows["status"]) == {"not_configured"}, measure_id
        assert rows["value"].isna().all()
        assert f"'{column}'" in rows["reason"].iloc[0]
    assert (
        results.loc[results["measure_id"] == "hate_share", "reason"]
        .iloc[0]
        .startswith("built on hate: ")
    )
