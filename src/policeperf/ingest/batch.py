"""Files of one kind, one transaction: every row accepted or quarantined with a reason.

Each file is a batch with its own row in `ingest_batches`, where `rows_in = rows_accepted +
rows_quarantined` is checked before commit (and enforced by the table). The files of one kind in
one command are staged by one scan and committed together, so a process killed part-way leaves
the store as it was before the command's files of that kind. Content already ingested is
skipped, file by file. With a revisions policy (data.police.uk), a republished month or a
revised record replaces the rows held and they move to history (`revisions.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import duckdb
import pyarrow as pa

from policeperf.calendar import month_range
from policeperf.errors import PolicePerfError
from policeperf.ingest.files import InputFile, police_uk_month, police_uk_name_parts
from policeperf.ingest.reader import Staged
from policeperf.ingest.revisions import (
    ALREADY_HELD_CHECKS,
    RevisionPlan,
    RevisionPolicy,
    plan_revisions,
)
from policeperf.ingest.validate import Route, build_typed, ident, make_helpers, raw_text, sql_str
from policeperf.store import Store, coverage

Clock = Callable[[], datetime]
StageFiles = Callable[[duckdb.DuckDBPyConnection, Sequence[InputFile]], Staged]


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
    supersedes: list[int] = field(default_factory=list)
    """Earlier batches of the same month(s) this file replaced (their rows are now history)."""
    rows_revised: int = 0
    """Rows of earlier batches that this file's revised records moved to history."""
    superseded_by: int | None = None
    """A later file of the same command and month(s) that replaced this one."""

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


class AccountingError(PolicePerfError):
    """rows_in != rows_accepted + rows_quarantined: a bug, so the batch is rolled back."""


def already_ingested(store: Store, hashes: Sequence[str], source: str, kind: str) -> dict[str, int]:
    """The first batch holding each content hash already ingested, asked in one query."""
    rows = store.fetchall(
        "SELECT content_sha256, min(batch_id) FROM ingest_batches "
        "WHERE list_contains(?, content_sha256) AND source = ? AND kind = ? GROUP BY 1",
        [list(hashes), source, kind],
    )
    return {str(h): int(b) for h, b in rows}


def run_batches(
    store: Store,
    files: Sequence[InputFile],
    *,
    source: str,
    kind: str,
    stage: StageFiles,
    routes: Sequence[Route],
    clock: Clock = utc_now,
    revisions: RevisionPolicy | None = None,
    period: tuple[date, date] | None = None,
) -> list[BatchResult]:
    """Stage `files` (all of one kind, read by the same routes), route their rows into canonical
    tables and record one batch per file, in one transaction. With a `revisions` policy a file
    may replace rows already held (`ingest/revisions.py`); without one a repeated key is always
    quarantined as a duplicate."""
    results: dict[str, BatchResult] = {}
    todo: list[InputFile] = []
    seen: set[str] = set()
    held = already_ingested(store, [f.sha256 for f in files], source, kind)
    for file in files:
        previous = held.get(file.sha256)
        if previous is not None or file.sha256 in seen:
            results[file.name] = BatchResult(file.name, source, kind, previous, skipped=True)
        else:
            seen.add(file.sha256)
            todo.append(file)
    if todo:
        started = clock()
        with store.transaction() as con:
            first_id = int(
                store.scalar("SELECT coalesce(max(batch_id), 0) + 1 FROM ingest_batches")
            )
            ids = {f.name: first_id + i for i, f in enumerate(todo)}
            order = {f.name: i for i, f in enumerate(todo)}
            staged = stage(con, todo)
            for f in todo:
                results[f.name] = BatchResult(
                    f.name, source, kind, ids[f.name], rows_in=staged.rows_in(f.name)
                )
            con.register("__batch_files", pa.table({"__file": list(ids), "__batch": list(ids.values()),
                                                    "__order": [order[n] for n in ids]}))  # fmt: skip
            _quarantine_rejected(con, ids, staged)
            for r in staged.rejected:
                counts = results[r.file].quarantined_by_check
                counts[r.check_name] = counts.get(r.check_name, 0) + 1
            routed: dict[str, int] = {}
            spans: dict[str, list[_FileSummary]] = {f.name: [] for f in todo}
            typed_tables = [(f"{staged.table}_r{i}", route) for i, route in enumerate(routes)]
            helpers = make_helpers(con, staged.table, routes)
            for typed, route in typed_tables:
                build_typed(con, staged.table, route, typed, nul_free=staged.nul_free)
            for helper in helpers:
                con.execute(f"DROP TABLE {helper}")
            plan: RevisionPlan | None = None
            if revisions is not None:
                plan = plan_revisions(
                    con, policy=revisions, source=source, kind=kind, ids=ids, typed=typed_tables
                )
            for typed, route in typed_tables:
                if plan is None:
                    _mark_duplicates(con, typed, route)
                else:
                    plan.mark(con, typed, route)
                _insert_accepted(con, typed, route, ids)
                if plan is not None:
                    plan.settle(con, route)
                summaries = _summarise(con, typed, route)
                for s in summaries:
                    result = results[s.file]
                    routed[s.file] = routed.get(s.file, 0) + s.rows
                    result.accepted_by_table[route.table.name] = s.accepted
                    result.rows_accepted += s.accepted
                    for check, count in s.checks.items():
                        result.quarantined_by_check[check] = (
                            result.quarantined_by_check.get(check, 0) + count
                        )
                    spans[s.file].append(s)
                if any(s.checks for s in summaries):
                    con.execute(
                        f"""INSERT INTO quarantine
                        SELECT b.__batch, {sql_str(route.table.name)}, t.__file, t.__line,
                               t.__field, t.__check, t.__reason, {raw_text(route)}
                        FROM {typed} t JOIN {staged.table} s USING (__file, __line)
                        JOIN __batch_files b USING (__file)
                        WHERE t.__reason IS NOT NULL ORDER BY b.__order, t.__line"""
                    )
                con.execute(f"DROP TABLE {typed}")
            staged.drop(con)
            con.unregister("__batch_files")
            finished = clock()
            batch_rows: list[tuple[object, ...]] = []
            covered: list[tuple[object, ...]] = []
            slugs = dict(con.execute("SELECT slug, name FROM ref_forces").fetchall())
            for f in todo:
                result = results[f.name]
                if routed.get(f.name, 0) != staged.rows.get(f.name, 0):
                    raise AccountingError(
                        f"{f.name}: routes took {routed.get(f.name, 0)} of {staged.rows.get(f.name, 0)} parsed rows; a route is missing"
                    )
                result.rows_quarantined = sum(result.quarantined_by_check.values())
                if result.rows_in != result.rows_accepted + result.rows_quarantined:
                    raise AccountingError(
                        f"{f.name}: rows_in {result.rows_in} != accepted {result.rows_accepted} + "
                        f"quarantined {result.rows_quarantined}"
                    )
                _refuse_nothing_accepted(con, ids[f.name], result)
                months = [
                    m for s in spans[f.name] for m in (s.first_month, s.last_month) if m is not None
                ]
                forces = sorted({x for s in spans[f.name] for x in s.forces})
                if plan is not None:
                    result.supersedes = plan.supersedes.get(f.name, [])
                    result.rows_revised = plan.revised.get(f.name, 0)
                    result.superseded_by = plan.superseded_in_group.get(f.name)
                batch_rows.append(
                    (
                        ids[f.name], source, kind, ",".join(r.table.name for r in routes), f.name,
                        f.sha256, started, finished, result.rows_in, result.rows_accepted,
                        result.rows_quarantined, ",".join(forces) or None,
                        min(months) if months else None, max(months) if months else None,
                        result.superseded_by,
                    )
                )  # fmt: skip
                covered += _coverage_rows(ids[f.name], f, source, kind, routes, months, forces,
                                          slugs, period)  # fmt: skip
            coverage.insert_rows(con, "ingest_batches", batch_rows)
            coverage.insert(con, covered)
    return [results[f.name] for f in files]


def _coverage_rows(
    batch_id: int,
    file: InputFile,
    source: str,
    kind: str,
    routes: Sequence[Route],
    row_months: Sequence[date],
    row_forces: Sequence[str],
    slugs: dict[str, str],
    period: tuple[date, date] | None = None,
) -> list[tuple[object, ...]]:
    """A data.police.uk file covers the month and force in its name, rows or none; any other
    file covers the period its mapping declares, else the months from its first to its last
    accepted record, for the forces in it. `slugs` maps force slugs to force names."""
    tables = list(dict.fromkeys(r.table.name for r in routes))
    named = police_uk_name_parts(file.name) if source == "police-uk" else None
    if named is not None:
        slug, month = named[0], police_uk_month(file.name)
        forces = [str(slugs[slug])] if slug in slugs else list(row_forces)
        months = [month] if month is not None else []
    else:
        forces = list(row_forces)
        if period is not None:
            months = month_range(*period)
        else:
            months = month_range(min(row_months), max(row_months)) if row_months else []
    return coverage.rows(batch_id, source=source, kind=kind, tables=tables, forces=forces,
                         months=months)  # fmt: skip


class NothingAcceptedError(PolicePerfError):
    """A non-empty file of which no row was accepted: almost always a wrong mapping or file."""


def _refuse_nothing_accepted(
    con: duckdb.DuckDBPyConnection, batch_id: int, result: BatchResult
) -> None:
    """Fail the command when every row of a file was quarantined for something other than being
    already stored: a wrong delimiter or format must not pass as an ingest of 0 rows."""
    if result.rows_accepted or not set(result.quarantined_by_check) - set(ALREADY_HELD_CHECKS):
        return
    line, reason = con.execute(
        "SELECT line, reason FROM quarantine WHERE batch_id = ? AND NOT list_contains(?, check_name) "
        "ORDER BY line LIMIT 1",
        [batch_id, list(ALREADY_HELD_CHECKS)],
    ).fetchall()[0]
    raise NothingAcceptedError(
        f"{result.file}: none of its {result.rows_in:,} rows was accepted (line {line}: "
        f"{reason}); nothing from this command was written: check the file and its mapping"
    )


def _quarantine_rejected(
    con: duckdb.DuckDBPyConnection, ids: dict[str, int], staged: Staged
) -> None:
    if not staged.rejected:
        return
    rows = pa.table(
        {
            "batch_id": [ids[r.file] for r in staged.rejected],
            "file": [r.file for r in staged.rejected],
            "line": [r.line for r in staged.rejected],
            "field": [r.field for r in staged.rejected],
            "check_name": [r.check_name for r in staged.rejected],
            "reason": [r.reason for r in staged.rejected],
            "raw": [r.raw for r in staged.rejected],
        }
    )
    con.register("__rejected", rows)
    con.execute(
        "INSERT INTO quarantine SELECT batch_id, 'file', file, line, field, check_name, reason, raw FROM __rejected"
    )
    con.unregister("__rejected")


def _key_text(alias: str, key: Sequence[str]) -> str:
    return " || ' / ' || ".join(f"coalesce({alias}.{ident(k)}::VARCHAR, '')" for k in key)


def _mark_duplicates(con: duckdb.DuckDBPyConnection, typed: str, route: Route) -> None:
    """Quarantine a second row with the same key: within the files being ingested (naming the
    first occurrence), then against the store."""
    key = route.table.key
    if not key:
        return
    label = " / ".join(route.sources[k].label if k in route.sources else k for k in key)
    same = " AND ".join(f"t.{ident(k)} IS NOT DISTINCT FROM d.{ident(k)}" for k in key)
    con.execute(
        f"""
        UPDATE {typed} t SET __field = {sql_str(label)}, __check = 'duplicate',
            __reason = {sql_str(label + ": duplicate ")} || '''' || {_key_text("t", key)} || ''''
                       || CASE WHEN d.first_file = t.__file
                               THEN '; first seen at line ' || d.first_line || ' of this file'
                               ELSE '; first seen in batch ' || d.first_batch || ' (' || d.first_file
                                    || ' line ' || d.first_line || ')' END
        FROM (
            SELECT x.__file, x.__line, b.__order,
                   first_value(x.__file) OVER w AS first_file, first_value(x.__line) OVER w AS first_line,
                   first_value(b.__batch) OVER w AS first_batch, row_number() OVER w AS n
            FROM {typed} x JOIN __batch_files b USING (__file)
            WHERE x.__reason IS NULL
            WINDOW w AS (PARTITION BY {", ".join("x." + ident(k) for k in key)} ORDER BY b.__order, x.__line)
        ) d
        WHERE t.__file = d.__file AND t.__line = d.__line AND d.n > 1
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


MAX_NAMED_FILES = 64
"""Up to this many files a row's batch is found by naming each file in the insert; with more, by
a join (and a sort, as a join does not keep the rows' order)."""


def _insert_accepted(
    con: duckdb.DuckDBPyConnection, typed: str, route: Route, ids: Mapping[str, int]
) -> None:
    """Insert the valid rows of `typed`, file after file in batch order and by line. When the
    table already holds them in that order (checked; it does when the staged rows were read in
    order) they are copied as they lie, with no sort: a scan of one table with a filter keeps
    the table's order."""
    cols = ", ".join(ident(c) for c in route.table.column_names)
    head = (
        f"INSERT INTO {route.table.name} ({cols}, batch_id, source_line) "
        f"SELECT {', '.join('t.' + ident(c) for c in route.table.column_names)}, "
    )
    if len(ids) <= MAX_NAMED_FILES and _in_file_order(con, typed):
        batch = " ".join(f"WHEN {sql_str(name)} THEN {i}" for name, i in ids.items())
        con.execute(
            f"{head} CASE t.__file {batch} END, t.__line FROM {typed} t WHERE t.__reason IS NULL"
        )
        return
    con.execute(
        f"{head} b.__batch, t.__line FROM {typed} t JOIN __batch_files b USING (__file) "
        "WHERE t.__reason IS NULL ORDER BY b.__order, t.__line"
    )


def _in_file_order(con: duckdb.DuckDBPyConnection, typed: str) -> bool:
    """Whether the rows of `typed` lie in (batch order, line) order: a window with an empty
    OVER clause sees them in the table's order, so each row is compared with the one before it
    (a later line of the same file, or the first line of a later file)."""
    back = con.execute(
        f"""
        WITH w AS (
            SELECT __file, __line, lag(__file) OVER () AS prev_file, lag(__line) OVER () AS prev_line
            FROM {typed}
        ), edges AS (
            SELECT * FROM w WHERE __file IS DISTINCT FROM prev_file OR __line <= prev_line
        )
        SELECT count(*) FROM edges e
        LEFT JOIN __batch_files a ON a.__file = e.__file
        LEFT JOIN __batch_files b ON b.__file = e.prev_file
        WHERE e.prev_file IS NOT NULL
          AND (e.__file = e.prev_file OR a.__order IS NULL OR b.__order IS NULL OR a.__order <= b.__order)
        """
    ).fetchall()
    return int(back[0][0]) == 0


@dataclass(frozen=True)
class _FileSummary:
    file: str
    rows: int
    accepted: int
    checks: dict[str, int]
    first_month: object
    last_month: object
    forces: list[str]


def _summarise(con: duckdb.DuckDBPyConnection, typed: str, route: Route) -> list[_FileSummary]:
    """Per file: counts, quarantine checks, months and forces of one route, in one scan."""
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
    rows = con.execute(
        f"""SELECT __file, count(*), count(*) FILTER ({ok}),
                   histogram(__check) FILTER (WHERE __reason IS NOT NULL), {month_sql}, {force_sql}
            FROM {typed} GROUP BY __file"""
    ).fetchall()
    return [
        _FileSummary(
            file=str(r[0]),
            rows=int(r[1]),
            accepted=int(r[2]),
            checks={str(k): int(v) for k, v in (r[3] or {}).items()},
            first_month=r[4],
            last_month=r[5],
            forces=list(r[6] or []),
        )
        for r in rows
    ]
