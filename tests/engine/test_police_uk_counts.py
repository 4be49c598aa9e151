"""The police-uk framework on the real Cambridgeshire 2024 files: monthly counts per category and
district equal counts computed here straight from the CSVs (Python's csv module, with the district
read from the LSOA name), not with the engine's code."""

from __future__ import annotations

import csv
import io
import zipfile
from collections import Counter
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from policeperf.engine import evaluate
from policeperf.ingest.run import ingest_police_uk
from policeperf.store import Store
from tests.conftest import CAMBS_2024, read_zip_csv_rows

DISTRICTS = (
    "Cambridge",
    "East Cambridgeshire",
    "Fenland",
    "Huntingdonshire",
    "Peterborough",
    "South Cambridgeshire",
)


def district_of(lsoa_name: str) -> str | None:
    prefix = lsoa_name.rsplit(" ", 1)[0] if lsoa_name else ""
    return prefix if prefix in DISTRICTS else None


@pytest.fixture(scope="module")
def cambs_results(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    path = tmp_path_factory.mktemp("pu") / "store.duckdb"
    with Store(path) as db:
        ingest_police_uk(db, [CAMBS_2024])
        return evaluate(db, "police-uk", "2024-12")


def test_monthly_counts_per_category_and_district_match_the_csv_files(
    cambs_results: pd.DataFrame,
) -> None:
    rows = read_zip_csv_rows(CAMBS_2024, "-street.csv")
    expected: Counter[tuple[str, str, str]] = Counter()
    for r in rows:
        measure = (
            "asb"
            if r["Crime type"] == "Anti-social behaviour"
            else r["Crime type"].lower().replace(" ", "_")
        )
        district = district_of(r["LSOA name"])
        expected[(measure, "all", r["Month"])] += 1
        if district:
            expected[(measure, district, r["Month"])] += 1
        if measure != "asb":
            expected[("all_crime", "all", r["Month"])] += 1
            if district:
                expected[("all_crime", district, r["Month"])] += 1
    counts = cambs_results[cambs_results["kind"] == "count"]
    counts = counts[
        counts["area_level"].isin(["force", "district"]) & (counts["measure_id"] != "stop_searches")
    ]
    got = {
        (m, a, f"{mo:%Y-%m}"): int(v)
        for m, a, mo, v in zip(
            counts["measure_id"], counts["area"], counts["month"], counts["numerator"], strict=True
        )
        if v
    }
    assert got == dict(expected)


def test_stop_search_monthly_counts_match_the_files(cambs_results: pd.DataFrame) -> None:
    """Each month counts the searches of its file: data.police.uk files a search by its UK local
    date (23:51 UTC on 31 March 2024 is 00:51 BST on 1 April, in April's file)."""
    expected: Counter[str] = Counter()
    with zipfile.ZipFile(CAMBS_2024) as zf:
        for name in zf.namelist():
            if name.endswith("-stop-and-search.csv"):
                text = zf.read(name).decode("utf-8-sig")
                expected[Path(name).name[:7]] += len(list(csv.DictReader(io.StringIO(text))))
    s = cambs_results[
        (cambs_results["measure_id"] == "stop_searches") & (cambs_results["area"] == "all")
    ]
    assert {f"{m:%Y-%m}": int(v) for m, v in zip(s["month"], s["numerator"], strict=True)} == dict(
        expected
    )


def test_a_baseline_outside_the_data_gives_insufficient_data_not_a_guess(
    cambs_results: pd.DataFrame,
) -> None:
    row = cambs_results[
        (cambs_results["measure_id"] == "all_crime")
        & (cambs_results["area"] == "all")
        & (cambs_results["month"] == date(2024, 12, 1))
    ]
    assert row["rolling_12m"].item() == 69_622
    assert row["status"].item() == "incomplete_baseline"
    assert "2023" in row["reason"].item()
    assert pd.isna(row["verdict"].item())
    assert pd.isna(row["baseline"].item())
