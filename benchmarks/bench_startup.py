"""Start-up and `evaluate` as a user runs them: whole processes, timed interleaved.

- `startup`: `policeperf --help` against a bare `python -c pass`, and `python -X importtime`
  of the command line, which must not import what only some commands use (scipy.stats, pyarrow,
  openpyxl, WeasyPrint, Altair, vl-convert, FastAPI, uvicorn, the ingest pipeline).
- `evaluate`: `policeperf evaluate --framework pcp --month 2021-03` on the demo force, against a
  yardstick process that imports duckdb and runs one plain DuckDB group-by (force x month) per
  record table of the same store. Target: <= 5x the yardstick's CPU, <= 1 s wall (issue 12).
  Timed two ways, interleaved with the yardstick: with the framework's compiled SQL kept (every
  run after the first; the ratio reported) and compiling (a cache folder that cannot be
  written, as on a first run).
- `report`: `policeperf report --format html` and `--format pdf` for the same month
  (evaluation, harm, provenance, charts, renderer start-up: everything a user waits for) against
  that `evaluate` process, the three interleaved. Targets: HTML <= 2x, PDF <= 4x.
- `demo`: `policeperf demo` into a fresh store and output folder, end to end, with the wall
  time of each phase (real data ingested while a worker process generates the demo force; the
  demo force ingested; the two reports written side by side). Target: <= 30 s.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from benchmarks.harness import WORK, ProcessTiming, Result, interleaved
from benchmarks.national import demo_store
from policeperf.store.schema import RECORD_TABLES

SRC = Path(__file__).resolve().parent.parent / "src"
LAZY = ("scipy.stats", "pyarrow", "openpyxl", "weasyprint", "altair", "vl_convert", "fastapi",
        "uvicorn", "policeperf.ingest.run")  # fmt: skip
TARGET_CPU_RATIO = 5.0
TARGET_WALL_S = 1.0
TARGET_REPORT_RATIO = 2.0
TARGET_PDF_RATIO = 4.0
TARGET_DEMO_S = 30.0


def _env() -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }


def import_times(argv: list[str], query_cache: Path | None = None) -> dict[str, float]:
    """Module -> cumulative import seconds, from `python -X importtime`."""
    import subprocess

    env = _env() | ({"POLICEPERF_CACHE": str(query_cache)} if query_cache else {})
    done = subprocess.run([sys.executable, "-X", "importtime", *argv], capture_output=True,
                          text=True, env=env, check=True)  # fmt: skip
    out: dict[str, float] = {}
    for line in done.stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\s*)(\S+)", line)
        if m:
            out[m.group(3)] = int(m.group(1)) / 1e6
    return out


def yardstick_code(store: Path) -> str:
    """One group-by per record table: force (where the table has it), district (likewise) and
    month, with a row count."""
    queries = []
    for name, t in RECORD_TABLES.items():
        if not t.month_column:
            continue
        held = {c.name for c in t.columns}
        keys = [c for c in ("force", "district") if c in held]
        queries.append(f"SELECT {''.join(k + ', ' for k in keys)}date_trunc('month', "
                       f"{t.month_column}) AS m, count(*) FROM {name} GROUP BY ALL")  # fmt: skip
    return (f"import duckdb; con = duckdb.connect({str(store)!r}, read_only=True)\n"
            f"for q in {queries!r}: con.execute(q).fetchall()")  # fmt: skip


def run_startup(repeat: int = 7) -> Result:
    times = interleaved(
        {"python -c pass": [sys.executable, "-c", "pass"],
         "policeperf --help": [sys.executable, "-m", "policeperf", "--help"]},
        repeat, _env(),
    )  # fmt: skip
    imports = import_times(["-m", "policeperf", "--help"])
    cli = imports.get("policeperf.cli", 0.0)
    loaded = sorted(m for m in LAZY if m in imports)
    heaviest = sorted(imports.items(), key=lambda kv: -kv[1])[:8]
    return Result(
        name="startup_help",
        description=__doc__ or "",
        metric="import seconds of policeperf.cli (python -X importtime)",
        value=cli,
        target="no command-specific heavy module imported at start",
        passed=not loaded,
        command="python -m benchmarks.run startup",
        details={
            "heavy modules imported at start": loaded,
            "heaviest imports (cumulative s)": {m: round(s, 3) for m, s in heaviest},
            **{name: t.summary() for name, t in times.items()},
        },
    )


def evaluate_argv(store: Path) -> list[str]:
    return [sys.executable, "-m", "policeperf", "evaluate", "--framework", "pcp", "--month",
            "2021-03", "--store", str(store)]  # fmt: skip


def run_evaluate(repeat: int = 5) -> Result:
    store = demo_store()
    kept = WORK / "evaluate-query-cache"
    commands = {
        "duckdb group-by per record table": [sys.executable, "-c", yardstick_code(store)],
        "policeperf evaluate pcp": ["env", f"POLICEPERF_CACHE={kept}", *evaluate_argv(store)],
        "policeperf evaluate pcp, compiling": [
            "env", f"POLICEPERF_CACHE={os.devnull}/none", *evaluate_argv(store)
        ],
    }  # fmt: skip
    times = interleaved(commands, repeat, _env())
    base, ours, compiling = times.values()
    ratio = ours.cpu_median / base.cpu_median
    imports = import_times(commands["policeperf evaluate pcp"][3:], kept)
    return Result(
        name="evaluate_process",
        description=__doc__ or "",
        metric="CPU ratio evaluate process / plain DuckDB group-by process",
        value=ratio,
        target=f"<= {TARGET_CPU_RATIO:g}x CPU and <= {TARGET_WALL_S:g} s wall",
        passed=ratio <= TARGET_CPU_RATIO and ours.wall_median <= TARGET_WALL_S,
        command="python -m benchmarks.run evaluate",
        details={
            **{name: t.summary() for name, t in times.items()},
            "CPU ratio compiling / yardstick": round(compiling.cpu_median / base.cpu_median, 2),
            "evaluate imports (cumulative s)": {
                m: round(imports[m], 3)
                for m in (
                    "policeperf.cli",
                    "policeperf.engine",
                    "pandas",
                    "ibis",
                    "duckdb",
                    "scipy.special",
                    "policeperf.ingest.revisions",
                )
                if m in imports
            },
            "heavy modules imported by evaluate": sorted(m for m in LAZY if m in imports),
        },
    )


def _report_argv(store: Path, fmt: str) -> list[str]:
    return [sys.executable, "-m", "policeperf", "report", "--framework", "pcp", "--month",
            "2021-03", "--store", str(store), "--format", fmt, "--out",
            str(WORK / f"report-process-{fmt}"), "--overwrite"]  # fmt: skip


def run_report(repeat: int = 3) -> list[Result]:
    store = demo_store()
    commands = {
        "policeperf evaluate pcp": evaluate_argv(store),
        "policeperf report --format html": _report_argv(store, "html"),
        "policeperf report --format pdf": _report_argv(store, "pdf"),
    }
    times = interleaved(commands, repeat, _env())
    evaluate, html, pdf = times.values()
    details = {name: t.summary() for name, t in times.items()}
    out = []
    for fmt, timing, target in (
        ("html", html, TARGET_REPORT_RATIO),
        ("pdf", pdf, TARGET_PDF_RATIO),
    ):
        ratio = timing.wall_median / evaluate.wall_median
        out.append(Result(
            name=f"report_{fmt}_process",
            description=__doc__ or "",
            metric=f"wall ratio report --format {fmt} process / evaluate process",
            value=ratio,
            target=f"<= {target:g}x",
            passed=ratio <= target,
            command="python -m benchmarks.run report-process",
            details={**details, "cpu ratio": round(timing.cpu_median / evaluate.cpu_median, 2)},
        ))  # fmt: skip
    return out


DEMO_PHASES = (
    ("police.uk and Home Office ingest, Demo Constabulary generated beside it", "demo-exports"),
    ("Demo Constabulary ingest", "Demo store:"),
    ("reports (pcp here, police-uk and the pcp PDF in the worker)", "Dashboard:"),
)
"""Each phase of `policeperf demo` and the first output line after it ends."""


def _demo_run(argv: list[str], env: dict[str, str]) -> tuple[float, float, dict[str, float]]:
    """One demo process: wall and CPU seconds (with its worker) and the wall seconds of each
    phase, read from when its output lines appear (not a terminal: one line per file)."""
    import resource
    import subprocess
    import time

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    ends: dict[str, float] = {}
    with subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True) as process:  # fmt: skip
        assert process.stdout is not None
        for line in process.stdout:
            for phase, mark in DEMO_PHASES:
                if mark in line and phase not in ends:
                    ends[phase] = time.perf_counter() - start
    if process.returncode:
        raise subprocess.CalledProcessError(process.returncode, argv)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    phases, previous = {}, 0.0
    for phase, _ in DEMO_PHASES:
        phases[phase] = round(ends[phase] - previous, 2)
        previous = ends[phase]
    return wall, cpu, phases


def run_demo(repeat: int = 1) -> Result:
    """`policeperf demo` as a user first runs it: a fresh store and output folder each time;
    the machine's load average is recorded beside it, since other work on it slows every
    phase."""
    import shutil
    import tempfile

    root = Path(__file__).resolve().parent.parent
    walls, cpus, phases, loads = [], [], [], [round(os.getloadavg()[0], 1)]
    for _ in range(repeat):
        folder = Path(tempfile.mkdtemp(prefix="policeperf-demo-"))
        try:
            wall, cpu, split = _demo_run(
                [sys.executable, "-m", "policeperf", "demo", "--store", str(folder / "demo.duckdb"),
                 "--data", str(root / "data"), "--out", str(folder / "out")], _env(),
            )  # fmt: skip
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        walls.append(wall)
        cpus.append(cpu)
        phases.append(split)
        loads.append(round(os.getloadavg()[0], 1))
    timing = ProcessTiming(walls, cpus)
    return Result(
        name="demo_process",
        description=__doc__ or "",
        metric="wall seconds of policeperf demo (fresh store and outputs)",
        value=timing.wall_median,
        target=f"<= {TARGET_DEMO_S:g} s",
        passed=timing.wall_median <= TARGET_DEMO_S,
        command="python -m benchmarks.run demo",
        details={
            "policeperf demo": timing.summary(),
            "phases, wall s (each run)": phases,
            "load average (1 min) before and after each run, on 2 cores": loads,
        },
    )
