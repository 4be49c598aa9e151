"""The Home Office police recorded crime PFA table, checked against the published totals."""

from __future__ import annotations

from policeperf.ingest.run import ingest_home_office
from policeperf.store import Store
from tests.conftest import HOME_OFFICE, read_zip_csv_rows


def test_every_row_is_kept_and_cambridgeshire_totals_match_the_table(store: Store) -> None:
    report = ingest_home_office(store, [HOME_OFFICE])
    assert (report.rows_in, report.rows_accepted, report.rows_quarantined) == (23_068, 23_068, 0)
    quarters = store.fetchall(
        "SELECT quarter, sum(offences) FROM ho_recorded_crime "
        "WHERE force = 'Cambridgeshire Constabulary' GROUP BY 1 ORDER BY 1"
    )
    assert quarters == [(1, 17_126), (2, 16_988), (3, 17_013), (4, 15_067)]
    assert sum(n for _, n in quarters) == 66_194


def test_force_names_are_normalised_and_other_bodies_kept(store: Store) -> None:
    ingest_home_office(store, [HOME_OFFICE])
    forces = {f for (f,) in store.fetchall("SELECT DISTINCT force FROM ho_recorded_crime")}
    assert "City of London Police" in forces
    assert "Action Fraud" in forces
    assert len(forces) == 48


def test_national_total_equals_the_sum_of_the_file(store: Store) -> None:
    ingest_home_office(store, [HOME_OFFICE])
    rows = read_zip_csv_rows(HOME_OFFICE, ".csv")
    expected = sum(int(r["Number of Offences"].strip()) for r in rows)
    assert store.scalar("SELECT sum(offences) FROM ho_recorded_crime") == expected
