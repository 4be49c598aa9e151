"""Staging input files into a temporary DuckDB table, keeping every rejected line.

DuckDB's CSV reader parses the rows of every file of one kind in one scan (`store_rejects` keeps
the lines it cannot parse, with their file, line number and error). Every staged row carries
`__file` (the name users know the file by) and `__line`: its CSV record number in that file with
the header as line 1, the numbering DuckDB uses for rejected lines, so both kinds of quarantine
agree. A quoted field that spans lines counts as one record.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from policeperf.errors import InputFileError
from policeperf.ingest.files import TEMP_PREFIX

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
    nul_free: bool = False
    """No staged file holds a NUL byte, so no staged value can hold one (known only for CSV
    files, whose bytes are read before staging)."""

    def drop(self, con: duckdb.DuckDBPyConnection) -> None:
        for obj in self.cleanup:
            con.execute(f"DROP {obj}")

    def rows_in(self, name: str) -> int:
        return self.rows.get(name, 0) + sum(1 for r in self.rejected if r.file == name)


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _check_name(error_type: str) -> str:
    return "malformed_line" if error_type != "INVALID ENCODING" else "invalid_encoding"


MAX_LINE_BYTES = 10_000_000
"""Longest line the reader parses (10 MB); a longer one is quarantined with its length."""
RAW_LIMIT_CHARS = 100_000
"""Longest raw text kept in the quarantine for one line; a longer line is cut there."""
MAX_REPAIR_ROUNDS = 25
"""How many times the files of one kind are re-read to repair unclosed quotes (each read can
reveal the next one that the previous swallowed) before the command is refused."""
STRAY_CR = "\ue00d"
STRAY_QUOTE = "\ue022"
"""Private-use characters standing in for a stray CR and the quotes of a line whose quote is
never closed, in repaired copies: each such line is read on its own and then quarantined."""
_MARKED = {
    STRAY_CR: ("stray_cr", "contains a carriage return (CR) inside the line; expected one line end per record"),
    STRAY_QUOTE: ("unbalanced_quote", 'has a quote that is never closed; expected "..." around a whole field'),
}  # fmt: skip


def stage_csv(
    con: duckdb.DuckDBPyConnection,
    files: Sequence[tuple[Path, str]],
    columns: list[str],
    *,
    delimiter: str = ",",
) -> Staged:
    """Read CSV files whose headers have been checked to be `columns` into one temporary table.
    `files` are (path on disk, name to report) pairs.

    Two faults are repaired in a temporary copy rather than losing rows: a stray CR inside a
    line (DuckDB's strict parser stops the whole file) and a quote that is never closed (the
    rest of the file is swallowed into one rejected record). Each affected line is then read on
    its own and quarantined, so rows in is the number of lines a user sees."""
    n = next(_counter)
    table, raw, rejects, scans = f"__stage_{n}", f"__raw_{n}", f"__rejects_{n}", f"__scans_{n}"
    original = {str(path): name for path, name in files}
    reading = {str(path): path for path, _ in files}
    with tempfile.TemporaryDirectory(prefix=f"{TEMP_PREFIX}{os.getpid()}-") as tmp:
        quoted: set[str] = set()
        nul_free = False
        for attempt in range(MAX_REPAIR_ROUNDS + 1):
            if attempt == 0:
                quoted, nul_free = _repair_stray_cr(reading, Path(tmp))
            names = {str(reading[p]): original[p] for p in original}
            try:
                found = _read_csv(con, list(names), columns, delimiter, raw, rejects, scans)
            except duckdb.Error as exc:
                raise InputFileError(_failed_file(exc, names), _first_line(exc)) from None
            spans = [(r[0], int(r[6])) for r in found if _spans_lines(r[5])]
            if quoted:  # without a quote no field can hold a line break
                paths = [str(reading[k]) for k in sorted(quoted)]
                spans += _swallowing_records(con, raw, columns, delimiter, paths)
            if not spans:
                break
            if attempt == MAX_REPAIR_ROUNDS:
                raise InputFileError(
                    names[str(spans[0][0])],
                    f"more than {MAX_REPAIR_ROUNDS} quotes that are never closed, one after "
                    "another; expected balanced quotes",
                )
            _repair_quotes(reading, spans, Path(tmp))
            for name in (raw, rejects, scans):
                con.execute(f"DROP TABLE {name}")
        rejected = tuple(
            Rejected(
                file=names[str(path)],
                line=int(line),
                field=column,
                check_name=_check_name(str(error_type)),
                reason=f"{str(error_type).lower()}: {str(message).splitlines()[0]}",
                raw=_raw_of(Path(str(path)), text, start),
            )
            for path, line, column, error_type, message, text, start in found
        )
        repaired = any(path.parent == Path(tmp) for path in reading.values())
        numbers = f"__names_{n}"
        as_view = _number_files(con, raw, numbers, names) and not rejected and not repaired
        if not as_view:
            _number_lines(con, raw, table, numbers, rejected)
    con.execute(f"DROP TABLE {rejects}")
    con.execute(f"DROP TABLE {scans}")
    if as_view:
        # Every record parsed and the rows lie file after file in order: a row's line is its
        # place in its file plus the header, so nothing needs copying.
        con.execute(
            f"""CREATE TEMP VIEW {table} AS
            SELECT nm.name AS __file, r.rowid - nm.first_row + 2 AS __line, r.* EXCLUDE (__path)
            FROM {raw} r JOIN {numbers} nm ON nm.path = r.__path"""
        )
    if repaired:
        rejected += _take_marked(con, table, columns, delimiter)
    # On the view the files' row counts are those found while numbering them.
    counting = f"SELECT name, sum(rows) FROM {numbers} GROUP BY 1" if as_view else (
        f"SELECT __file, count(*) FROM {table} GROUP BY 1")  # fmt: skip
    counts = dict(con.execute(counting).fetchall())
    return Staged(
        table=table,
        rows={name: int(counts.get(name, 0)) for name in original.values()},
        rejected=rejected,
        cleanup=(f"VIEW {table}" if as_view else f"TABLE {table}", f"TABLE {raw}",
                 f"TABLE {numbers}"),
        nul_free=nul_free,
    )  # fmt: skip


def _number_files(
    con: duckdb.DuckDBPyConnection, raw: str, numbers: str, names: dict[str, str]
) -> bool:
    """Create table `numbers`: each file's path, name, row count and, when its rows of `raw`
    hold consecutive row ids, the first (the reader keeps the files' order and each file's row
    order). Returns whether every file with rows has one."""
    values = ", ".join(f"({_sql_str(p)}, {_sql_str(name)})" for p, name in names.items())
    con.execute(
        f"""CREATE TEMP TABLE {numbers} AS
        SELECT n.path, n.name, CASE WHEN f.whole THEN f.lo END AS first_row, f.lo IS NOT NULL AS has_rows,
               coalesce(f.n, 0) AS rows
        FROM (VALUES {values}) n(path, name) LEFT JOIN (
            SELECT __path, min(rowid) AS lo, max(rowid) - min(rowid) + 1 = count(*) AS whole, count(*) AS n
            FROM {raw} GROUP BY 1) f ON f.__path = n.path"""
    )
    missing = con.execute(
        f"SELECT count(*) FROM {numbers} WHERE has_rows AND first_row IS NULL"
    ).fetchall()
    return int(missing[0][0]) == 0


def _read_csv(
    con: duckdb.DuckDBPyConnection,
    paths: list[str],
    columns: list[str],
    delimiter: str,
    raw: str,
    rejects: str,
    scans: str,
) -> list[tuple[Any, ...]]:
    """Parse `paths` into table `raw`; returns the rejected records (path, line, column, error
    type, message, text, byte position), one per record."""
    spec = "{" + ", ".join(f"{_sql_str(c)}: 'VARCHAR'" for c in columns) + "}"
    listed = "[" + ", ".join(_sql_str(p) for p in paths) + "]"
    con.execute(
        f"""
        CREATE TEMP TABLE {raw} AS
        SELECT * FROM read_csv({listed}, columns = {spec}, header = true,
            auto_detect = false, delim = {_sql_str(delimiter)}, quote = '"', escape = '"',
            strict_mode = true, null_padding = false, store_rejects = true, filename = '__path',
            rejects_table = '{rejects}', rejects_scan = '{scans}', max_line_size = {MAX_LINE_BYTES})
        """
    )
    # A line-size error has no column index: order NULL first so that its own message is kept.
    return con.execute(
        f"""
        SELECT s.file_path, e.line, arg_min(e.column_name, coalesce(e.column_idx, -1)),
               arg_min(e.error_type, coalesce(e.column_idx, -1)),
               arg_min(e.error_message, coalesce(e.column_idx, -1)),
               arg_min(e.csv_line, coalesce(e.column_idx, -1)), min(e.line_byte_position)
        FROM {rejects} e JOIN {scans} s USING (scan_id, file_id)
        GROUP BY ALL ORDER BY 1, 2
        """
    ).fetchall()


def _first_line(exc: Exception) -> str:
    return f"cannot be read as CSV ({str(exc).splitlines()[0]})"


def _failed_file(exc: Exception, names: dict[str, str]) -> str:
    match = re.search(r"^\s*file = (.+)$", str(exc), re.MULTILINE)
    if match and match.group(1).strip() in names:
        return names[match.group(1).strip()]
    return ", ".join(names.values())


def _spans_lines(text: str | None) -> bool:
    """A rejected record holding a line break: a quote opened and never closed on its line."""
    return bool(text) and ("\n" in text.strip("\r\n") or "\r" in text.strip("\r\n"))


_LONE_CR = re.compile(rb"\r(?!\n)")


def _copy_for(reading: dict[str, Path], key: str, tmp: Path) -> Path:
    """The repaired copy of file `key` (made from the file being read on first use)."""
    if reading[key].parent == tmp:
        return reading[key]
    copy = tmp / f"{len(list(tmp.iterdir()))}.csv"
    shutil.copyfile(reading[key], copy)
    reading[key] = copy
    return copy


def _repair_stray_cr(reading: dict[str, Path], tmp: Path) -> tuple[set[str], bool]:
    """Copy each file with LF or CRLF line ends that also holds a lone CR, the CR marked
    (checked before reading: a failed read cannot be retried inside the batch's transaction).
    Returns the files that hold a quote and whether none holds a NUL byte, as each is read
    here anyway."""
    quoted: set[str] = set()
    nul_free = True
    for key, path in list(reading.items()):
        data = path.read_bytes()
        if b'"' in data:
            quoted.add(key)
        if b"\0" in data:
            nul_free = False
        if b"\n" in data and _LONE_CR.search(data):
            _copy_for(reading, key, tmp).write_bytes(_LONE_CR.sub(STRAY_CR.encode(), data))
    return quoted, nul_free


def _swallowing_records(
    con: duckdb.DuckDBPyConnection, raw: str, columns: list[str], delimiter: str, paths: list[str]
) -> list[tuple[str, int]]:
    """(file, byte position) of parsed records of files `paths` whose quoted field swallowed
    whole lines: a field with a line break followed by a line holding as many delimiters as a
    record has. Quotes are balanced there, so the reader accepted it; but the user sees those
    lines as records."""
    if len(columns) < 2:
        return []
    need = len(columns) - 1
    d = _sql_str(delimiter)
    broken = " OR ".join(f"contains({_ident(c)}, chr(10))" for c in columns)
    swallowed = " OR ".join(
        f"length({_ident(c)}) - length(replace({_ident(c)}, {d}, '')) >= {need}" for c in columns
    )
    listed = ", ".join(_sql_str(p) for p in paths)
    suspects = [
        p
        for (p,) in con.execute(
            f"SELECT DISTINCT __path FROM (SELECT * FROM {raw} WHERE __path IN ({listed}) "
            f"AND ({broken})) WHERE {swallowed}"
        ).fetchall()
    ]
    found: list[tuple[str, int]] = []
    for path in suspects:
        data = Path(path).read_bytes()
        text = data.decode("utf-8", "replace")
        if len(text.encode()) != len(data):
            continue  # not UTF-8: the byte positions of lines cannot be told from the text
        starts = [0] + [m.end() for m in re.finditer(r"\r\n|\n|\r", text)]
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        previous = 0
        try:
            for record in reader:
                first = previous
                previous = reader.line_num
                if any(_holds_a_record(f, delimiter, need) for f in record):
                    found.append((path, len(text[: starts[first]].encode())))
        except csv.Error:
            continue
    return found


def _holds_a_record(field: str, delimiter: str, need: int) -> bool:
    """A field with a line break after which one line has a whole record's delimiters: lines
    swallowed by a stray quote, not a note written over several lines."""
    return any(line.count(delimiter) >= need for line in re.split(r"\r\n|\n|\r", field)[1:])


def _repair_quotes(reading: dict[str, Path], spans: list[tuple[str, int]], tmp: Path) -> None:
    """Mark the quotes of each line that opened a record spanning lines, so that the line is
    read on its own and the lines it swallowed are read again."""
    by_file: dict[str, list[int]] = {}
    for path, start in spans:
        by_file.setdefault(str(path), []).append(int(start))
    keys = {str(p): k for k, p in reading.items()}
    for path, starts in by_file.items():
        key = keys[path]
        data = bytearray(reading[key].read_bytes())
        for near in starts:
            start = _line_start(data, near)
            end = _line_end(data, start)
            data[start:end] = bytes(data[start:end]).replace(b'"', STRAY_QUOTE.encode())
        _copy_for(reading, key, tmp).write_bytes(bytes(data))


def _line_start(data: bytes | bytearray, near: int) -> int:
    """The start of the line at `near`: the reader's positions can be one byte either side."""
    while near < len(data) and data[near : near + 1] in (b"\n", b"\r"):
        near += 1
    return max(data.rfind(b"\n", 0, near), data.rfind(b"\r", 0, near)) + 1


def _line_end(data: bytes | bytearray, start: int) -> int:
    ends = [i for i in (data.find(b"\n", start), data.find(b"\r", start)) if i >= 0]
    return min(ends) if ends else len(data)


def _raw_of(path: Path, text: str | None, start: int | None) -> str:
    """A rejected line's text: the reader's copy, or the line itself (up to `RAW_LIMIT_CHARS`)
    when the reader cut it short."""
    shown = (text or "").strip("\r\n")
    if len(shown) >= 9_999 and start is not None:
        with path.open("rb") as handle:
            handle.seek(max(int(start) - 2, 0))
            chunk = handle.read(RAW_LIMIT_CHARS * 4)
        first = _line_start(chunk, min(2, int(start)))
        line = chunk[first : _line_end(chunk, first)]
        shown = line.decode("utf-8", "replace")[:RAW_LIMIT_CHARS]
    return shown.replace(STRAY_QUOTE, '"').replace(STRAY_CR, "\r")


def _take_marked(
    con: duckdb.DuckDBPyConnection, table: str, columns: list[str], delimiter: str
) -> tuple[Rejected, ...]:
    """Move the rows of repaired lines out of the staged table into the rejected lines."""
    if not columns:
        return ()
    found: list[Rejected] = []
    text = (
        f"concat_ws({_sql_str(delimiter)}, "
        + ", ".join(f"coalesce({_ident(c)}, '')" for c in columns)
        + ")"
    )
    for marker, (check, problem) in _MARKED.items():
        first = " ".join(
            f"WHEN strpos({_ident(c)}, {_sql_str(marker)}) > 0 THEN {_sql_str(c)}" for c in columns
        )
        where = f"strpos({text}, {_sql_str(marker)}) > 0"
        rows = con.execute(
            f"SELECT __file, __line, CASE {first} END, {text} FROM {table} WHERE {where}"
        ).fetchall()
        if rows:
            con.execute(f"DELETE FROM {table} WHERE {where}")
        for file, line, field, raw in rows:
            shown = str(raw).replace(STRAY_QUOTE, '"').replace(STRAY_CR, "\r")
            found.append(
                Rejected(
                    str(file),
                    int(line),
                    field,
                    check,
                    f"{field}: {problem}",
                    shown[:RAW_LIMIT_CHARS],
                )
            )
    return tuple(found)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


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
