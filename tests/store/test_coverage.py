"""Coverage: the months each table was received, per force; a month not received is a gap."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb

from policeperf.ingest.police_uk import STREET_HEADER
from policeperf.ingest.run import ingest_police_uk
from policeperf.store import SCHEMA_VERSION, Store, coverage
from tests.conftest import policeperf
from tests.policeuk_files import write_street_files

CAMBS = "Cambridgeshire Constabulary"


def months(*labels: str) -> list[date]:
    return [date(int(x[:4]), int(x[5:]), 1) for x in labels]


def test_runs_and_gaps_are_named_in_order() -> None:
    held = months("2018-10", "2018-11", "2018-12", "2019-01", "2019-02", "2020-01", "2020-02")
    assert [s.label() for s in coverage.runs(held)] == ["2018-10..2019-02", "2020-01..2020-02"]
    assert [s.label() for s in coverage.gaps(held)] == ["2019-03..2019-12"]
    assert coverage.describe(held) == "2018-10..2019-02, 2020-01..2020-02; gap 2019-03..2019-12"
    assert coverage.describe([]) == "none"
    assert coverage.describe(months("2024-05")) == "2024-05"


def test_a_police_uk_file_covers_its_month_even_with_no_rows(tmp_path: Path) -> None:
    write_street_files(
        tmp_path / "in", slug="cambridgeshire", force=CAMBS, months=months("2024-01")
    )
    empty = tmp_path / "in" / "2024-02" / "2024-02-cambridgeshire-street.csv"
    empty.parent.mkdir()
    empty.write_text(",".join(STREET_HEADER) + "\n", encoding="utf-8")
    with Store(tmp_path / "s.duckdb") as db:
        ingest_police_uk(db, [tmp_path / "in"])
        held = coverage.by_table(db.con, CAMBS)
    assert held[(CAMBS, "crimes")] == months("2024-01", "2024-02")
    assert held[(CAMBS, "asb_incidents")] == months("2024-01", "2024-02")
    assert (CAMBS, "outcomes") not in held


def test_status_names_every_gap_and_a_source_never_received(tmp_path: Path) -> None:
    held = months("2018-10", "2018-11", "2019-02", "2019-03")
    write_street_files(tmp_path / "in", slug="cambridgeshire", force=CAMBS, months=held)
    store = str(tmp_path / "s.duckdb")
    assert policeperf("ingest", "police-uk", str(tmp_path / "in"), "--store", store).returncode == 0
    status = json.loads(policeperf("status", "--store", store, "--json").stdout)
    rows = {c["table"]: c for c in status["coverage"] if c["force"] == CAMBS}
    assert rows["crimes"]["covered"] == ["2018-10..2018-11", "2019-02..2019-03"]
    assert rows["crimes"]["gaps"] == ["2018-12..2019-01"]
    assert rows["outcomes"]["summary"] == "none" and rows["outcomes"]["months"] == 0
    text = policeperf("status", "--store", store).stdout
    assert "Coverage" in text and "gaps" in text and "none" in text


def test_a_store_from_before_coverage_is_migrated_from_its_batches(tmp_path: Path) -> None:
    write_street_files(tmp_path / "in", slug="cambridgeshire", force=CAMBS,
                       months=months("2024-01", "2024-02", "2024-03"))  # fmt: skip
    path = tmp_path / "s.duckdb"
    with Store(path) as db:
        ingest_police_uk(db, [tmp_path / "in"])
        before = coverage.by_table(db.con)
    con = duckdb.connect(str(path))  # as a version-1 store was: no coverage table
    con.execute("DROP TABLE coverage")
    con.execute("UPDATE schema_meta SET value = '1' WHERE key = 'schema_version'")
    con.close()
    # Only the coverage step is under test; the later step's tables are already there.
    with Store(path, migrations={1: coverage.migrate_from_batches, 2: lambda con: None,
                                 3: lambda con: None}) as db:  # fmt: skip
        assert db.schema_version == SCHEMA_VERSION
        assert coverage.by_table(db.con) == before
