"""Coverage: which months of which table the store holds data for, per force.

A month is covered for a table when a batch delivered it: a data.police.uk file covers the month in
its name (even when it has no rows), a mapped export covers every month from its first to its last
record, or the period its mapping declares. Coverage is what lets the engine tell "no crimes
recorded" (a covered month with no rows: zero) from "no data received" (an uncovered month:
missing, never zero).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise

import duckdb

from policeperf.calendar import add_months
from policeperf.store.schema import COVERAGE_DDL


def rows(
    batch_id: int,
    *,
    source: str,
    kind: str,
    tables: Sequence[str],
    forces: Iterable[str],
    months: Iterable[date],
) -> list[tuple[object, ...]]:
    """The coverage rows of one batch, to be written by `insert` (several batches at once)."""
    return [
        (batch_id, force, source, kind, table, month)
        for force in sorted(set(forces))
        for table in tables
        for month in sorted(set(months))
    ]


def insert(con: duckdb.DuckDBPyConnection, rows: Sequence[tuple[object, ...]]) -> None:
    """Write coverage rows made by `rows`, inside the batches' transaction."""
    insert_rows(con, "coverage", rows)


def insert_rows(
    con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[Sequence[object]], chunk: int = 500
) -> None:
    """Insert `rows` into `table` with one statement per `chunk` rows: a statement per row
    costs a round trip each."""
    for start in range(0, len(rows), chunk):
        part = rows[start : start + chunk]
        one = "(" + ", ".join("?" * len(part[0])) + ")"
        con.execute(
            f"INSERT INTO {table} VALUES " + ", ".join([one] * len(part)),
            [value for row in part for value in row],
        )


def migrate_from_batches(con: duckdb.DuckDBPyConnection) -> None:
    """Schema 1 -> 2: coverage for batches ingested before coverage was recorded, from each batch's
    forces and its first and last month (the span of its accepted rows)."""
    con.execute(COVERAGE_DDL)
    con.execute(
        """INSERT INTO coverage
        SELECT b.batch_id, trim(f.force), b.source, b.kind, trim(t.table_name), m.month::DATE
        FROM ingest_batches b,
             unnest(string_split(b.forces, ',')) AS f(force),
             unnest(string_split(b.table_name, ',')) AS t(table_name),
             unnest(generate_series(b.first_month::TIMESTAMP, b.last_month::TIMESTAMP,
                                    INTERVAL 1 MONTH)) AS m(month)
        WHERE b.forces IS NOT NULL AND b.first_month IS NOT NULL AND b.last_month IS NOT NULL"""
    )


@dataclass(frozen=True)
class Span:
    """An unbroken run of covered months."""

    first: date
    last: date

    def label(self) -> str:
        if self.first == self.last:
            return f"{self.first:%Y-%m}"
        return f"{self.first:%Y-%m}..{self.last:%Y-%m}"


def runs(months: Iterable[date]) -> list[Span]:
    """Covered months as unbroken runs, in order."""
    ordered = sorted(set(months))
    spans: list[Span] = []
    for m in ordered:
        if spans and add_months(spans[-1].last, 1) == m:
            spans[-1] = Span(spans[-1].first, m)
        else:
            spans.append(Span(m, m))
    return spans


def gaps(months: Iterable[date]) -> list[Span]:
    """The missing runs between the first and last covered month."""
    spans = runs(months)
    return [Span(add_months(a.last, 1), add_months(b.first, -1)) for a, b in pairwise(spans)]


def describe(months: Iterable[date]) -> str:
    """'2018-10..2019-02, 2020-01..2021-12; gap 2019-03..2019-12', or 'none'."""
    months = list(months)
    if not months:
        return "none"
    text = ", ".join(s.label() for s in runs(months))
    missing = gaps(months)
    if missing:
        text += "; gap " + ", ".join(s.label() for s in missing)
    return text


def by_table(
    con: duckdb.DuckDBPyConnection, force: str | None = None
) -> dict[tuple[str, str], list[date]]:
    """(force, table) -> covered months, from the store."""
    sql = "SELECT DISTINCT force, table_name, month FROM coverage"
    params: list[object] = []
    if force is not None:
        sql += " WHERE force = ?"
        params.append(force)
    out: dict[tuple[str, str], list[date]] = {}
    for f, table, month in con.execute(sql + " ORDER BY 1, 2, 3", params).fetchall():
        out.setdefault((str(f), str(table)), []).append(month)
    return out
