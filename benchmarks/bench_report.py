"""Report generation time for the full pcp framework on the demo force (March 2021), from the
results table: HTML (charts included) and PDF, each timed on its own."""

from __future__ import annotations

from datetime import date
from functools import partial

from benchmarks.harness import WORK, Result, timed
from benchmarks.national import demo_store
from policeperf.engine import evaluate
from policeperf.framework import load_framework
from policeperf.report import write_report
from policeperf.store import Store

MONTH = date(2021, 3, 1)


def run(repeat: int = 3) -> list[Result]:
    framework = load_framework("pcp")
    with Store(demo_store(), read_only=True) as db:
        results = evaluate(db, framework, MONTH)
    timings = {
        fmt: timed(
            partial(
                write_report,
                results,
                framework,
                MONTH,
                WORK / "report",
                formats=[fmt],
                overwrite=True,
            ),
            repeat,
        )
        for fmt in ("html", "pdf")
    }
    out = []
    for fmt, target in (("html", 3.0), ("pdf", 15.0)):
        best = timings[fmt].best
        out.append(
            Result(
                name=f"report_{fmt}",
                description=__doc__ or "",
                metric="seconds (best of 3)",
                value=best,
                target=f"<= {target:g} s",
                passed=best <= target,
                command="python -m benchmarks.run report",
                details={"runs (s)": timings[fmt].rounded(), "measures": 32},
            )
        )
    return out
