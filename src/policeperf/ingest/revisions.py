"""Revisions: data.police.uk republishes months, and a record seen again may carry new content.

Two things can replace rows already in the store:

- a **republished month**: a file of the same source and kind covering the same forces and
  months as a batch already held, with different content (the same content is skipped by its
  hash before this module sees it). All rows of the earlier batch leave the current tables for
  `<table>_history` with `superseded_because = 'republished'`, and `ingest_batches.superseded_by`
  names the batch that replaced it; the new file's rows become current. This is what keeps a
  republished month's anti-social behaviour (which has no key) from being counted twice.
- a **revised record**: a key (e.g. a Crime ID) published again by another file with different
  content (a real outcome replacing "Status update unavailable", a new location). An identical
  repeat is still a duplicate and quarantined, naming where it was seen; a repeat within one file
  is always a duplicate.

`RevisionPolicy` decides which state is current:

- `latest` (default): the latest publication wins, ordered by batch (the order files were
  ingested; within one command the order they were named, which for a data.police.uk archive is
  month order), then by month, then by line. The replaced rows move to history with the batch
  that replaced them (`superseded_because = 'revised'`). The revision is *accepted* in its own
  batch; the replaced row was accepted by its batch when that batch was ingested and is now
  history, not quarantine. So `rows_in = rows_accepted + rows_quarantined` holds per batch as
  recorded, and a batch's current rows are its accepted rows less those moved to history.
- `first`: the first publication stands. A republished month's rows are quarantined with check
  `republished`, and a revised record with check `revision`, each naming the batch kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, get_args

import duckdb

from policeperf.ingest.validate import Route, ident, sql_str
from policeperf.store.schema import REVISED_TABLES, history_name

RevisionPolicy = Literal["latest", "first"]
REVISION_POLICIES: tuple[str, ...] = get_args(RevisionPolicy)
DEFAULT_REVISION_POLICY: RevisionPolicy = "latest"

ALREADY_HELD_CHECKS = ("duplicate", "revision", "republished")
"""Quarantine checks meaning the store already holds the content or a state that stands in for
it: a file all of whose rows fail only these is not a wrong file or mapping."""


@dataclass(frozen=True)
class Span:
    """What one file publishes: which forces and which months (its valid rows)."""

    forces: str | None
    """Sorted, comma-separated, as `ingest_batches.forces`."""
    first_month: date | None
    last_month: date | None


@dataclass
class RevisionPlan:
    """How the files of one group replace what the store holds, decided before any row is marked.

    Args:
        policy: which publication wins.
        ids: batch id per file name.
        superseded_in_group: file name -> batch id of a later file of the same group publishing
            the same span (`latest`); the earlier file's rows become history once inserted.
        supersedes: file name -> batch ids of stored batches its span replaced.
    """

    policy: RevisionPolicy
    ids: Mapping[str, int]
    superseded_in_group: dict[str, int] = field(default_factory=dict)
    supersedes: dict[str, list[int]] = field(default_factory=dict)
    revised: dict[str, int] = field(default_factory=dict)
    """Rows of earlier batches that each file's revised records moved to history."""

    def _live(self, alias: str) -> str:
        if not self.superseded_in_group:
            return "TRUE"
        names = ", ".join(sql_str(n) for n in self.superseded_in_group)
        return f"{alias}.__file NOT IN ({names})"

    def mark(self, con: duckdb.DuckDBPyConnection, typed: str, route: Route) -> None:
        """Quarantine repeats of a key: within a file always a duplicate; across files and against
        the store a duplicate when identical to the state it would replace, else a revision
        (accepted under `latest`, quarantined under `first`)."""
        key = route.table.key
        if not key:
            return
        label = " / ".join(route.sources[k].label if k in route.sources else k for k in key)
        _mark_repeats_in_file(con, typed, key, label)
        self._compare(con, typed, route)
        duplicate = _duplicate_reason(label, key, "r")
        revision = (
            f"{sql_str(label + ': published again with different content ')} || '''' || "
            f"{_key_text('r', key)} || '''' || r.where_seen "
            "|| '; revisions policy ''first'' keeps that state'"
        )
        # Under `latest` a revision is accepted: its row is left unmarked.
        different = "NULL" if self.policy == "latest" else "'revision'"
        con.execute(
            f"""
            UPDATE {typed} t SET __field = {sql_str(label)}, __check = r.check_name,
                __reason = CASE r.check_name WHEN 'duplicate' THEN {duplicate} || r.where_seen
                                ELSE {revision} END
            FROM (SELECT x.*, c.where_seen, c.check_name FROM {typed} x JOIN (
                      SELECT __file, __line,
                             '; first seen in batch ' || ref_batch || ' (' || ref_file || ' line '
                             || coalesce(ref_line::VARCHAR, '?') || ')' AS where_seen,
                             CASE WHEN __content IS NOT DISTINCT FROM ref_content THEN 'duplicate'
                                  ELSE {different} END AS check_name
                      FROM __compared) c USING (__file, __line)) r
            WHERE t.__file = r.__file AND t.__line = r.__line AND r.check_name IS NOT NULL
            """
        )
        if self.policy == "latest" and route.table.name in REVISED_TABLES:
            # The keys a revision was accepted for: the only keys whose earlier states settle()
            # moves to history (any other key of the files is new, or its repeat quarantined).
            con.execute(
                f"""CREATE OR REPLACE TEMP TABLE {_revised_keys(route)} AS
                SELECT DISTINCT {", ".join("x." + ident(k) for k in key)}
                FROM {typed} x JOIN __compared c USING (__file, __line) WHERE x.__reason IS NULL"""
            )
        con.execute("DROP TABLE __compared")

    def _compare(self, con: duckdb.DuckDBPyConnection, typed: str, route: Route) -> None:
        """`__compared`: each valid row of a live file whose key is held, with the state it is
        compared with. Under `latest` that is the state it would replace: the previous file's in
        this group, else the store's. Under `first` it is the state that stands: the store's, else
        the first file's in this group."""
        key = route.table.key
        keys = ", ".join(ident(k) for k in key)
        by_key = ", ".join("x." + ident(k) for k in key)
        same_key = " AND ".join(f"c.{ident(k)} IS NOT DISTINCT FROM d.{ident(k)}" for k in key)
        same_held = " AND ".join(f"x.{ident(k)} IS NOT DISTINCT FROM h.{ident(k)}" for k in key)
        content, stored = _content("x", route), _content("d", route)
        live = f"x.__reason IS NULL AND {self._live('x')}"
        # Only keys seen twice in the group or already held can be compared: the windows below
        # then sort those few rows rather than every row of the files.
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE __repeated AS
            SELECT {keys} FROM {typed} x WHERE {live} GROUP BY ALL HAVING count(*) > 1
            UNION
            SELECT {by_key} FROM {typed} x SEMI JOIN {route.table.name} h ON {same_held}
            WHERE {live}
            """
        )
        if self.policy == "latest":
            prev, use_store = "lag", "c.prev_batch IS NULL"
        else:
            prev, use_store = "first_value", "d.batch_id IS NOT NULL"
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE __compared AS
            SELECT c.__file, c.__line, c.__content,
                   CASE WHEN {use_store} THEN {stored} ELSE c.prev_content END AS ref_content,
                   CASE WHEN {use_store} THEN d.batch_id ELSE c.prev_batch END AS ref_batch,
                   CASE WHEN {use_store} THEN coalesce(b.file, 'unknown file') ELSE c.prev_file END
                       AS ref_file,
                   CASE WHEN {use_store} THEN d.source_line ELSE c.prev_line END AS ref_line
            FROM (
                SELECT x.*, {content} AS __content,
                       {prev}({content}) OVER w AS prev_content,
                       {prev}(b.__batch) OVER w AS prev_batch,
                       {prev}(x.__file) OVER w AS prev_file, {prev}(x.__line) OVER w AS prev_line,
                       row_number() OVER w AS n
                FROM {typed} x JOIN __batch_files b USING (__file)
                SEMI JOIN __repeated h ON {same_held}
                WHERE {live}
                WINDOW w AS (PARTITION BY {by_key} ORDER BY b.__order, x.__line)
            ) c
            LEFT JOIN {route.table.name} d ON {same_key}
            LEFT JOIN ingest_batches b ON b.batch_id = d.batch_id
            WHERE c.n > 1 OR d.batch_id IS NOT NULL
            """
        )
        con.execute("DROP TABLE __repeated")

    def settle(self, con: duckdb.DuckDBPyConnection, route: Route) -> None:
        """After a route's rows are inserted: rows of files superseded within the group, and
        (`latest`) every earlier state of a key published again, move to history."""
        table = route.table
        if table.name not in REVISED_TABLES:
            return
        history = history_name(table)
        for file, by in self.superseded_in_group.items():
            _to_history(con, table.name, history, f"batch_id = {self.ids[file]}", by, "republished")
        if self.policy != "latest" or not table.key:
            return
        same = " AND ".join(f"t.{ident(k)} IS NOT DISTINCT FROM n.{ident(k)}" for k in table.key)
        order = ", ".join(
            ["t.batch_id", *([f"t.{ident(table.month_column)}"] if table.month_column else []),
             "t.source_line"]
        )  # fmt: skip
        revised = _revised_keys(route)
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE __revised AS
            SELECT rid, next_batch FROM (
                SELECT t.rowid AS rid, lead(t.batch_id) OVER w AS next_batch
                FROM {table.name} t
                JOIN {revised} n ON {same}
                WINDOW w AS (PARTITION BY {", ".join("t." + ident(k) for k in table.key)}
                             ORDER BY {order})
            ) WHERE next_batch IS NOT NULL
            """
        )
        con.execute(
            f"""INSERT INTO {history} SELECT t.*, r.next_batch, 'revised'
                FROM {table.name} t JOIN __revised r ON t.rowid = r.rid"""
        )
        for batch, rows in con.execute(
            "SELECT next_batch, count(*) FROM __revised GROUP BY ALL"
        ).fetchall():
            for file, i in self.ids.items():
                if i == batch:
                    self.revised[file] = self.revised.get(file, 0) + int(rows)
        con.execute(f"DELETE FROM {table.name} WHERE rowid IN (SELECT rid FROM __revised)")
        con.execute("DROP TABLE __revised")
        con.execute(f"DROP TABLE {revised}")


def plan_revisions(
    con: duckdb.DuckDBPyConnection,
    *,
    policy: RevisionPolicy,
    source: str,
    kind: str,
    ids: Mapping[str, int],
    typed: Sequence[tuple[str, Route]],
) -> RevisionPlan:
    """Find each file's span; under `latest` move the rows of stored batches with the same span to
    history and note which files of the group a later one supersedes; under `first` quarantine a
    file whose span is already held."""
    plan = RevisionPlan(policy, ids)
    spans = file_spans(con, typed)
    held: dict[Span, tuple[int, str]] = {}
    # The current batches of this source and kind by span, read once for all files.
    current: dict[Span, list[tuple[int, str]]] = {}
    for batch_id, name, forces, first, last in con.execute(
        """SELECT batch_id, file, forces, first_month, last_month FROM ingest_batches
           WHERE source = ? AND kind = ? AND superseded_by IS NULL AND first_month IS NOT NULL
           ORDER BY batch_id""",
        [source, kind],
    ).fetchall():
        current.setdefault(Span(forces, first, last), []).append((int(batch_id), str(name)))
    for file in ids:  # in batch order
        span = spans.get(file)
        if span is None or span.first_month is None:
            continue
        stored = current.get(span, [])
        earlier = held.get(span)
        if policy == "first":
            keeper = (int(stored[0][0]), str(stored[0][1])) if stored else earlier
            if keeper is not None:
                _quarantine_republished(con, typed, file, span, kind, keeper)
            else:
                held[span] = (ids[file], file)
            continue
        if earlier is not None:
            plan.superseded_in_group[earlier[1]] = ids[file]
        held[span] = (ids[file], file)
        old = [r[0] for r in stored]
        if old:
            plan.supersedes[file] = old
            _supersede_batches(con, typed, old, ids[file])
            current[span] = []  # superseded: no longer current for a later file
    return plan


def file_spans(
    con: duckdb.DuckDBPyConnection, typed: Sequence[tuple[str, Route]]
) -> dict[str, Span]:
    """Forces and first and last month of every file's valid rows, over all its routes."""
    parts = []
    for name, route in typed:
        month = route.table.month_column
        if month is None or "force" not in route.table.column_names:
            continue
        parts.append(
            f"SELECT __file, force, date_trunc('month', {ident(month)})::DATE AS month "
            f"FROM {name} WHERE __reason IS NULL"
        )
    if not parts:
        return {}
    rows = con.execute(
        f"""SELECT __file, array_to_string(list_sort(list(DISTINCT force)), ','),
                   min(month), max(month)
            FROM ({" UNION ALL ".join(parts)}) GROUP BY __file"""
    ).fetchall()
    return {str(r[0]): Span(r[1] or None, r[2], r[3]) for r in rows}


def _supersede_batches(
    con: duckdb.DuckDBPyConnection, typed: Sequence[tuple[str, Route]], old: list[int], by: int
) -> None:
    where = f"batch_id IN ({', '.join(str(b) for b in old)})"
    for _, route in typed:
        if route.table.name in REVISED_TABLES:
            table = route.table
            _to_history(con, table.name, history_name(table), where, by, "republished")
    con.execute(f"UPDATE ingest_batches SET superseded_by = {by} WHERE {where}")


def _to_history(
    con: duckdb.DuckDBPyConnection, table: str, history: str, where: str, by: int, because: str
) -> None:
    con.execute(
        f"INSERT INTO {history} SELECT *, {by}, {sql_str(because)} FROM {table} WHERE {where}"
    )
    con.execute(f"DELETE FROM {table} WHERE {where}")


def _quarantine_republished(
    con: duckdb.DuckDBPyConnection,
    typed: Sequence[tuple[str, Route]],
    file: str,
    span: Span,
    kind: str,
    keeper: tuple[int, str],
) -> None:
    months = f"{span.first_month:%Y-%m}" + (
        f" to {span.last_month:%Y-%m}" if span.last_month != span.first_month else ""
    )
    reason = (
        f"{span.forces} {kind} {months} is already held by batch {keeper[0]} ({keeper[1]}); "
        "revisions policy 'first' keeps the first publication"
    )
    for name, route in typed:
        month = route.table.month_column
        field_name = route.sources[month].label if month and month in route.sources else "file"
        con.execute(
            f"""UPDATE {name} SET __field = ?, __check = 'republished', __reason = ?
                WHERE __file = ? AND __reason IS NULL""",
            [field_name, reason, file],
        )


def _mark_repeats_in_file(
    con: duckdb.DuckDBPyConnection, typed: str, key: Sequence[str], label: str
) -> None:
    """A key repeated within one file is a duplicate of its first occurrence: one file is one
    publication."""
    by_key = ", ".join("x." + ident(k) for k in key)
    same = " AND ".join(f"x.{ident(k)} IS NOT DISTINCT FROM r.{ident(k)}" for k in key)
    # The window sorts only the keys a file repeats, found first by grouping.
    repeated = (
        f"SELECT x.__file, {by_key} FROM {typed} x WHERE x.__reason IS NULL "
        "GROUP BY ALL HAVING count(*) > 1"
    )
    con.execute(
        f"""
        UPDATE {typed} t SET __field = {sql_str(label)}, __check = 'duplicate',
            __reason = {_duplicate_reason(label, key, "t")} || '; first seen at line '
                       || d.first_line || ' of this file'
        FROM (SELECT x.__file, x.__line, first_value(x.__line) OVER w AS first_line,
                     row_number() OVER w AS n
              FROM {typed} x SEMI JOIN ({repeated}) r ON x.__file = r.__file AND {same}
              WHERE x.__reason IS NULL
              WINDOW w AS (PARTITION BY x.__file, {by_key} ORDER BY x.__line)) d
        WHERE t.__file = d.__file AND t.__line = d.__line AND d.n > 1
        """
    )


def _duplicate_reason(label: str, key: Sequence[str], alias: str) -> str:
    return f"{sql_str(label + ': duplicate ')} || '''' || {_key_text(alias, key)} || ''''"


def _key_text(alias: str, key: Sequence[str]) -> str:
    return " || ' / ' || ".join(f"coalesce({alias}.{ident(k)}::VARCHAR, '')" for k in key)


def _revised_keys(route: Route) -> str:
    return f"__revised_keys_{route.table.name}"


def _content(alias: str, route: Route) -> str:
    """A record's published state: every canonical column, as one comparable value."""
    return (
        "{" + ", ".join(f"{sql_str(c)}: {alias}.{ident(c)}" for c in route.table.column_names) + "}"
    )
