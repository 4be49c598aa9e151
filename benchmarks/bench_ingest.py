"""Ingest throughput on the real Cambridgeshire 2024 files against DuckDB's own CSV scan.

Yardstick: what DuckDB needs to read the same files into typed tables of a database file, read
the way the ingest stages them: one `read_csv` over all files of a kind (street, outcomes, stop
and search) with the sniffer off and the columns the store types given their type (months as
DATE, coordinates as DOUBLE, the search time as TIMESTAMP, the rest as text), each statement run
once with `execute` into a table of a fresh DuckDB file (DuckDB's default settings), in one
transaction, committed and the file closed, as the ingest's store is. The earlier yardstick
(the same scans, all text, into temporary tables of an in-memory database: nothing typed,
nothing written) is timed too, with its ratio, and so are the scans as `count(*)` (DuckDB need
not build the values) and one sniffed scan per file.
policeperf: a full ingest into a fresh store (hash, header checks, parse with rejects,
validation, reference joins, duplicate and revision checks, insert, coverage, one transaction),
the store closed. All are timed interleaved (A B A B ...) so drift in the machine's load falls on
each alike; wall and CPU time (every thread of this process) are both recorded, as the machine
is shared.
"""

from __future__ import annotations

import csv
import shutil
import statistics
import time
import zipfile
from collections import defaultdict
from pathlib import Path

import duckdb

from benchmarks.harness import WORK, Result
from policeperf.ingest.run import ingest_police_uk
from policeperf.store import Store

ARCHIVE = Path(__file__).resolve().parent.parent / "data" / "police-uk" / "cambridgeshire-2024.zip"
TARGET_RATIO = 2.0


TYPED = {"Month": "DATE", "Longitude": "DOUBLE", "Latitude": "DOUBLE", "Date": "TIMESTAMPTZ"}
"""The columns the store keeps typed (the rest it keeps as text)."""


def scans(files: list[Path], typed: bool = False) -> list[str]:
    """One `SELECT * FROM read_csv(...)` per file kind and header, as the ingest stages them;
    with `typed`, the columns of `TYPED` read as their type."""
    kinds: dict[tuple[str, tuple[str, ...]], list[Path]] = defaultdict(list)
    for f in files:
        with f.open(newline="", encoding="utf-8-sig") as fh:
            header = tuple(next(csv.reader(fh)))
        kinds[f.stem.split("-", 3)[-1], header].append(f)
    out = []
    for (_, header), paths in sorted(kinds.items()):
        types = {c: TYPED.get(c, "VARCHAR") if typed else "VARCHAR" for c in header}
        spec = "{" + ", ".join(f"'{c}': '{t}'" for c, t in types.items()) + "}"
        listed = "[" + ", ".join(f"'{p}'" for p in paths) + "]"
        months = ", dateformat = '%Y-%m'" if typed else ""
        out.append(f"SELECT * FROM read_csv({listed}, columns = {spec}, header = true, "
                   f"auto_detect = false, quote = '\"', escape = '\"'{months})")  # fmt: skip
    return out


def run(repeat: int = 5) -> Result:
    folder = WORK / "cambs2024"
    shutil.rmtree(folder, ignore_errors=True)
    with zipfile.ZipFile(ARCHIVE) as zf:
        zf.extractall(folder)
    files = sorted(folder.rglob("*.csv"))
    statements = scans(files)
    typed_statements = scans(files, typed=True)
    rows = 0

    def fresh(name: str) -> Path:
        path = WORK / name
        path.unlink(missing_ok=True)
        Path(f"{path}.wal").unlink(missing_ok=True)
        return path

    def baseline() -> None:
        nonlocal rows
        con = duckdb.connect(str(fresh("yardstick.duckdb")))
        con.execute("BEGIN TRANSACTION")
        for k, q in enumerate(typed_statements):
            con.execute(f"CREATE TABLE scan_{k} AS {q}")
        con.execute("COMMIT")
        rows = sum(con.execute(f"SELECT count(*) FROM scan_{k}").fetchall()[0][0]
                   for k in range(len(typed_statements)))  # fmt: skip
        con.close()

    def in_memory() -> None:
        con = duckdb.connect()
        for k, q in enumerate(statements):
            con.execute(f"CREATE TEMP TABLE scan_{k} AS {q}")
        con.close()

    def counted() -> None:
        con = duckdb.connect()
        for q in statements:
            con.execute(f"SELECT count(*) FROM ({q})").fetchall()
        con.close()

    def per_file() -> None:
        con = duckdb.connect()
        for f in files:
            con.execute(f"SELECT count(*) FROM read_csv('{f}')").fetchall()
        con.close()

    def ours() -> None:
        with Store(fresh("ingest.duckdb")) as db:
            report = ingest_police_uk(db, [folder])
        assert report.rows_in == rows

    jobs = {"baseline": baseline, "policeperf": ours, "in memory": in_memory, "count": counted,
            "per file": per_file}  # fmt: skip
    runs: dict[str, list[float]] = {name: [] for name in jobs}
    cpu: dict[str, list[float]] = {name: [] for name in jobs}
    baseline()  # warm the file cache and learn the row count
    ours()  # and import what the ingest imports
    for _ in range(repeat):
        for name, func in jobs.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            func()
            runs[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)

    def median(name: str, of: dict[str, list[float]]) -> float:
        return statistics.median(of[name])

    base, mine = median("baseline", runs), median("policeperf", runs)
    ratio = mine / base
    cpu_ratio = median("policeperf", cpu) / median("baseline", cpu)
    return Result(
        name="ingest_police_uk",
        description=__doc__ or "",
        metric="time ratio policeperf ingest / DuckDB read_csv into typed tables of a store file",
        value=ratio,
        target=f"<= {TARGET_RATIO}x",
        passed=ratio <= TARGET_RATIO,
        command="python -m benchmarks.run ingest",
        details={
            "files": len(files),
            "rows": rows,
            "yardstick statements": len(typed_statements),
            "duckdb read_csv into typed tables of a file, committed (median s)": round(base, 3),
            "policeperf ingest (median s)": round(mine, 3),
            "policeperf rows/s": round(rows / mine),
            "CPU ratio policeperf / yardstick (median CPU s, all threads)": round(cpu_ratio, 2),
            "earlier yardstick, text into an in-memory database (median s)": round(
                median("in memory", runs), 3
            ),
            "ratio to the earlier yardstick": round(mine / median("in memory", runs), 2),
            "same scans as count(*) (median s)": round(median("count", runs), 3),
            "one sniffed count(*) per file (median s)": round(median("per file", runs), 3),
            "runs (s), interleaved": {k: [round(x, 3) for x in v] for k, v in runs.items()},
            "CPU (s), interleaved": {k: [round(x, 3) for x in v] for k, v in cpu.items()},
        },
    )
