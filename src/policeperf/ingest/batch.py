"""One file, one batch, one transaction: every row accepted or quarantined with a reason.

`rows_in = rows_accepted + rows_quarantined` is checked before commit and stored (the
`ingest_batches` table also enforces it). Re-ingesting content already ingested is a no-op.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb
import pyarrow as pa

from policeperf.errors import PolicePerfError
from policeperf.ingest.files import InputFile
from policeperf.ingest.reader import Staged
from policeperf.ingest.validate import Route, build_typed, ident, raw_text, sql_str
from policeperf.store import Store

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class BatchResult:
    """What one file did to the store."""

    file: str
    source: str
    kind: str
    batch_id: int | None
    rows_in: int = 0
    rows_accepted: int = 0
    rows_quarantined: int = 0
    skipped: bool = False
    """True when the same content had been ingested already (nothing written)."""
    accepted_by_table: dict[str, int] = field(default_factory=dict)
    quarantined_by_check: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


class AccountingError(PolicePerfError):
    """rows_in != rows_accepted + rows_quarantined: a bug, so the batch is rolled back."""


def already_ingested(store: Store, sha256: str, source: str, kind: str) -> int | None:
    found = store.scalar(
        "SELECT min(batch_id) FROM ingest_batches WHERE content_sha256 = ? AND source = ? AND kind = ?",
        [sha256, source, kind],
    )
    return None if found is None else int(found)


def run_batch(
    store: Store,
    file: InputFile,
    *,
    source: str,
    kind: str,
    stage: Callable[[duckdb.DuckDBPyConnection], Staged],
    routes: Sequence[Route],
    clock: Clock = utc_now,
) -> BatchResult:
    """Stage `file`, route its rows into canonical tables and record the batch, atomically."""
    previous = already_ingested(store, file.sha256, source, kind)
    if previous is not None:
        return BatchResult(file.name, source, kind, previous, skipped=True)
    started = clock()
    with store.transaction() as con:
        batch_id = int(store.scalar("SELECT coalesce(max(batch_id), 0) + 1 FROM ingest_batches"))
        staged = stage(con)
        result = BatchResult(file.name, source, kind, batch_id, rows_in=staged.rows_in)
        checks: Counter[str] = Counter()
        _quarantine_rejected(con, batch_id, kind, file.name, staged)
        checks.update(r.check_name for r in staged.rejected)
        routed = 0
        months: list[object] = []
        forces: set[str] = set()
        for i, route in enumerate(routes):
            typed = f"{staged.table}_r{i}"
            build_typed(con, staged.table, route, typed)
            _mark_duplicates(con, typed, route)
            _insert_accepted(con, typed, route, batch_id)
            summary = _summarise(con, typed, route)
            routed += summary.rows
            result.accepted_by_table[route.table.name] = summary.accepted
            result.rows_accepted += summary.accepted
            checks.update(summary.checks)
            if summary.checks:
                con.execute(
                    f"""INSERT INTO quarantine
                    SELECT {batch_id}, {sql_str(route.table.name)}, {sql_str(file.name)}, t.__line,
                           t.__field, t.__check, t.__reason, {raw_text(route)}
                    FROM {typed} t JOIN {staged.table} s USING (__line)
                    WHERE t.__reason IS NOT NULL ORDER BY t.__line"""
                )
            months.extend(m for m in (summary.first_month, summary.last_month) if m is not None)
            forces.update(summary.forces)
            con.execute(f"DROP TABLE {typed}")
        staged.drop(con)
        if routed != staged.rows:
            raise AccountingError(
                f"{file.name}: routes took {routed} of {staged.rows} parsed rows; a route is missing"
            )
        result.quarantined_by_check = dict(checks)
        result.rows_quarantined = sum(checks.values())
        if result.rows_in != result.rows_accepted + result.rows_quarantined:
            raise AccountingError(
                f"{file.name}: rows_in {result.rows_in} != accepted {result.rows_accepted} + "
                f"quarantined {result.rows_quarantined}"
            )
        con.execute(
            "INSERT INTO ingest_batches VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                batch_id, source, kind, ",".join(r.table.name for r in routes), file.name,
                file.sha256, started, clock(), result.rows_in, result.rows_accepted,
                result.rows_quarantined, ",".join(sorted(forces)) or None,
                min(months) if months else None, max(months) if months else None,
            ],
        )  # fmt: skip
    return result


def _quarantine_rejected(
    con: duckdb.DuckDBPyConnection, batch_id: int, kind: str, name: str, staged: Staged
) -> None:
    if not staged.rejected:
        return
    rows = pa.table(
        {
            "line": [r.line for r in staged.rejected],
            "field": [r.field for r in staged.rejected],
            "check_name": [r.check_name for r in staged.rejected],
            "reason": [r.reason for r in staged.rejected],
            "raw": [r.raw for r in staged.rejected],
        }
    )
    con.register("__rejected", rows)
    con.execute(
        f"INSERT INTO quarantine SELECT {batch_id}, {sql_str(kind)}, {sql_str(name)}, line, "
        "field, check_name, reason, raw FROM __rejected"
    )
    con.unregister("__rejected")


def _key_text(alias: str, key: Sequence[str]) -> str:
    return " || ' / ' || ".join(f"coalesce({alias}.{ident(k)}::VARCHAR, '')" for k in key)


def _mark_duplicates(con: duckdb.DuckDBPyConnection, typed: str, route: Route) -> None:
    """Quarantine a second row with the same key: within the file, then against the store."""
    key = route.table.key
    if not key:
        return
    label = " / ".join(route.sources[k].label if k in route.sources else k for k in key)
    same = " AND ".join(f"t.{ident(k)} IS NOT DISTINCT FROM d.{ident(k)}" for k in key)
    cols = ", ".join(ident(k) for k in key)
    con.execute(
        f"""
        UPDATE {typed} t SET __field = {sql_str(label)}, __check = 'duplicate',
            __reason = {sql_str(label + ": duplicate ")} || '''' || {_key_text("t", key)} || ''''
                       || '; first seen at line ' || d.first_line || ' of this file'
        FROM (
            SELECT __line, {cols}, min(__line) OVER (PARTITION BY {cols}) AS first_line
            FROM {typed} WHERE __reason IS NULL
        ) d
        WHERE t.__line = d.__line AND d.__line > d.first_line
        """
    )
    table = route.table.name
    con.execute(
        f"""
        UPDATE {typed} t SET __field = {sql_str(label)}, __check = 'duplicate',
            __reason = {sql_str(label + ": duplicate ")} || '''' || {_key_text("t", key)} || ''''
                       || '; first seen in batch ' || d.batch_id || ' ('
                       || coalesce(b.file, 'unknown file') || ' line ' || coalesce(d.source_line::VARCHAR, '?') || ')'
        FROM {table} d LEFT JOIN ingest_batches b ON b.batch_id = d.batch_id
        WHERE t.__reason IS NULL AND {same}
        """
    )


def _insert_accepted(
    con: duckdb.DuckDBPyConnection, typed: str, route: Route, batch_id: int
) -> None:
    cols = ", ".join(ident(c) for c in route.table.column_names)
    con.execute(
        f"INSERT INTO {route.table.name} ({cols}, batch_id, source_line) "
        f"SELECT {cols}, {batch_id}, __line FROM {typed} WHERE __reason IS NULL ORDER BY __line"
    )


@dataclass(frozen=True)
class _RouteSummary:
    rows: int
    accepted: int
    checks: dict[str, int]
    first_month: object
    last_month: object
    forces: list[str]


def _summarise(con: duckdb.DuckDBPyConnection, typed: str, route: Route) -> _RouteSummary:
    """Counts, quarantine checks, months and forces of one route, in one scan."""
    month = route.table.month_column
    ok = "WHERE __reason IS NULL"
    month_sql = (
        f"min(date_trunc('month', {ident(month)})) FILTER ({ok})::DATE, "
        f"max(date_trunc('month', {ident(month)})) FILTER ({ok})::DATE"
        if month
        else "NULL, NULL"
    )
    force_sql = (
        f"list(DISTINCT force) FILTER ({ok} AND force IS NOT NULL)"
        if "force" in route.table.column_names
        else "[]"
    )
    row = con.execute(
        f"""SELECT count(*), count(*) FILTER ({ok}),
                   histogram(__check) FILTER (WHERE __reason IS NOT NULL), {month_sql}, {force_sql}
            FROM {typed}"""
    ).fetchall()[0]
    return _RouteSummary(
        rows=int(row[0]),
        accepted=int(row[1]),
        checks={str(k): int(v) for k, v in (row[2] or {}).items()},
        first_month=row[3],
        last_month=row[4],
        forces=list(row[5] or []),
    )
