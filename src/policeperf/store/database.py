"""Opening the store. Only this package knows it is DuckDB and DuckDB's single-writer rule."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from policeperf.errors import INTERRUPTED, INTERRUPTED_LINE, StoreError
from policeperf.store.coverage import migrate_from_batches
from policeperf.store.schema import (
    ACTIVITIES,
    INVESTIGATIONS,
    REVISED_TABLES,
    SCHEMA_VERSION,
    full_ddl,
    history_ddl,
    table_ddl,
)

DEFAULT_STORE_PATH = Path("policeperf.duckdb")
WAL_THRESHOLD = "256MB"
"""How much write-ahead log the store lets build up before folding it into the file."""
BULK_THRESHOLD = "16MB"
"""A bulk transaction's commit writes its rows straight into the file above this (DuckDB's
default): writing them to the log first, then again at the next checkpoint, costs more."""
STORE_ENV = "POLICEPERF_STORE"

Migration = Callable[[duckdb.DuckDBPyConnection], None]
"""A step that takes a store from version v to v + 1."""


def add_revision_history(con: duckdb.DuckDBPyConnection) -> None:
    """2 -> 3: history tables for revised records, and the batch that superseded each batch."""
    con.execute("ALTER TABLE ingest_batches ADD COLUMN superseded_by INTEGER")
    for table in REVISED_TABLES.values():
        con.execute(history_ddl(table))


def add_activities_and_standards(con: duckdb.DuckDBPyConnection) -> None:
    """3 -> 4: the `activities` table, and the investigations' per-standard flags, force,
    geography, offence and markers, appended as empty columns in schema order: rows ingested
    before keep their `compliant` flag and take the rest from their crime."""
    have = {
        str(r[0])
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?",
            [INVESTIGATIONS.name],
        ).fetchall()
    }
    for column in INVESTIGATIONS.columns:
        if column.name not in have:
            con.execute(
                f"ALTER TABLE {INVESTIGATIONS.name} ADD COLUMN {column.name} {column.sql_type}"
            )
    con.execute(table_ddl(ACTIVITIES))


MIGRATIONS: Mapping[int, Migration] = {
    1: migrate_from_batches,
    2: add_revision_history,
    3: add_activities_and_standards,
}
"""Forward migrations keyed by the version they start from. Version 1 is the first release;
version 2 added coverage, version 3 the history of revised records, version 4 activities and
the investigations' standards."""


def resolve_store_path(path: str | Path | None, environ: Mapping[str, str] | None = None) -> Path:
    """The store path: the explicit one, else `$POLICEPERF_STORE`, else `./policeperf.duckdb`."""
    if path is not None:
        return Path(path)
    env = os.environ if environ is None else environ
    if env.get(STORE_ENV):
        return Path(env[STORE_ENV])
    return DEFAULT_STORE_PATH


class Store:
    """An open policeperf store.

    Args:
        path: the DuckDB file, or ":memory:".
        read_only: open without write access (the dashboard does); the file must exist.
        migrations: forward migrations to apply; injectable for tests.
    """

    def __init__(
        self,
        path: str | Path = DEFAULT_STORE_PATH,
        *,
        read_only: bool = False,
        migrations: Mapping[int, Migration] | None = None,
    ) -> None:
        self.path = Path(path) if str(path) != ":memory:" else None
        self.read_only = read_only
        self._in_transaction = False
        if self.path is not None:
            if read_only and not self.path.exists():
                raise StoreError(f"{self.path}: no store here; run 'policeperf ingest' first")
            if not read_only:
                self.path.parent.mkdir(parents=True, exist_ok=True)
        existed = self.path is not None and self.path.exists()
        try:
            self.con = duckdb.connect(str(path), read_only=read_only)
        except duckdb.Error as exc:
            first = str(exc).splitlines()[0]
            raise StoreError(f"{path}: cannot open the store ({first})") from exc
        # Timestamps are stored in UTC; casts from offsets must not depend on the machine.
        self.con.execute("SET TimeZone = 'UTC'")
        self.con.execute("SET enable_progress_bar = false")
        if not read_only:
            # Fold the write-ahead log into the file less often: many small batches commit faster.
            self.con.execute(f"SET checkpoint_threshold = '{WAL_THRESHOLD}'")
        try:
            self._ensure_schema(MIGRATIONS if migrations is None else migrations)
            if existed and not read_only:
                self.check_integrity()
        except BaseException:
            # A store refused here must not stay open: the caller may reopen it for writing.
            self.con.close()
            raise

    # -- schema ---------------------------------------------------------------------------------

    @property
    def schema_version(self) -> int | None:
        exists = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_meta'"
        ).fetchall()[0]
        if not exists or not exists[0]:
            return None
        rows = self.con.execute(
            "SELECT value FROM schema_meta WHERE key = 'schema_version'"
        ).fetchall()
        return int(rows[0][0]) if rows else None

    def _ensure_schema(self, migrations: Mapping[int, Migration]) -> None:
        version = self.schema_version
        if version is None:
            if self.read_only:
                raise StoreError(f"{self.path}: not a policeperf store (no schema_meta table)")
            with self.transaction():
                self.con.execute(full_ddl())
                self.con.execute(
                    "INSERT INTO schema_meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)]
                )
            return
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: store schema version {version} is newer than this policeperf "
                f"supports ({SCHEMA_VERSION}); upgrade policeperf"
            )
        if version < SCHEMA_VERSION:
            if self.read_only:
                raise StoreError(
                    f"{self.path}: store schema version {version} needs migrating to "
                    f"{SCHEMA_VERSION}; open it once for writing (e.g. 'policeperf status')"
                )
            self._migrate(version, migrations)

    def _migrate(self, version: int, migrations: Mapping[int, Migration]) -> None:
        with self.transaction():
            while version < SCHEMA_VERSION:
                if version not in migrations:
                    raise StoreError(f"{self.path}: no migration from schema version {version}")
                migrations[version](self.con)
                version += 1
            self.con.execute(
                "UPDATE schema_meta SET value = ? WHERE key = 'schema_version'", [str(version)]
            )

    def check_integrity(self) -> None:
        """Read every block of every table, so that DuckDB checks each block's checksum: a
        corrupt store is refused when opened for writing, before an ingest adds to it."""
        tables = self.con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY 1"
        ).fetchall()
        for (table,) in tables:
            try:
                self.con.execute(f'SELECT sum(hash(t)) FROM "{table}" t').fetchall()
            except duckdb.Error as exc:
                first = str(exc).splitlines()[0]
                raise StoreError(
                    f"{self.path}: the store is damaged (table {table}: {first}); "
                    "restore it from a backup"
                ) from None

    # -- access ---------------------------------------------------------------------------------

    @contextmanager
    def transaction(self, *, bulk: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """One atomic unit of work: committed on success, rolled back on any exception. Inside
        another transaction it is part of that one (an ingest command is one unit of work).
        A `bulk` one (many rows) commits by checkpoint when its log would be large."""
        if self._in_transaction:
            yield self.con
            return
        self._in_transaction = True
        try:
            with self._transaction(bulk) as con:
                yield con
        finally:
            self._in_transaction = False

    @contextmanager
    def _transaction(self, bulk: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        if not bulk:
            self.con.execute("COMMIT")
            return
        # DuckDB decides at commit whether the changes go to the log or straight to the file.
        self.con.execute(f"SET checkpoint_threshold = '{BULK_THRESHOLD}'")
        try:
            self.con.execute("COMMIT")
        finally:
            self.con.execute(f"SET checkpoint_threshold = '{WAL_THRESHOLD}'")

    def execute(self, sql: str, params: list[Any] | None = None) -> duckdb.DuckDBPyConnection:
        return self.con.execute(sql, params or [])

    def fetchall(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        return self.con.execute(sql, params or []).fetchall()

    def fetch_dicts(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        cur = self.con.execute(sql, params or [])
        names = [d[0] for d in cur.description or []]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def scalar(self, sql: str, params: list[Any] | None = None) -> Any:
        rows = self.con.execute(sql, params or []).fetchall()
        return rows[0][0] if rows else None

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def backend_failure(exc: BaseException) -> tuple[int, str] | None:
    """The exit code and one line for a DuckDB error a user can act on (a damaged store, a full
    disk, Ctrl+C during a query), or None for anything else (a bug: let it show)."""
    # Ctrl+C (or SIGTERM) during a query surfaces as InterruptException or, when the signal
    # handler raised inside DuckDB, as a plain RuntimeError('Query interrupted').
    if isinstance(exc, duckdb.InterruptException) or (
        type(exc) is RuntimeError and str(exc) == "Query interrupted"
    ):
        return INTERRUPTED, INTERRUPTED_LINE
    if not isinstance(exc, duckdb.Error):
        return None
    first = str(exc).splitlines()[0]
    if "Corrupt database file" in first:
        return 1, f"the store is damaged ({first}); restore it from a backup"
    if isinstance(exc, duckdb.IOException | duckdb.OutOfMemoryException):
        return 1, f"the store cannot be written ({first})"
    return None


def ibis_backend(store: Store) -> Any:
    """An Ibis backend over the store's own connection (the engine writes Ibis, not SQL)."""
    import ibis

    return ibis.duckdb.from_connection(store.con)


def store_state(store: Store) -> str:
    """A short fingerprint of what has been ingested: changes whenever a batch is added."""
    row = store.fetchall(
        "SELECT count(*), coalesce(max(batch_id), 0), coalesce(sum(rows_accepted), 0) FROM ingest_batches"
    )[0]
    return f"batches={row[0]};last={row[1]};rows={row[2]}"


CACHE_ENV = "POLICEPERF_CACHE"
COLUMN_KINDS = ("date", "string", "int64", "float64")
"""The column types a cached query may return: what the engine's queries give."""


def cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where compiled queries are kept: `$POLICEPERF_CACHE`, else the user's cache folder
    (`$XDG_CACHE_HOME/policeperf`, `~/.cache/policeperf`, on Windows `%LOCALAPPDATA%`). Per
    user rather than beside the store, so a read-only store (a shared drive, a published
    file) is served from cache too and no store folder fills with files."""
    env = os.environ if environ is None else environ
    if env.get(CACHE_ENV):
        return Path(env[CACHE_ENV])
    if os.name == "nt" and env.get("LOCALAPPDATA"):
        return Path(env["LOCALAPPDATA"]) / "policeperf" / "cache"
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "policeperf"


def read_queries(key: str, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The compiled queries kept under `key` (label -> {"sql", "columns"}); empty when there
    are none or the file cannot be read (a cache is never a reason to fail)."""
    import json

    try:
        text = (cache_dir(environ) / "sql" / f"{key}.json").read_text(encoding="utf-8")
        book = json.loads(text)
    except (OSError, ValueError):
        return {}
    return book if isinstance(book, dict) else {}


def write_queries(
    key: str, queries: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> None:
    """Keep compiled queries under `key`: written to a temporary file and renamed, so a reader
    never sees half a file; nothing is kept when the cache folder cannot be written."""
    import json
    import tempfile

    folder = cache_dir(environ) / "sql"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=folder, suffix=".tmp", delete=False
        ) as f:
            json.dump(queries, f, sort_keys=True)
        os.replace(f.name, folder / f"{key}.json")
    except OSError:
        return


def fetch_frame(store: Store, sql: str, columns: Sequence[tuple[str, str]]) -> Any:
    """Run `sql` on the store and return a pandas frame typed as Ibis' `to_pandas` types it
    (dates as datetime64[s], integers as int64 or, with a missing value, float64, text as
    pandas' string type where pandas infers it, even for a column of nulls), so a query
    run from its kept SQL gives the frame the engine's Ibis expression gives. `columns`: each
    result column's name and kind (`COLUMN_KINDS`)."""
    import numpy as np
    import pandas as pd

    frame = store.con.sql(sql).df()
    names = [name for name, _ in columns]
    if list(frame.columns) != names:
        raise StoreError(
            f"a kept query returned columns {list(frame.columns)}, not {names}; delete "
            f"{cache_dir() / 'sql'} to compile the queries again"
        )
    for name, kind in columns:
        col = frame[name]
        if kind == "date":
            frame[name] = col.astype("datetime64[s]")
        elif kind == "int64":
            frame[name] = col.astype("float64" if col.hasnans else "int64")
        elif kind == "float64":
            frame[name] = col.astype("float64")
        elif pd.options.future.infer_string:  # pandas' string type, a column of nulls too
            frame[name] = col.astype(pd.StringDtype(na_value=np.nan))
        else:
            frame[name] = col.astype(object)
    return frame
