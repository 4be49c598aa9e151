"""The store as a Parquet dataset: one folder per table, partitioned by force and month in the
hive layout (`crimes/force=Kent%20Police/month=2021-03-01/data_0.parquet`), with a manifest.

The dataset is what a Spark cluster (or any Parquet reader) takes in place of the DuckDB file,
and what `--data DIR` reads on either backend. The manifest (`policeperf.json`) keeps each
table's columns and types, so both readers give back the store's own tables: the partition
values, which the hive layout moves from the files into the folder names, are cast back to
their types, and the month folder of a table without a `month` column is only a layout.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from policeperf.errors import PolicePerfError
from policeperf.store.database import Store, store_state
from policeperf.store.schema import SCHEMA_VERSION

MANIFEST = "policeperf.json"
FORMAT = "policeperf-parquet"
MONTH_SOURCE = {
    "crimes": "recorded_date",
    "outcomes": "outcome_date",
    "incidents": "created_at",
    "calls": "received_at",
    "survey_responses": "response_date",
    "stop_searches": "searched_at",
    "investigations": "snapshot_date",
    "activities": "activity_date",
}
"""The date each record table's month folder is taken from (tables with a `month` column use it)."""
SKIPPED_SUFFIX = "_history"
"""Revised rows stay in the store: the dataset holds the current tables, as evaluation reads."""


@dataclass(frozen=True)
class TableInfo:
    """One table of a dataset: its columns (name, DuckDB type), partition keys and row count."""

    name: str
    columns: tuple[tuple[str, str], ...]
    partition_by: tuple[str, ...]
    rows: int

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c for c, _ in self.columns)


@dataclass(frozen=True)
class Dataset:
    """A Parquet export read back: its folder, the store state it was taken at, its tables."""

    folder: Path
    store_state: str
    schema_version: int
    exported_at: str
    tables: dict[str, TableInfo]

    def files(self, table: str) -> str:
        """The glob of `table`'s Parquet files."""
        info = self.tables[table]
        depth = "/".join("*" for _ in info.partition_by)
        return str(self.folder / table / (f"{depth}/*.parquet" if depth else "*.parquet"))


def _store_tables(store: Store) -> list[str]:
    rows = store.fetchall(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
        "AND table_type = 'BASE TABLE' ORDER BY table_name"
    )
    return [str(name) for (name,) in rows if not str(name).endswith(SKIPPED_SUFFIX)]


def _columns(store: Store, table: str) -> tuple[tuple[str, str], ...]:
    rows = store.fetchall(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position",
        [table],
    )
    return tuple((str(c), str(t)) for c, t in rows)


def _month_expr(table: str, names: Iterable[str]) -> str | None:
    names = set(names)
    if "month" in names:
        return None  # the table's own column is the partition key
    source = MONTH_SOURCE.get(table)
    if source in names:
        return f"CAST(date_trunc('month', \"{source}\") AS DATE) AS month"
    return None


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


def export_dataset(store: Store, folder: Path, tables: Iterable[str] | None = None) -> Dataset:
    """Write the store's current tables (every one, or `tables`) under `folder`, each
    partitioned by force and month where it has them, and the manifest last: a folder without
    a manifest is an export that did not finish. `folder` must be new or empty."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise PolicePerfError(f"{folder}: exists and is not an empty folder; name a new one")
    held = _store_tables(store)
    chosen = held if tables is None else list(tables)
    unknown = [t for t in chosen if t not in held]
    if unknown:
        raise PolicePerfError(f"the store holds no table {', '.join(map(repr, unknown))}")
    folder.mkdir(parents=True, exist_ok=True)
    infos: dict[str, TableInfo] = {}
    for table in chosen:
        columns = _columns(store, table)
        names = [c for c, _ in columns]
        rows = int(store.fetchall(f'SELECT count(*) FROM "{table}"')[0][0])
        month = _month_expr(table, names)
        keys: tuple[str, ...] = ()
        if rows and "force" in names:
            keys = ("force", "month") if month or "month" in names else ("force",)
        select = ", ".join([f'"{c}"' for c in names] + ([month] if month and keys else []))
        target = folder / table
        if keys:
            store.execute(
                f"COPY (SELECT {select} FROM \"{table}\") TO '{_quoted(target)}' "
                f"(FORMAT parquet, PARTITION_BY ({', '.join(keys)}))"
            )
        else:
            target.mkdir()
            store.execute(
                f"COPY (SELECT {select} FROM \"{table}\") TO '{_quoted(target / 'data_0.parquet')}' "
                "(FORMAT parquet)"
            )
        infos[table] = TableInfo(table, columns, keys, rows)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    state = store_state(store)
    manifest = {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "store_state": state,
        "exported_at": stamp,
        "tables": {
            t.name: {"columns": [list(c) for c in t.columns], "partition_by": list(t.partition_by),
                     "rows": t.rows}
            for t in infos.values()
        },
    }  # fmt: skip
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return Dataset(folder, state, SCHEMA_VERSION, stamp, infos)


def read_dataset(folder: Path) -> Dataset:
    """The dataset written by `export_dataset` at `folder`; a one-line error for a folder that
    is not one."""
    if not folder.is_dir():
        raise PolicePerfError(f"--data {folder}: no such folder")
    path = folder / MANIFEST
    hint = "write one with 'policeperf export parquet --out DIR'"
    if not path.is_file():
        raise PolicePerfError(
            f"--data {folder}: not a policeperf Parquet export (no {MANIFEST}); {hint}"
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        if manifest.get("format") != FORMAT:
            raise ValueError("not a policeperf export")
        tables = {
            name: TableInfo(name, tuple((str(c), str(t)) for c, t in spec["columns"]),
                            tuple(spec["partition_by"]), int(spec["rows"]))
            for name, spec in manifest["tables"].items()
        }  # fmt: skip
        dataset = Dataset(folder, str(manifest["store_state"]), int(manifest["schema_version"]),
                          str(manifest["exported_at"]), tables)  # fmt: skip
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise PolicePerfError(f"--data {path}: unreadable manifest ({exc}); {hint}") from None
    if dataset.schema_version != SCHEMA_VERSION:
        raise PolicePerfError(
            f"--data {folder}: exported from a store of schema version {dataset.schema_version}; "
            f"this policeperf reads version {SCHEMA_VERSION}: export the store again"
        )
    missing = [t for t in tables if not (folder / t).is_dir()]
    if missing:
        raise PolicePerfError(f"--data {folder}: table folder(s) missing: {', '.join(missing)}")
    return dataset


def duckdb_dataset_backend(dataset: Dataset) -> Any:
    """An Ibis DuckDB backend (in memory) with each table of `dataset` as a view over its
    Parquet files, the partition values cast back to the store's types."""
    import duckdb
    import ibis

    con = duckdb.connect()
    for table, info in dataset.tables.items():
        files = dataset.files(table).replace("'", "''")
        options = (
            ", hive_partitioning = true" if info.partition_by else ", hive_partitioning = false"
        )
        select = ", ".join(f'CAST("{c}" AS {t}) AS "{c}"' for c, t in info.columns)
        con.execute(
            f"CREATE VIEW \"{table}\" AS SELECT {select} FROM read_parquet('{files}'{options})"
        )
    return ibis.duckdb.from_connection(con)
