"""Ingest of the real Cambridgeshire 2024 data.police.uk files, checked against the files."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from policeperf.ingest.run import ingest_police_uk
from policeperf.store import Store
from tests.conftest import CAMBS_2024, read_zip_csv_rows


@pytest.fixture(scope="module")
def cambs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cambs") / "store.duckdb"
    with Store(path) as db:
        report = ingest_police_uk(db, [CAMBS_2024])
        assert len(report.batches) == 36
    return path


@pytest.fixture
def db(cambs: Path):
    with Store(cambs, read_only=True) as store:
        yield store


def test_every_row_is_accepted_or_quarantined(db: Store) -> None:
    rows = db.fetchall(
        "SELECT sum(rows_in), sum(rows_accepted), sum(rows_quarantined) FROM ingest_batches"
    )[0]
    street = len(read_zip_csv_rows(CAMBS_2024, "-street.csv"))
    outcomes = len(read_zip_csv_rows(CAMBS_2024, "-outcomes.csv"))
    searches = len(read_zip_csv_rows(CAMBS_2024, "-stop-and-search.csv"))
    assert rows[0] == street + outcomes + searches == 83_021 + 68_619 + 2_855
    assert rows[0] == rows[1] + rows[2]
    assert db.scalar("SELECT count(*) FROM quarantine") == rows[2]


def test_crimes_equal_the_distinct_crime_ids_in_the_street_files(db: Store) -> None:
    ids = {r["Crime ID"] for r in read_zip_csv_rows(CAMBS_2024, "-street.csv") if r["Crime ID"]}
    assert len(ids) == 69_622
    assert db.scalar("SELECT count(*) FROM crimes") == 69_622
    assert db.scalar("SELECT count(DISTINCT crime_id) FROM crimes") == 69_622


def test_anti_social_behaviour_rows_go_to_their_own_table(db: Store) -> None:
    rows = read_zip_csv_rows(CAMBS_2024, "-street.csv")
    asb = sum(1 for r in rows if r["Crime type"] == "Anti-social behaviour")
    assert asb == 13_399
    assert db.scalar("SELECT count(*) FROM asb_incidents") == asb


def test_monthly_crime_counts_per_category_match_the_files(db: Store) -> None:
    rows = read_zip_csv_rows(CAMBS_2024, "-street.csv")
    expected = Counter(
        (r["Month"], r["Crime type"]) for r in rows if r["Crime type"] != "Anti-social behaviour"
    )
    got = {
        (m, c): n
        for m, c, n in db.fetchall(
            "SELECT strftime(recorded_date, '%Y-%m'), offence_category, count(*) FROM crimes GROUP BY ALL"
        )
    }
    assert got == dict(expected)


def test_duplicate_outcome_rows_are_quarantined_naming_the_first(db: Store) -> None:
    rows = read_zip_csv_rows(CAMBS_2024, "-outcomes.csv")
    keys = Counter((r["Crime ID"], r["Month"], r["Outcome type"]) for r in rows)
    repeats = sum(n - 1 for n in keys.values())
    assert db.scalar("SELECT count(*) FROM quarantine WHERE check_name = 'duplicate'") == repeats
    reason = db.scalar("SELECT reason FROM quarantine WHERE check_name = 'duplicate' LIMIT 1")
    assert "first seen at line" in reason
    assert db.scalar("SELECT count(*) FROM outcomes") == len(keys)


def test_district_comes_from_the_lsoa_name_for_2021_codes(db: Store) -> None:
    rows = read_zip_csv_rows(CAMBS_2024, "-street.csv")
    peterborough = sum(
        1 for r in rows if r["Crime ID"] and r["LSOA name"].startswith("Peterborough ")
    )
    assert db.scalar("SELECT count(*) FROM crimes WHERE district = 'Peterborough'") == peterborough
    assert db.scalar("SELECT DISTINCT area FROM crimes WHERE district = 'Peterborough'") == "North"


def test_rows_outside_the_force_keep_district_null_and_are_counted(db: Store) -> None:
    rows = read_zip_csv_rows(CAMBS_2024, "-street.csv")
    districts = ("Cambridge ", "East Cambridgeshire ", "Fenland ", "Huntingdonshire ",
                 "Peterborough ", "South Cambridgeshire ")  # fmt: skip
    outside = sum(1 for r in rows if r["Crime ID"] and not r["LSOA name"].startswith(districts))
    assert outside > 0
    assert db.scalar("SELECT count(*) FROM crimes WHERE district IS NULL") == outside


def test_an_outcome_label_for_several_types_keeps_every_candidate(db: Store) -> None:
    row = db.fetchall(
        "SELECT DISTINCT outcome_type, outcome_types FROM outcomes WHERE outcome_label = 'Offender given a caution'"
    )
    assert row == [(None, [2, 3])]
    row = db.fetchall(
        "SELECT DISTINCT outcome_type, outcome_types FROM outcomes WHERE outcome_label = 'Suspect charged'"
    )
    assert row == [(1, [1])]


def test_stop_and_search_times_are_stored_in_utc_with_the_force_from_the_file_name(
    db: Store,
) -> None:
    rows = db.fetchall("SELECT DISTINCT force FROM stop_searches")
    assert rows == [("Cambridgeshire Constabulary",)]
    first = db.scalar("SELECT min(searched_at) FROM stop_searches")
    assert str(first) == "2024-01-01 02:56:17"


def test_reingesting_the_same_files_is_a_no_op(cambs: Path) -> None:
    with Store(cambs) as db:
        before = db.fetchall(
            "SELECT count(*) FROM crimes UNION ALL SELECT count(*) FROM ingest_batches"
        )
        report = ingest_police_uk(db, [CAMBS_2024])
        after = db.fetchall(
            "SELECT count(*) FROM crimes UNION ALL SELECT count(*) FROM ingest_batches"
        )
    assert report.skipped == 36
    assert before == after


def test_a_folder_in_archive_layout_ingests_like_the_zip(
    cambs_2024_dir: Path, store: Store
) -> None:
    report = ingest_police_uk(store, [cambs_2024_dir / "2024-03"])
    assert [Path(b.file).name for b in report.batches] == [
        "2024-03-cambridgeshire-outcomes.csv",
        "2024-03-cambridgeshire-stop-and-search.csv",
        "2024-03-cambridgeshire-street.csv",
    ]
    assert all(b.rows_in == b.rows_accepted + b.rows_quarantined for b in report.batches)
