"""National sources: every row accepted or quarantined with a reason, one force reference,
coverage exact to the months each force has."""

from __future__ import annotations

import gzip
from datetime import date
from pathlib import Path

import pytest

from policeperf.errors import InputFileError
from policeperf.ingest.national import ingest_national
from policeperf.store import Store
from tests.conftest import HOME_OFFICE
from tests.national_data import (
    POPULATION,
    PRC_2019,
    ROLLING,
    STREET,
    zip_text,
)


def test_both_prc_years_are_held_and_cambridgeshire_totals_match_the_published_tables(
    store: Store,
) -> None:
    report = ingest_national(store, [HOME_OFFICE, PRC_2019])
    kept = {Path(b.file).name.split("!")[-1]: (b.rows_in, b.rows_accepted) for b in report.batches}
    assert kept["prc-pfa-mar2013-onwards-tables-2017-18.csv"] == (23_068, 23_068)
    assert kept["prc-pfa-mar2013-onwards-tables-2019-20.csv"] == (23_420, 23_416)
    totals = store.fetchall(
        "SELECT financial_year, sum(offences) FROM national_crime "
        "WHERE force_code = 'E23000023' GROUP BY 1 ORDER BY 1"
    )
    assert totals == [("2017/18", 66_194), ("2019/20", 68_690)]
    territorial = store.scalar(
        "SELECT sum(offences) FROM national_crime WHERE financial_year = '2019/20' "
        "AND (force_code LIKE 'E23%' OR force_code LIKE 'W15%')"
    )
    assert territorial == 5_236_391


def test_fractional_uk_finance_estimates_are_quarantined_with_their_reason(store: Store) -> None:
    ingest_national(store, [PRC_2019])
    reasons = store.fetchall("SELECT check_name, reason FROM quarantine")
    assert len(reasons) == 4
    assert reasons[0][0] == "invalid_bigint"
    assert "expected a whole number" in reasons[0][1]


def test_avon_and_somerset_spelt_two_ways_is_one_force_in_both_years(store: Store) -> None:
    ingest_national(store, [HOME_OFFICE, PRC_2019])
    rows = store.fetchall(
        "SELECT DISTINCT financial_year, force_code, force FROM national_crime "
        "WHERE force_code IN ('E23000036', 'E23000034') ORDER BY 1, 2"
    )
    assert rows == [
        ("2017/18", "E23000034", "City of London Police"),
        ("2017/18", "E23000036", "Avon and Somerset Constabulary"),
        ("2019/20", "E23000034", "City of London Police"),
        ("2019/20", "E23000036", "Avon and Somerset Constabulary"),
    ]


def test_an_unknown_force_name_is_quarantined_never_dropped(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "prc.csv"
    lines = zip_text(HOME_OFFICE).splitlines()
    path.write_text(
        "\n".join([lines[0], lines[1], lines[2].replace("Avon and Somerset", "Narnia")]) + "\n"
    )
    report = ingest_national(store, [path])
    assert (report.rows_in, report.rows_accepted, report.rows_quarantined) == (2, 1, 1)
    line, reason = store.fetchall("SELECT line, reason FROM quarantine")[0]
    assert line == 3
    assert reason.startswith("Force Name: got 'Narnia'; expected a police force area")


def test_population_regions_and_countries_are_quarantined_and_the_43_forces_kept(
    store: Store,
) -> None:
    report = ingest_national(store, [POPULATION])
    assert (report.rows_accepted, report.rows_quarantined) == (43, 13)
    assert (
        store.scalar("SELECT population FROM national_population WHERE force_code = 'E23000023'")
        == 852_500
    )
    assert store.scalar("SELECT sum(population) FROM national_population") == 59_116_100
    quarantined = {r for (r,) in store.fetchall("SELECT raw FROM quarantine")}
    assert any(r.startswith("K04000001,ENGLAND AND WALES") for r in quarantined)
    assert any(",Beds Cambs Herts," in r for r in quarantined)


def test_reingesting_the_same_files_writes_nothing(store: Store) -> None:
    ingest_national(store, [ROLLING])
    rows = store.scalar("SELECT count(*) FROM national_rolling_crime")
    again = ingest_national(store, [ROLLING])
    assert [b.skipped for b in again.batches] == [True]
    assert store.scalar("SELECT count(*) FROM national_rolling_crime") == rows == 46_469


def test_rolling_year_totals_for_cambridgeshire_match_the_prc_table(store: Store) -> None:
    ingest_national(store, [ROLLING])
    total = store.scalar(
        "SELECT sum(offences) FROM national_rolling_crime WHERE force_code = 'E23000023' "
        "AND period_end = DATE '2018-03-01'"
    )
    assert total == 66_194
    first = store.fetchall("SELECT min(period_start), min(period_end) FROM national_rolling_crime")
    assert first == [(date(2002, 4, 1), date(2003, 3, 1))]


def test_street_count_coverage_holds_only_the_months_each_force_has(store: Store) -> None:
    ingest_national(store, [STREET])
    months = {
        m
        for (m,) in store.fetchall(
            "SELECT month FROM coverage WHERE force = 'Thames Valley Police' "
            "AND table_name = 'national_street_counts'"
        )
    }
    assert len(months) == 6
    assert date(2022, 5, 1) not in months and date(2022, 4, 1) in months
    forces = {f for (f,) in store.fetchall("SELECT DISTINCT force FROM coverage")}
    assert "Metropolitan Police Service" not in forces
    assert "Cumbria Constabulary" in forces
    cumbria = store.scalar(
        "SELECT sum(crimes) FROM national_street_counts WHERE force_code = 'E23000002' "
        "AND period_start = DATE '2022-01-01' AND crime_type <> 'Anti-social behaviour'"
    )
    assert cumbria == 3_130


def test_gzipped_tables_are_read_as_published(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "rec-crime-pfa.csv.gz"
    path.write_bytes(gzip.compress(zip_text(ROLLING).encode("utf-8")))
    report = ingest_national(store, [path])
    assert report.rows_accepted == 46_469


def test_a_file_of_no_national_kind_is_one_line_naming_the_kinds(
    store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(InputFileError) as caught:
        ingest_national(store, [path])
    message = str(caught.value)
    assert "\n" not in message
    assert "not a national source file" in message and "crime outcomes open data" in message
    assert store.scalar("SELECT count(*) FROM ingest_batches") == 0
