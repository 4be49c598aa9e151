"""Report generation time for the full pcp framework on the demo force (March 2021), from the
results table: HTML (charts included) and PDF, each timed on its own."""

from __future__ import annotations

import time
from datetime import date

from benchmarks.harness import WORK, Result
from benchmarks.national import demo_store
from policeperf import evaluate
from policeperf.framework import load_framework
from policeperf.report import write_report
from policeperf.store import Store

MONTH = date(2021, 3, 1)


def run(repeat: int = 3) -> list[Result]:
    framework = load_framework("pcp")
    with Store(demo_store(), read_only=True) as db:
        results = evaluate(db, framework, MONTH)
    timings: dict[str, list[float]] = {"html": [], "pdf": []}
    for _ in range(repeat):
        for fmt in timings:
            t0 = time.perf_counter()
            write_report(results, framework, MONTH, WORK / "report", formats=[fmt])
            timings[fmt].append(time.perf_counter() - t0)
    out = []
    for fmt, target in (("html", 3.0), ("pdf", 15.0)):
        best = min(timings[fmt])
        out.append(
            Result(
                name=f"report_{fmt}",
                description=__doc__ or "",
                metric="seconds (best of 3)",
                value=best,
                target=f"<= {target:g} s",
                passed=best <= target,
                command="python -m benchmarks.run report",
                details={"runs (s)": [round(x, 2) for x in timings[fmt]], "measures": 32},
            )
        )
    return out
