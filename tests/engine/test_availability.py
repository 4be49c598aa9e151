"""Missing is not zero: a month without data has no value, and everything built on it says why.

The property: take a store, delete any months' files, and every result that depends on those
months changes status (and loses its figure); every other result is exactly as before.
"""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from policeperf.calendar import add_months, fy_start_year
from policeperf.engine import evaluate
from policeperf.errors import PolicePerfError
from policeperf.ingest.run import ingest_police_uk
from policeperf.store import Store
from tests.conftest import CAMBS_2024
from tests.policeuk_files import write_street_files

CAMBS = "Cambridgeshire Constabulary"
FIRST = date(2019, 4, 1)
MONTHS = [add_months(FIRST, k) for k in range(36)]  # April 2019 to March 2022
REPORTING = MONTHS[-1]
KEY = ["measure_id", "area_level", "area", "month"]
FIGURES = ["value", "rolling_12m", "baseline"]


@pytest.fixture(scope="module")
def full_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("street")
    write_street_files(folder, slug="cambridgeshire", force=CAMBS, months=MONTHS)
    path = folder / "full.duckdb"
    with Store(path) as db:
        ingest_police_uk(db, [folder])
    return path


@pytest.fixture(scope="module")
def full_results(full_store: Path) -> pd.DataFrame:
    with Store(full_store, read_only=True) as db:
        return evaluate(db, "police-uk", REPORTING)


def without_months(full: Path, target: Path, gone: list[date]) -> Path:
    """The store as if the files of `gone` had never been downloaded."""
    shutil.copy(full, target)
    with Store(target) as db:
        for m in gone:
            batches = [
                b for (b,) in db.fetchall("SELECT batch_id FROM coverage WHERE month = ?", [m])
            ]
            for table in ("crimes", "asb_incidents", "coverage", "ingest_batches"):
                db.execute(f"DELETE FROM {table} WHERE batch_id IN (SELECT unnest(?))", [batches])
    return target


def depends_on(month: date) -> tuple[set[date], set[date], set[date]]:
    """The months a row's value, rolling 12 months and baseline are built from."""
    window = {add_months(month, -k) for k in range(12)}
    b = fy_start_year(month) - 1
    baseline = {add_months(date(b, 4, 1), k) for k in range(12)}
    return {month}, window, baseline


def compare(full: pd.DataFrame, gap: pd.DataFrame, gone: set[date]) -> None:
    both = full.merge(gap, on=KEY, how="left", suffixes=("_full", "_gap"), indicator=True)
    assert len(both) == len(full)
    start = min(gap["month"])  # deleting the first months starts the series later
    assert (both[both["_merge"] == "left_only"]["month"] < start).all()
    for row in both[both["_merge"] == "both"].to_dict(orient="records"):
        own, window, baseline = depends_on(row["month"])
        where = f"{row['measure_id']} {row['area']} {row['month']}"
        for figure in FIGURES:  # a figure never silently changes: it stands unchanged or is gone
            if not pd.isna(row[f"{figure}_gap"]):
                assert row[f"{figure}_gap"] == row[f"{figure}_full"], f"{figure} changed: {where}"
        if row["status_full"] == "no_data":  # not held either way (outcomes, here)
            assert row["status_gap"] == "no_data", where
        elif own & gone:
            assert row["status_gap"] == "no_data", where
            assert pd.isna(row["value_gap"]) and pd.isna(row["verdict_gap"]), where
        elif window & gone or min(window) < start:
            assert row["status_gap"] == "incomplete_window", where
            assert pd.isna(row["rolling_12m_gap"]) and pd.isna(row["verdict_gap"]), where
            assert row["value_gap"] == row["value_full"], where
        elif (baseline & gone or min(baseline) < start) and row["status_full"] == "ok":
            assert row["status_gap"] == "incomplete_baseline", where
            assert pd.isna(row["baseline_gap"]) and pd.isna(row["verdict_gap"]), where
        else:
            assert row["status_gap"] == row["status_full"], where
            # The verdict also weighs the month-to-month variation of the 36 months before;
            # a month gone from those leaves the verdict given, judged on the months left.
            history = {add_months(row["month"], -k) for k in range(1, 37)}
            lost = history & (gone | {m for m in MONTHS if m < start})
            judged = ("verdict",) if not lost else ()
            for column in (*FIGURES, *judged, "change_pct"):
                a, b = row[f"{column}_full"], row[f"{column}_gap"]
                assert (pd.isna(a) and pd.isna(b)) or a == b, f"{column}: {where}"
            assert pd.isna(row["verdict_full"]) == pd.isna(row["verdict_gap"]), where


@settings(max_examples=6, deadline=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(gone=st.sets(st.sampled_from(MONTHS[:-1]), min_size=1, max_size=3))
@example(gone={MONTHS[0]})  # the first month: the series starts later
@example(gone={date(2020, 7, 1)})  # in the baseline year of the reporting month
def test_deleting_any_months_changes_the_status_of_every_result_built_on_them(
    gone: set[date], full_store: Path, full_results: pd.DataFrame, tmp_path: Path
) -> None:
    target = tmp_path / f"gap-{'-'.join(f'{m:%Y%m}' for m in sorted(gone))}.duckdb"
    with Store(without_months(full_store, target, sorted(gone)), read_only=True) as db:
        gap = evaluate(db, "police-uk", REPORTING)
    compare(full_results, gap, gone)
    in_gap = gap[gap["month"].isin(gone)]
    assert (in_gap["status"] == "no_data").all() and in_gap["value"].isna().all()
    assert in_gap["reason"].str.contains("no recorded crime data|no anti-social").all()


def test_a_full_history_gives_verdicts_only_where_both_windows_are_complete(
    full_results: pd.DataFrame,
) -> None:
    force = full_results[(full_results["area"] == "all") & (full_results["kind"] == "count")]
    ok = force[force["status"] == "ok"]
    assert not ok.empty and ok["verdict"].notna().all()
    # April 2020 is the first month whose 12 months and baseline year (2019/20) are both held.
    assert min(ok["month"]) == date(2020, 4, 1)
    march = force[force["month"] == date(2020, 3, 1)]
    assert (march["status"] == "incomplete_baseline").all() and march["rolling_12m"].notna().all()
    assert force[force["status"] != "ok"]["verdict"].isna().all()


def test_with_street_files_only_every_outcome_rate_is_no_data(full_results: pd.DataFrame) -> None:
    rates = full_results[full_results["kind"] == "outcome_rate"]
    assert not rates.empty
    assert (rates["status"] == "no_data").all()
    assert rates["value"].isna().all() and rates["verdict"].isna().all()
    assert rates["reason"].str.contains("no outcomes data").all()


@pytest.fixture(scope="module")
def cambs_without_spring(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, Store]]:
    """The real 2024 files, all of them and without April to June (every kind)."""
    folder = tmp_path_factory.mktemp("cambs-gap")
    with zipfile.ZipFile(CAMBS_2024) as zf:
        zf.extractall(folder / "all")
    shutil.copytree(folder / "all", folder / "gap")
    for month in ("2024-04", "2024-05", "2024-06"):
        for f in (folder / "gap").rglob(f"{month}-*.csv"):
            f.unlink()
    stores = []
    for name in ("all", "gap"):
        with Store(folder / f"{name}.duckdb") as db:
            ingest_police_uk(db, [folder / name])
        stores.append(Store(folder / f"{name}.duckdb", read_only=True))
    yield stores[0], stores[1]
    for s in stores:
        s.close()


def test_real_files_with_months_removed_show_the_gap_and_keep_every_other_month(
    cambs_without_spring: tuple[Store, Store],
) -> None:
    full_db, gap_db = cambs_without_spring
    full = evaluate(full_db, "police-uk", "2024-12")
    gap = evaluate(gap_db, "police-uk", "2024-12")
    counts = gap[gap["kind"] == "count"]
    spring = counts[counts["month"].between(date(2024, 4, 1), date(2024, 6, 1))]
    assert (spring["status"] == "no_data").all() and spring["value"].isna().all()
    merged = full.merge(gap, on=KEY, suffixes=("_full", "_gap"))
    others = merged[~merged["month"].between(date(2024, 4, 1), date(2024, 6, 1))
                    & (merged["kind_full"] == "count")]  # fmt: skip
    assert (others["value_full"] == others["value_gap"]).all()
    december = merged[(merged["month"] == date(2024, 12, 1)) & (merged["kind_full"] == "count")]
    assert (december["status_gap"] == "incomplete_window").all()
    assert december["rolling_12m_gap"].isna().all() and december["rolling_12m_full"].notna().all()
    assert december["reason_gap"].str.contains("Apr 2024 to Jun 2024").all()
    # Records never reach across the gap: nothing after it is "highest since" a month before it.
    after = gap[(gap["month"] > date(2024, 6, 1)) & gap["record_high_since"].notna()]
    assert (pd.to_datetime(after["record_high_since"]) >= pd.Timestamp("2024-07-01")).all()
    # SPC restarts after the gap.
    restarted = gap[(gap["month"] > date(2024, 7, 1)) & gap["spc_class"].notna()]
    assert not restarted.empty
    assert (pd.to_datetime(restarted["spc_restarted"]) == pd.Timestamp("2024-07-01")).all()


def test_published_national_coverage_is_not_the_force_holding_records(
    full_store: Path, tmp_path: Path
) -> None:
    """The national tables record which months were published for every force; a force whose
    own records start later is still refused for an earlier month, not given a table of gaps."""
    path = tmp_path / "with-national.duckdb"
    shutil.copy(full_store, path)
    early = add_months(FIRST, -12)
    with Store(path) as db:
        db.execute(
            "INSERT INTO coverage VALUES (999, ?, 'home_office', 'prc-pfa', 'national_crime', ?)",
            [CAMBS, early],
        )
        with pytest.raises(
            PolicePerfError, match=r"no records for .* the store's data for it starts"
        ):
            evaluate(db, "police-uk", early)
