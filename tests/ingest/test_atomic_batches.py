"""A batch is one transaction: a process killed mid-batch leaves the store as it was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from policeperf.store import Store
from policeperf.store.status import store_status

ROWS = 3_000_000


def snapshot(path: Path) -> dict[str, object]:
    with Store(path, read_only=True) as db:
        status = store_status(db)
        batches = db.fetchall("SELECT * FROM ingest_batches ORDER BY batch_id")
    return {"tables": status.tables, "batches": batches}


def run(args: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "policeperf", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_killed_ingest_leaves_the_store_unchanged_and_a_rerun_completes(tmp_path: Path) -> None:
    mapping = tmp_path / "links.yaml"
    mapping.write_text(
        "table: person_links\ncolumns:\n  crime_id: CRIME\n  person_id: PERSON\n"
        "  role: {from: ROLE, values: {V: victim, O: offender}}\n"
    )
    small = tmp_path / "small.csv"
    small.write_text("CRIME,PERSON,ROLE\nc1,p1,V\nc2,p2,O\n")
    big = tmp_path / "big.csv"
    n = pa.array(range(ROWS)).cast(pa.string())
    pacsv.write_csv(
        pa.table({"CRIME": n, "PERSON": n, "ROLE": pa.array(["V", "O"] * (ROWS // 2))}), big
    )
    store = tmp_path / "store.duckdb"
    common = ["--mapping", str(mapping), "--store", str(store)]

    first = run(["ingest", "table", "person_links", str(small), *common])
    assert first.wait(timeout=120) == 0, first.stderr.read() if first.stderr else ""
    before = snapshot(store)

    victim = run(["ingest", "table", "person_links", str(big), *common])
    assert victim.stderr is not None
    line = victim.stderr.readline()
    assert line.startswith("ingesting 1/1"), line
    time.sleep(0.5)
    assert victim.poll() is None, "the ingest finished before it could be killed"
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=30)
    assert victim.returncode == -signal.SIGKILL

    assert snapshot(store) == before

    rerun = run(["ingest", "table", "person_links", str(big), "--json", *common])
    _, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    after = snapshot(store)
    assert after["tables"]["person_links"] == before["tables"]["person_links"] + ROWS
    assert len(after["batches"]) == len(before["batches"]) + 1
