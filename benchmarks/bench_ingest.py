"""Ingest throughput on the real Cambridgeshire 2024 files against DuckDB's own CSV scan.

Baseline: `SELECT count(*) FROM read_csv(file)` for each of the 36 files (what DuckDB needs just to
parse them). policeperf: a full ingest into a fresh store (hash, header checks, parse with
rejects, validation, reference joins, duplicate checks, insert, one transaction per file).
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import duckdb

from benchmarks.harness import WORK, Result, timed
from policeperf.ingest.run import ingest_police_uk
from policeperf.store import Store

ARCHIVE = Path(__file__).resolve().parent.parent / "data" / "police-uk" / "cambridgeshire-2024.zip"
TARGET_RATIO = 2.0


def run(repeat: int = 3) -> Result:
    folder = WORK / "cambs2024"
    shutil.rmtree(folder, ignore_errors=True)
    with zipfile.ZipFile(ARCHIVE) as zf:
        zf.extractall(folder)
    files = sorted(folder.rglob("*.csv"))
    rows = 0

    def baseline() -> None:
        nonlocal rows
        con = duckdb.connect()
        rows = sum(con.sql(f"SELECT count(*) FROM read_csv('{f}')").fetchall()[0][0] for f in files)
        con.close()

    def ours() -> None:
        path = WORK / "ingest.duckdb"
        path.unlink(missing_ok=True)
        with Store(path) as db:
            report = ingest_police_uk(db, [folder])
        assert report.rows_in == rows

    base = timed(baseline, repeat)
    mine = timed(ours, repeat)
    ratio = mine.median / base.median
    return Result(
        name="ingest_police_uk",
        description=__doc__ or "",
        metric="time ratio policeperf / DuckDB read_csv+count",
        value=ratio,
        target=f"<= {TARGET_RATIO}x",
        passed=ratio <= TARGET_RATIO,
        command="python -m benchmarks.run ingest",
        details={
            "files": len(files),
            "rows": rows,
            "duckdb read_csv + count(*) (median s)": round(base.median, 3),
            "policeperf ingest (median s)": round(mine.median, 3),
            "policeperf rows/s": round(rows / mine.median),
            "runs (s)": {"baseline": base.rounded(3), "policeperf": mine.rounded(3)},
        },
    )
