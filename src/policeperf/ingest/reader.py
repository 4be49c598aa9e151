"""Staging input files into a temporary DuckDB table, keeping every rejected line.

DuckDB's CSV reader parses the rows of every file of one kind in one scan (`store_rejects` keeps
the lines it cannot parse, with their file, line number and error). Every staged row carries
`__file` (the name users know the file by) and `__line`: its CSV record number in that file with
the header as line 1, the numbering DuckDB uses for rejected lines, so both kinds of quarantine
agree. A quoted field that spans lines counts as one record.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

_counter = itertools.count(1)


@dataclass(frozen=True)
class Rejected:
    """A line the CSV reader could not parse."""

    file: str
    line: int
    field: str | None
    check_name: str
    reason: str
    raw: str


@dataclass(frozen=True)
class Staged:
    """Staged files: a temporary table of VARCHAR columns plus `__file` and `__line`, and the
    lines the reader rejected."""

    table: str
    rows: dict[str, int]
    """Parsed rows per file name."""
    rejected: tuple[Rejected, ...]
    cleanup: tuple[str, ...] = ()
    """Temporary objects to drop when the batch is done, e.g. `TABLE __raw_3`."""

    def drop(self, con: duckdb.DuckDBPyConnection) -> None:
        for obj in self.cleanup:
            con.execute(f"DROP {obj}")

    def rows_in(self, name: str) -> int:
        return self.rows.get(name, 0) + sum(1 for r in self.rejected if r.file == name)


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _check_name(error_type: str) -> str:
    return "malformed_line" if error_type != "INVALID ENCODING" else "invalid_encoding"


def stage_csv(
    con: duckdb.DuckDBPyConnection,
    files: Sequence[tuple[Path, str]],
    columns: list[str],
    *,
    delimiter: str = ",",
) -> Staged:
    """Read CSV files whose headers have been checked to be `columns` into one temporary table.
    `files` are (path on disk, name to report) pairs."""
    n = next(_counter)
    table, raw, rejects, scans = f"__stage_{n}", f"__raw_{n}", f"__rejects_{n}", f"__scans_{n}"
    names = {str(path): name for path, name in files}
    con.register(f"__names_{n}", pa.table({"path": list(names), "name": list(names.values())}))
    spec = "{" + ", ".join(f"{_sql_str(c)}: 'VARCHAR'" for c in columns) + "}"
    paths = "[" + ", ".join(_sql_str(str(p)) for p, _ in files) + "]"
    con.execute(
        f"""
        CREATE TEMP TABLE {raw} AS
        SELECT * FROM read_csv({paths}, columns = {spec}, header = true,
            auto_detect = false, delim = {_sql_str(delimiter)}, quote = '"', escape = '"',
            strict_mode = true, null_padding = false, store_rejects = true, filename = '__path',
            rejects_table = '{rejects}', rejects_scan = '{scans}', max_line_size = 10000000)
        """
    )
    raw_rejects = con.execute(
        f"""
        SELECT s.file_path, e.line, arg_min(e.column_name, e.column_idx), arg_min(e.error_type, e.column_idx),
               arg_min(e.error_message, e.column_idx), arg_min(e.csv_line, e.column_idx)
        FROM {rejects} e JOIN {scans} s USING (scan_id, file_id)
        GROUP BY ALL ORDER BY 1, 2
        """
    ).fetchall()
    rejected = tuple(
        Rejected(
            file=names[str(path)],
            line=int(line),
            field=column,
            check_name=_check_name(str(error_type)),
            reason=f"{str(error_type).lower()}: {str(message).splitlines()[0]}",
            raw=(text or "").strip("\r\n"),
        )
        for path, line, column, error_type, message, text in raw_rejects
    )
    _number_lines(con, raw, table, f"__names_{n}", rejected)
    con.execute(f"DROP TABLE {rejects}")
    con.execute(f"DROP TABLE {scans}")
    con.unregister(f"__names_{n}")
    counts = dict(con.execute(f"SELECT __file, count(*) FROM {table} GROUP BY 1").fetchall())
    return Staged(
        table=table,
        rows={name: int(counts.get(name, 0)) for name in names.values()},
        rejected=rejected,
        cleanup=(f"TABLE {table}", f"TABLE {raw}"),
    )


def _number_lines(
    con: duckdb.DuckDBPyConnection,
    source: str,
    target: str,
    names: str,
    rejected: Sequence[Rejected],
) -> None:
    """Give each parsed row its file name and record number: within a file, the k-th parsed row
    sits on the k-th line after the header that was not rejected."""
    con.register(
        "__rejected_lines",
        pa.table(
            {
                "file": pa.array([r.file for r in rejected], pa.string()),
                "line": pa.array([r.line for r in rejected], pa.int64()),
            }
        ),
    )
    con.execute(
        f"""
        CREATE TEMP TABLE {target} AS
        WITH parsed AS (
            SELECT nm.name AS __file, row_number() OVER (PARTITION BY r.__path ORDER BY r.rowid) AS __ord,
                   r.* EXCLUDE (__path)
            FROM {source} r JOIN {names} nm ON nm.path = r.__path
        ), sizes AS (
            SELECT __file, count(*) AS parsed FROM parsed GROUP BY 1
        ), bounds AS (
            SELECT s.__file, s.parsed + coalesce(j.n, 0) + 1 AS last_line, coalesce(j.top, 0) AS top
            FROM sizes s LEFT JOIN (SELECT file, count(*) AS n, max(line) AS top FROM __rejected_lines GROUP BY 1) j
                ON j.file = s.__file
        ), candidates AS (
            SELECT __file, unnest(range(2, greatest(last_line, top) + 2)) AS l FROM bounds
        ), lines AS (
            SELECT c.__file, c.l AS __line, row_number() OVER (PARTITION BY c.__file ORDER BY c.l) AS __ord
            FROM candidates c ANTI JOIN __rejected_lines x ON x.file = c.__file AND x.line = c.l
        )
        SELECT parsed.__file, lines.__line, parsed.* EXCLUDE (__file, __ord)
        FROM parsed JOIN lines USING (__file, __ord)
        """
    )
    con.unregister("__rejected_lines")


def stage_arrow(
    con: duckdb.DuckDBPyConnection, data: pa.Table, name: str, first_line: int = 2
) -> Staged:
    """Stage rows read by another reader (Parquet, XLSX): all columns as text, `__line` counting
    the header row as line 1, as a spreadsheet does."""
    n = next(_counter)
    table = f"__stage_{n}"
    columns = {
        "__file": pa.array([name] * data.num_rows, pa.string()),
        "__line": pa.array(range(first_line, first_line + data.num_rows), pa.int64()),
    }
    columns.update({col: data.column(col).cast(pa.string()) for col in data.column_names})
    con.register(f"__arrow_{n}", pa.table(columns))
    con.execute(f"CREATE TEMP TABLE {table} AS SELECT * FROM __arrow_{n}")
    con.unregister(f"__arrow_{n}")
    return Staged(table=table, rows={name: data.num_rows}, rejected=(), cleanup=(f"TABLE {table}",))
