"""What is in a store: tables, coverage per force and source, batches and quarantine."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from policeperf.store import coverage as cov
from policeperf.store.database import Store
from policeperf.store.schema import RECORD_TABLES, REVISED_TABLES, history_name

ALWAYS_LISTED = ("crimes", "outcomes")
"""Tables whose coverage is listed for every force even when none was received."""


@dataclass
class StoreStatus:
    path: str
    schema_version: int | None
    tables: dict[str, int] = field(default_factory=dict)
    """Row count of every canonical table."""
    coverage: list[dict[str, Any]] = field(default_factory=list)
    """Per force and table: months received as runs, the gaps between them, rows held."""
    sources: list[dict[str, Any]] = field(default_factory=list)
    """Per source and kind: files, rows in, accepted, quarantined, and files superseded by a
    republication (their accepted rows are history now)."""
    quarantine: list[dict[str, Any]] = field(default_factory=list)
    """Quarantined rows by table, field and check."""
    superseded: list[dict[str, Any]] = field(default_factory=list)
    """Batches whose month(s) a later publication replaced, and the batch that replaced each."""
    history: list[dict[str, Any]] = field(default_factory=list)
    """Rows moved out of the current tables, by table and why (republished or revised)."""
    outside_districts: dict[str, int] = field(default_factory=dict)
    """Rows with no district (outside the force's districts, or no location), by table."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def store_status(store: Store) -> StoreStatus:
    status = StoreStatus(str(store.path or ":memory:"), store.schema_version)
    for name in (*RECORD_TABLES, "ingest_batches", "quarantine"):
        status.tables[name] = int(store.scalar(f"SELECT count(*) FROM {name}"))
    for name, table in RECORD_TABLES.items():
        if status.tables[name] and "district" in table.column_names:
            # An investigation with no district of its own is in its crime's district.
            where = (
                "district IS NULL AND crime_id NOT IN (SELECT crime_id FROM crimes "
                "WHERE district IS NOT NULL)"
                if name == "investigations"
                else "district IS NULL"
            )
            status.outside_districts[name] = int(
                store.scalar(f"SELECT count(*) FROM {name} WHERE {where}")
            )
    status.coverage = coverage_rows(store)
    status.sources = store.fetch_dicts(
        """
        SELECT source, kind, count(*) AS files, sum(rows_in) AS rows_in,
               sum(rows_accepted) AS rows_accepted, sum(rows_quarantined) AS rows_quarantined,
               count(superseded_by) AS superseded
        FROM ingest_batches GROUP BY ALL ORDER BY 1, 2
        """
    )
    status.quarantine = store.fetch_dicts(
        """
        SELECT table_name AS "table", field, check_name AS "check", count(*) AS rows,
               any_value(reason) AS example
        FROM quarantine GROUP BY ALL ORDER BY rows DESC, 1, 2
        """
    )
    status.superseded = store.fetch_dicts(
        """
        SELECT batch_id, kind, forces, strftime(first_month, '%Y-%m') AS first_month,
               strftime(last_month, '%Y-%m') AS last_month, superseded_by, file
        FROM ingest_batches WHERE superseded_by IS NOT NULL ORDER BY batch_id
        """
    )
    status.history = store.fetch_dicts(
        " UNION ALL ".join(
            f"""SELECT '{name}' AS "table", superseded_because AS because, count(*) AS rows
                FROM {history_name(table)} GROUP BY ALL"""
            for name, table in REVISED_TABLES.items()
        )
        + " ORDER BY 1, 2"
    )
    for row in status.sources:
        for key in ("rows_in", "rows_accepted", "rows_quarantined"):
            row[key] = int(row[key])
    return status


def coverage_rows(store: Store) -> list[dict[str, Any]]:
    """Coverage per force and table, as runs of months and gaps ('none' when nothing arrived)."""
    received = cov.by_table(store.con)
    sources = {
        (str(f), str(t)): str(s)
        for f, t, s in store.fetchall(
            "SELECT force, table_name, string_agg(DISTINCT source, ', ' ORDER BY source) "
            "FROM coverage GROUP BY ALL"
        )
    }
    held: dict[tuple[str, str], int] = {}
    for name, table in RECORD_TABLES.items():
        if "force" in table.column_names:
            for force, n in store.fetchall(f"SELECT force, count(*) FROM {name} GROUP BY force"):
                held[(str(force), name)] = int(n)
    forces = sorted({force for force, _ in received})
    rows = []
    for force in forces:
        tables = [
            *ALWAYS_LISTED,
            *sorted({t for f, t in received if f == force} - set(ALWAYS_LISTED)),
        ]
        for table in tables:
            months = received.get((force, table), [])
            spans = cov.runs(months)
            rows.append({
                "force": force, "table": table, "source": sources.get((force, table), ""),
                "covered": [s.label() for s in spans], "gaps": [g.label() for g in cov.gaps(months)],
                "first_month": f"{spans[0].first:%Y-%m}" if spans else None,
                "last_month": f"{spans[-1].last:%Y-%m}" if spans else None,
                "months": len(months), "rows": held.get((force, table), 0),
                "summary": cov.describe(months),
            })  # fmt: skip
    return rows
