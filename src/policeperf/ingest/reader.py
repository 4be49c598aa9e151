"""Staging an input file into a temporary DuckDB table, keeping every rejected line.

DuckDB's CSV reader parses the rows (`store_rejects` keeps the lines it cannot parse, with their
line number and error). Every staged row carries `__line`: its CSV record number with the header
as line 1, the numbering DuckDB uses for rejected lines, so both kinds of quarantine agree. A quoted
field that spans lines counts as one record.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

_counter = itertools.count(1)


@dataclass(frozen=True)
class Rejected:
    """A line the CSV reader could not parse."""

    line: int
    field: str | None
    check_name: str
    reason: str
    raw: str


@dataclass(frozen=True)
class Staged:
    """A staged file: the temporary table of VARCHAR columns plus `__line`, and the rejects."""

    table: str
    rows: int
    rejected: tuple[Rejected, ...]
    cleanup: tuple[str, ...] = ()
    """Temporary objects to drop when the batch is done, e.g. `TABLE __raw_3`."""

    def drop(self, con: duckdb.DuckDBPyConnection) -> None:
        for obj in self.cleanup:
            con.execute(f"DROP {obj}")

    @property
    def rows_in(self) -> int:
        return self.rows + len(self.rejected)


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _check_name(error_type: str) -> str:
    return "malformed_line" if error_type != "INVALID ENCODING" else "invalid_encoding"


def stage_csv(
    con: duckdb.DuckDBPyConnection, path: Path, columns: list[str], *, delimiter: str = ","
) -> Staged:
    """Read a CSV whose header has been checked to be `columns` into a temporary table."""
    n = next(_counter)
    table, rejects, scans = f"__stage_{n}", f"__rejects_{n}", f"__scans_{n}"
    spec = "{" + ", ".join(f"{_sql_str(c)}: 'VARCHAR'" for c in columns) + "}"
    con.execute(
        f"""
        CREATE TEMP TABLE __raw_{n} AS
        SELECT * FROM read_csv({_sql_str(str(path))}, columns = {spec}, header = true,
            auto_detect = false, delim = {_sql_str(delimiter)}, quote = '"', escape = '"',
            strict_mode = true, null_padding = false, store_rejects = true,
            rejects_table = '{rejects}', rejects_scan = '{scans}', max_line_size = 10000000)
        """
    )
    raw_rejects = con.execute(
        f"""
        SELECT line, arg_min(column_name, column_idx), arg_min(error_type, column_idx),
               arg_min(error_message, column_idx), arg_min(csv_line, column_idx)
        FROM {rejects} GROUP BY line ORDER BY line
        """
    ).fetchall()
    rejected = tuple(
        Rejected(
            line=int(line),
            field=column,
            check_name=_check_name(str(error_type)),
            reason=f"{str(error_type).lower()}: {str(message).splitlines()[0]}",
            raw=(raw or "").strip("\r\n"),
        )
        for line, column, error_type, message, raw in raw_rejects
    )
    _number_lines(con, f"__raw_{n}", table, [r.line for r in rejected])
    con.execute(f"DROP TABLE {rejects}")
    con.execute(f"DROP TABLE {scans}")
    rows = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0]
    kind = "VIEW" if not rejected else "TABLE"
    return Staged(
        table=table,
        rows=int(rows[0]) if rows else 0,
        rejected=rejected,
        cleanup=(f"{kind} {table}", f"TABLE __raw_{n}"),
    )


def _number_lines(
    con: duckdb.DuckDBPyConnection, source: str, target: str, rejected_lines: list[int]
) -> None:
    """Give each parsed row its record number: the k-th parsed row sits on the k-th line after
    the header that was not rejected."""
    if not rejected_lines:
        # A table created from the reader keeps file order in contiguous rowids: no copy needed.
        first = con.execute(f"SELECT coalesce(min(rowid), 0) FROM {source}").fetchall()[0][0]
        con.execute(
            f"CREATE TEMP VIEW {target} AS SELECT rowid - {first} + 2 AS __line, * FROM {source}"
        )
        return
    rows = con.execute(f"SELECT count(*) FROM {source}").fetchall()[0]
    total = (int(rows[0]) if rows else 0) + len(rejected_lines) + 1
    last = max(total, max(rejected_lines))
    con.register("__rejected_lines", pa.table({"line": pa.array(rejected_lines, pa.int64())}))
    con.execute(
        f"""
        CREATE TEMP TABLE {target} AS
        WITH lines AS (
            SELECT l AS __line, row_number() OVER (ORDER BY l) AS __ord
            FROM range(2, {last + 2}) t(l)
            WHERE l NOT IN (SELECT line FROM __rejected_lines)
        ), parsed AS (
            SELECT row_number() OVER (ORDER BY rowid) AS __ord, * FROM {source}
        )
        SELECT lines.__line, parsed.* EXCLUDE (__ord)
        FROM parsed JOIN lines USING (__ord)
        """
    )
    con.unregister("__rejected_lines")


def stage_arrow(con: duckdb.DuckDBPyConnection, data: pa.Table, first_line: int = 2) -> Staged:
    """Stage rows read by another reader (Parquet, XLSX): all columns as text, `__line` counting
    the header row as line 1, as a spreadsheet does."""
    n = next(_counter)
    table = f"__stage_{n}"
    columns = {"__line": pa.array(range(first_line, first_line + data.num_rows), pa.int64())}
    columns.update({name: data.column(name).cast(pa.string()) for name in data.column_names})
    con.register(f"__arrow_{n}", pa.table(columns))
    con.execute(f"CREATE TEMP TABLE {table} AS SELECT * FROM __arrow_{n}")
    con.unregister(f"__arrow_{n}")
    return Staged(table=table, rows=data.num_rows, rejected=(), cleanup=(f"TABLE {table}",))
