"""Opening stores: schema creation, versions, migrations, read-only access, transactions."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from policeperf.errors import StoreError
from policeperf.store import SCHEMA_VERSION, Store, resolve_store_path
from policeperf.store import database as database_module
from policeperf.store.schema import COVERAGE_DDL


def test_a_new_store_has_every_canonical_table_at_the_current_version(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as db:
        assert db.schema_version == SCHEMA_VERSION
        tables = {t for (t,) in db.fetchall("SHOW TABLES")}
    assert {"crimes", "outcomes", "asb_incidents", "stop_searches", "incidents", "calls",
            "survey_responses", "person_links", "investigations", "activities",
            "ingest_batches", "quarantine"} <= tables  # fmt: skip


def test_a_version_3_store_gains_activities_and_keeps_its_investigations(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    Store(path).close()
    con = duckdb.connect(str(path))  # as a version-3 store was: one compliant flag, no activities
    con.execute("DROP TABLE activities")
    con.execute("DROP TABLE investigations")
    con.execute(
        "CREATE TABLE investigations (crime_id VARCHAR, snapshot_date DATE, status VARCHAR, "
        "compliant BOOLEAN, batch_id INTEGER, source_line BIGINT)"
    )
    con.execute("INSERT INTO investigations VALUES ('C1', '2020-04-01', 'open', false, 1, 2)")
    con.execute("UPDATE schema_meta SET value = '3' WHERE key = 'schema_version'")
    con.close()
    with Store(path) as db:
        assert db.schema_version == SCHEMA_VERSION == 4
        row = db.fetch_dicts("SELECT * FROM investigations")[0]
        assert db.scalar("SELECT count(*) FROM activities") == 0
    assert (row["crime_id"], row["compliant"], row["batch_id"]) == ("C1", False, 1)
    assert row["vcc_contact_due"] is None and row["offence_category"] is None
    assert {"allocated", "suspect_managed", "force", "district", "domestic_abuse"} <= set(row)


def test_a_store_from_a_newer_release_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    Store(path).close()
    con = duckdb.connect(str(path))
    con.execute(
        "UPDATE schema_meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION + 1)]
    )
    con.close()
    with pytest.raises(StoreError, match="newer than this policeperf supports"):
        Store(path)


def test_an_older_store_is_migrated_forward_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s.duckdb"
    Store(path).close()
    steps: list[int] = []

    def add_column(con: duckdb.DuckDBPyConnection) -> None:
        steps.append(1)
        con.execute("ALTER TABLE crimes ADD COLUMN vulnerability_flag BOOLEAN")

    monkeypatch.setattr(database_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with Store(path, migrations={SCHEMA_VERSION: add_column}) as db:
        assert db.schema_version == SCHEMA_VERSION + 1
        columns = {
            c
            for (c,) in db.fetchall(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'crimes'"
            )
        }
    assert steps == [1]
    assert "vulnerability_flag" in columns


def test_a_missing_migration_is_an_error_and_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s.duckdb"
    Store(path).close()
    monkeypatch.setattr(database_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with pytest.raises(StoreError, match=f"no migration from schema version {SCHEMA_VERSION}"):
        Store(path, migrations={})
    monkeypatch.setattr(database_module, "SCHEMA_VERSION", SCHEMA_VERSION)
    with Store(path) as db:
        assert db.schema_version == SCHEMA_VERSION


def test_read_only_on_a_missing_file_says_how_to_create_it(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no store here; run 'policeperf ingest' first"):
        Store(tmp_path / "absent.duckdb", read_only=True)


def test_a_failed_transaction_leaves_no_trace(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as db:
        with pytest.raises(RuntimeError), db.transaction() as con:
            con.execute("INSERT INTO person_links VALUES ('c1', 'p1', 'victim', 1, 2)")
            raise RuntimeError("boom")
        assert db.scalar("SELECT count(*) FROM person_links") == 0


def test_store_path_comes_from_argument_then_environment_then_default() -> None:
    assert resolve_store_path("a.duckdb", {"POLICEPERF_STORE": "b.duckdb"}) == Path("a.duckdb")
    assert resolve_store_path(None, {"POLICEPERF_STORE": "b.duckdb"}) == Path("b.duckdb")
    assert resolve_store_path(None, {}) == Path("policeperf.duckdb")


def test_a_version_1_store_is_migrated_through_coverage_to_the_revision_history(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v1.duckdb"
    con = duckdb.connect(str(path))
    v1 = database_module.full_ddl().split("CREATE TABLE IF NOT EXISTS crimes_history")[0]
    v1 = v1.replace(COVERAGE_DDL, "").replace("    superseded_by INTEGER,\n", "")
    con.execute(v1)
    con.execute("INSERT INTO schema_meta VALUES ('schema_version', '1')")
    con.execute(
        "INSERT INTO ingest_batches VALUES (1, 'police-uk', 'street', 'crimes', 'f.csv', 'x', "
        "now(), now(), 2, 2, 0, 'F', '2024-01-01', '2024-01-01')"
    )
    con.close()
    with Store(path) as db:
        assert db.schema_version == SCHEMA_VERSION == 4
        assert db.fetchall("SELECT batch_id, superseded_by FROM ingest_batches") == [(1, None)]
        assert db.scalar("SELECT count(*) FROM coverage") == 1
        tables = {t for (t,) in db.fetchall("SHOW TABLES")}
    assert {"crimes_history", "outcomes_history", "asb_incidents_history",
            "stop_searches_history"} <= tables  # fmt: skip


def test_a_bulk_transaction_commits_into_the_file_and_keeps_the_log_threshold(
    tmp_path: Path,
) -> None:
    """A large bulk commit goes into the file (the log is folded in, not grown by the rows) where
    an ordinary one goes to the log; the store's own threshold is back afterwards, also after a
    failed bulk transaction."""

    def threshold(db: Store) -> str:
        return str(db.scalar("SELECT current_setting('checkpoint_threshold')"))

    def log_after(bulk: bool) -> int:
        path = tmp_path / f"{bulk}.duckdb"
        with Store(path) as db:
            usual = threshold(db)
            with db.transaction(bulk=bulk) as con:
                # enough rows and columns for DuckDB's estimate of the log to pass the threshold
                con.execute("CREATE TABLE big AS SELECT "
                            + ", ".join(f"'v' || (range % {k + 7}) AS c{k}" for k in range(12))
                            + " FROM range(100000)")  # fmt: skip
            assert threshold(db) == usual
            wal = Path(f"{path}.wal")
            size = wal.stat().st_size if wal.exists() else 0
            with pytest.raises(RuntimeError), db.transaction(bulk=bulk) as con:
                con.execute("INSERT INTO big (c0) VALUES ('y')")
                raise RuntimeError("boom")
            assert threshold(db) == usual
            assert db.scalar("SELECT count(*) FROM big") == 100000
        return size

    assert log_after(bulk=False) > 1_000_000
    assert log_after(bulk=True) == 0


def test_status_counts_an_investigation_outside_the_districts_only_when_its_crime_is_too(
    tmp_path: Path,
) -> None:
    from policeperf.store.status import store_status

    with Store(tmp_path / "s.duckdb") as db:
        db.execute("INSERT INTO crimes (crime_id, district) VALUES ('C1', 'Northam'), ('C2', NULL)")
        db.execute(
            "INSERT INTO investigations (crime_id, snapshot_date, district) VALUES "
            "('C1', '2021-01-01', NULL), ('C2', '2021-01-01', NULL), ('C9', '2021-01-01', NULL), "
            "('C9', '2021-02-01', 'Hunton')"
        )
        assert store_status(db).outside_districts["investigations"] == 2


def test_a_store_refused_read_only_for_migrating_can_be_opened_for_writing_at_once(
    tmp_path: Path,
) -> None:
    """`status` opens read-only, and on an older store opens again for writing to migrate it:
    the refused connection must be closed, or DuckDB refuses the second one."""
    path = tmp_path / "old.duckdb"
    with Store(path) as db:
        db.execute("UPDATE schema_meta SET value = ? WHERE key = 'schema_version'",
                   [str(SCHEMA_VERSION - 1)])  # fmt: skip
    try:
        Store(path, read_only=True)
    except StoreError as exc:
        assert "needs migrating" in str(exc)
        # Reopened while the refusal's traceback (and so the refused store) is still alive.
        with Store(path, migrations={SCHEMA_VERSION - 1: lambda con: None}) as db:
            assert db.schema_version == SCHEMA_VERSION
    else:
        pytest.fail("an older store opened read-only")
