"""The benchmark harness: run named benchmarks, compare with targets, keep a results file.

Results live in `benchmarks/results.json` (machine-readable, merged by benchmark name) and
`benchmarks/RESULTS.md` (rendered from it). Each result records the command that produced it.
Targets are checked here, never as timed assertions in the test suite.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS_JSON = HERE / "results.json"
RESULTS_MD = HERE / "RESULTS.md"
WORK = HERE / "work"


@dataclass
class Result:
    name: str
    description: str
    metric: str
    value: float
    target: str
    passed: bool
    command: str
    details: dict[str, Any] = field(default_factory=dict)
    measured_at: str = ""
    machine: str = ""


@dataclass(frozen=True)
class Timing:
    """Wall times of repeated runs of one call, and what the last run returned."""

    runs: list[float]
    result: Any

    @property
    def best(self) -> float:
        return min(self.runs)

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    def rounded(self, digits: int = 2) -> list[float]:
        return [round(x, digits) for x in self.runs]


def timed(func: Callable[[], Any], repeat: int) -> Timing:
    """Run `func` `repeat` times, timing each run."""
    runs = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        runs.append(time.perf_counter() - start)
    return Timing(runs, result)


@dataclass(frozen=True)
class ProcessTiming:
    """Wall and CPU seconds (user + system, the process and its children) of repeated runs of
    one command, each a whole process as a user runs it."""

    wall: list[float]
    cpu: list[float]

    @property
    def wall_median(self) -> float:
        return statistics.median(self.wall)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu)

    def summary(self) -> dict[str, Any]:
        return {
            "wall median (s)": round(self.wall_median, 3),
            "cpu median (s)": round(self.cpu_median, 3),
            "wall runs (s)": [round(x, 3) for x in self.wall],
            "cpu runs (s)": [round(x, 3) for x in self.cpu],
        }


def run_process(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Run `argv` to completion (output discarded, failure raised): (wall s, CPU s)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env=env)  # fmt: skip
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def interleaved(
    commands: dict[str, list[str]], repeat: int, env: dict[str, str] | None = None
) -> dict[str, ProcessTiming]:
    """Time each command `repeat` times as a whole process, interleaved (A B A B ...), so drift
    in the machine's load falls on every side alike. One untimed warm-up run each first."""
    for argv in commands.values():
        run_process(argv, env)
    walls: dict[str, list[float]] = {name: [] for name in commands}
    cpus: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, argv in commands.items():
            wall, cpu = run_process(argv, env)
            walls[name].append(wall)
            cpus[name].append(cpu)
    return {name: ProcessTiming(walls[name], cpus[name]) for name in commands}


def peak_rss_gb() -> float:
    """Peak resident memory of this process, in GB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def record(result: Result) -> None:
    result.measured_at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    result.machine = machine()
    results = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.exists() else {}
    results[result.name] = asdict(result)
    RESULTS_JSON.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    render(results)


def render(results: dict[str, dict[str, Any]]) -> None:
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`python -m benchmarks.run`); do not edit by hand.",
        "",
        "| benchmark | metric | value | target | met | measured |",
        "|---|---|---|---|---|---|",
    ]
    for name in sorted(results):
        r = results[name]
        lines.append(
            f"| {name} | {r['metric']} | {r['value']:.3g} | {r['target']} | "
            f"{'yes' if r['passed'] else 'NO'} | {r['measured_at']} |"
        )
    for name in sorted(results):
        r = results[name]
        lines += ["", f"## {name}", "", r["description"], "", f"Command: `{r['command']}`",
                  f"Machine: {r['machine']}", ""]  # fmt: skip
        for key, value in r["details"].items():
            lines.append(f"- {key}: {value}")
    RESULTS_MD.write_text("\n".join(lines) + "\n")
