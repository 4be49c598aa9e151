"""The store as a Parquet dataset (hive layout by force and month) and read back on DuckDB."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from policeperf.errors import PolicePerfError
from policeperf.ingest.run import ingest_police_uk
from policeperf.store import Store
from policeperf.store.database import store_state
from policeperf.store.parquet import MANIFEST, duckdb_dataset_backend, export_dataset, read_dataset
from tests.conftest import CAMBS_2024

ODD_FORCE = "Avon & Somerset/Test=1 100%"
"""A force name with every character the hive layout must escape in a folder name."""


@pytest.fixture(scope="module")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One year of one force, with some crimes moved to a force of awkward name."""
    path = tmp_path_factory.mktemp("parquet") / "s.duckdb"
    with Store(path) as db:
        ingest_police_uk(db, [CAMBS_2024])
        db.execute("UPDATE crimes SET force = ? WHERE month(recorded_date) = 5", [ODD_FORCE])
    return path


def table_frame(con: object, sql: str) -> pd.DataFrame:
    return con.execute(f"{sql} ORDER BY ALL").df()  # type: ignore[attr-defined, no-any-return]


def test_every_table_reads_back_the_same_rows_and_types(small_store: Path, tmp_path: Path) -> None:
    folder = tmp_path / "the force's export"  # a quote in the path, as SQL must escape
    with Store(small_store, read_only=True) as db:
        dataset = export_dataset(db, folder)
        backend = duckdb_dataset_backend(read_dataset(folder))
        con = backend.con
        assert {"crimes", "outcomes", "coverage", "ingest_batches"} <= set(dataset.tables)
        for table, info in dataset.tables.items():
            store_types = db.fetchall(f"DESCRIBE {table}")
            read_types = con.execute(f"DESCRIBE {table}").fetchall()
            assert [r[:2] for r in read_types] == [r[:2] for r in store_types], table
            pd.testing.assert_frame_equal(
                table_frame(db.con, f"SELECT * FROM {table}"),
                table_frame(con, f"SELECT * FROM {table}"),
                obj=table,
            )
            assert info.rows == db.fetchall(f"SELECT count(*) FROM {table}")[0][0]
    crimes = dataset.tables["crimes"]
    assert crimes.partition_by == ("force", "month")
    assert "month" not in crimes.names  # the month folder is a layout, not a column of crimes
    assert dataset.tables["coverage"].partition_by == ("force", "month")
    assert dataset.tables["ingest_batches"].partition_by == ()


def test_the_folders_are_the_hive_layout_by_force_and_month(
    small_store: Path, tmp_path: Path
) -> None:
    with Store(small_store, read_only=True) as db:
        export_dataset(db, tmp_path / "out", tables=["crimes"])
        state = store_state(db)
    forces = sorted(p.name for p in (tmp_path / "out" / "crimes").iterdir())
    assert forces == ["force=Avon%20%26%20Somerset%2FTest%3D1%20100%25",
                      "force=Cambridgeshire%20Constabulary"]  # fmt: skip
    odd = tmp_path / "out" / "crimes" / forces[0]
    assert [p.name for p in odd.iterdir()] == ["month=2024-05-01"]
    months = sorted(p.name for p in (tmp_path / "out" / "crimes" / forces[1]).iterdir())
    assert len(months) == 11 and "month=2024-05-01" not in months
    manifest = json.loads((tmp_path / "out" / MANIFEST).read_text())
    assert list(manifest["tables"]) == ["crimes"]
    assert manifest["store_state"] == state and state.startswith("batches=")


def test_an_export_goes_only_to_a_new_or_empty_folder(small_store: Path, tmp_path: Path) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x.txt").write_text("x")
    with Store(small_store, read_only=True) as db:
        with pytest.raises(PolicePerfError, match="not an empty folder"):
            export_dataset(db, tmp_path / "full")
        with pytest.raises(PolicePerfError, match="no table 'nope'"):
            export_dataset(db, tmp_path / "new", tables=["nope"])


def test_a_folder_that_is_not_an_export_is_one_line(small_store: Path, tmp_path: Path) -> None:
    with pytest.raises(PolicePerfError, match="no such folder"):
        read_dataset(tmp_path / "absent")
    (tmp_path / "plain").mkdir()
    with pytest.raises(PolicePerfError, match="not a policeperf Parquet export"):
        read_dataset(tmp_path / "plain")
    with Store(small_store, read_only=True) as db:
        export_dataset(db, tmp_path / "old", tables=["coverage"])
    path = tmp_path / "old" / MANIFEST
    manifest = json.loads(path.read_text())
    path.write_text(json.dumps({**manifest, "schema_version": 1}))
    with pytest.raises(PolicePerfError, match="schema version 1"):
        read_dataset(tmp_path / "old")
    path.write_text("{")
    with pytest.raises(PolicePerfError, match="unreadable manifest"):
        read_dataset(tmp_path / "old")
