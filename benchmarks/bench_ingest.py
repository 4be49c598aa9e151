"""Ingest throughput on the real Cambridgeshire 2024 files against DuckDB's own CSV scan.

Yardstick: what DuckDB needs just to parse the files into a table, read the way the ingest
stages them: one `read_csv` over all files of a kind (street, outcomes, stop and search) with
the columns given as text and the sniffer off, materialised in a temporary table, each statement
run once with `execute`. The previous yardstick ran `con.sql(...).fetchall()` per file, which
prepares and then runs, sniffing every file twice: about twice as slow as one sniffed scan per
file, and several times slower than one scan per kind. For context the details also give the
same scans as `count(*)` (DuckDB need not build the values) and one sniffed scan per file.
policeperf: a full ingest into a fresh store (hash, header checks, parse with rejects,
validation, reference joins, duplicate checks, insert, one transaction per file). The two are
timed interleaved (A B A B ...) so drift in the machine's load falls on both alike.
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


def scans(files: list[Path]) -> list[str]:
    """One `SELECT * FROM read_csv(...)` per file kind and header, as the ingest stages them."""
    kinds: dict[tuple[str, tuple[str, ...]], list[Path]] = defaultdict(list)
    for f in files:
        with f.open(newline="", encoding="utf-8-sig") as fh:
            header = tuple(next(csv.reader(fh)))
        kinds[f.stem.split("-", 3)[-1], header].append(f)
    out = []
    for (_, header), paths in sorted(kinds.items()):
        spec = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in header) + "}"
        listed = "[" + ", ".join(f"'{p}'" for p in paths) + "]"
        out.append(f"SELECT * FROM read_csv({listed}, columns = {spec}, header = true, "
                   "auto_detect = false, quote = '\"', escape = '\"')")  # fmt: skip
    return out


def run(repeat: int = 3) -> Result:
    folder = WORK / "cambs2024"
    shutil.rmtree(folder, ignore_errors=True)
    with zipfile.ZipFile(ARCHIVE) as zf:
        zf.extractall(folder)
    files = sorted(folder.rglob("*.csv"))
    statements = scans(files)
    rows = 0

    def baseline() -> None:
        nonlocal rows
        con = duckdb.connect()
        for k, q in enumerate(statements):
            con.execute(f"CREATE TEMP TABLE scan_{k} AS {q}")
        rows = sum(con.execute(f"SELECT count(*) FROM scan_{k}").fetchall()[0][0]
                   for k in range(len(statements)))  # fmt: skip
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
        path = WORK / "ingest.duckdb"
        path.unlink(missing_ok=True)
        with Store(path) as db:
            report = ingest_police_uk(db, [folder])
        assert report.rows_in == rows

    runs: dict[str, list[float]] = {"baseline": [], "policeperf": [], "count": [], "per file": []}
    baseline()  # warm the file cache and learn the row count
    for _ in range(repeat):
        for name, func in (("baseline", baseline), ("policeperf", ours), ("count", counted),
                           ("per file", per_file)):  # fmt: skip
            start = time.perf_counter()
            func()
            runs[name].append(time.perf_counter() - start)
    base, mine = statistics.median(runs["baseline"]), statistics.median(runs["policeperf"])
    ratio = mine / base
    return Result(
        name="ingest_police_uk",
        description=__doc__ or "",
        metric="time ratio policeperf / DuckDB read_csv into a table, one scan per file kind",
        value=ratio,
        target=f"<= {TARGET_RATIO}x",
        passed=ratio <= TARGET_RATIO,
        command="python -m benchmarks.run ingest",
        details={
            "files": len(files),
            "rows": rows,
            "yardstick statements": len(statements),
            "duckdb read_csv into a table, one scan per kind (median s)": round(base, 3),
            "same scans as count(*) (median s)": round(statistics.median(runs["count"]), 3),
            "one sniffed count(*) per file (median s)": round(
                statistics.median(runs["per file"]), 3
            ),
            "policeperf ingest (median s)": round(mine, 3),
            "policeperf rows/s": round(rows / mine),
            "runs (s), interleaved": {k: [round(x, 3) for x in v] for k, v in runs.items()},
        },
    )
