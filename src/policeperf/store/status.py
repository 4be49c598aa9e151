"""What is in a store: tables, coverage per force and source, batches and quarantine."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from policeperf.store.database import Store
from policeperf.store.schema import RECORD_TABLES


@dataclass
class StoreStatus:
    path: str
    schema_version: int | None
    tables: dict[str, int] = field(default_factory=dict)
    """Row count of every canonical table."""
    coverage: list[dict[str, Any]] = field(default_factory=list)
    """Per table, force and source: first and last month, months with data, rows."""
    sources: list[dict[str, Any]] = field(default_factory=list)
    """Per source and kind: files, rows in, accepted, quarantined."""
    quarantine: list[dict[str, Any]] = field(default_factory=list)
    """Quarantined rows by table, field and check."""
    outside_districts: dict[str, int] = field(default_factory=dict)
    """Rows with no district (outside the force's districts, or no location), by table."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def store_status(store: Store) -> StoreStatus:
    status = StoreStatus(str(store.path or ":memory:"), store.schema_version)
    for name in (*RECORD_TABLES, "ingest_batches", "quarantine"):
        status.tables[name] = int(store.scalar(f"SELECT count(*) FROM {name}"))
    for name, table in RECORD_TABLES.items():
        if status.tables[name] == 0:
            continue
        if "district" in table.column_names:
            status.outside_districts[name] = int(
                store.scalar(f"SELECT count(*) FROM {name} WHERE district IS NULL")
            )
        if table.month_column is None or "force" not in table.column_names:
            continue
        month = f"date_trunc('month', t.{table.month_column})"
        status.coverage.extend(
            store.fetch_dicts(
                f"""
                SELECT '{name}' AS "table", t.force, coalesce(b.source, 'unknown') AS source,
                       strftime(min({month}), '%Y-%m') AS first_month,
                       strftime(max({month}), '%Y-%m') AS last_month,
                       count(DISTINCT {month}) AS months, count(*) AS rows
                FROM {name} t LEFT JOIN ingest_batches b USING (batch_id)
                GROUP BY ALL ORDER BY 2, 3
                """
            )
        )
    status.sources = store.fetch_dicts(
        """
        SELECT source, kind, count(*) AS files, sum(rows_in) AS rows_in,
               sum(rows_accepted) AS rows_accepted, sum(rows_quarantined) AS rows_quarantined
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
    for row in status.sources:
        for key in ("rows_in", "rows_accepted", "rows_quarantined"):
            row[key] = int(row[key])
    return status
