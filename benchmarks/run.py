"""Run benchmarks: `python -m benchmarks.run [NAME ...]` (default: all)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from benchmarks import (
    bench_dashboard,
    bench_harm,
    bench_ingest,
    bench_kinds,
    bench_report,
    bench_startup,
    national,
)
from benchmarks.harness import Result, record

BENCHMARKS: dict[str, Callable[[], Result | list[Result]]] = {
    "ingest": bench_ingest.run,
    "pcp": national.run_pcp_demo,
    "national": national.run_national,
    "pandas": national.run_pandas_demo,
    "report": bench_report.run,
    "dashboard": bench_dashboard.run,
    "dashboard-load": bench_dashboard.run_load,
    "harm": bench_harm.run,
    "startup": bench_startup.run_startup,
    "evaluate": bench_startup.run_evaluate,
    "report-process": bench_startup.run_report,
    "demo": bench_startup.run_demo,
    "dashboard-pages": bench_dashboard.run_pages,
    "kinds": bench_kinds.run,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", choices=[*BENCHMARKS, []], help="benchmarks to run")
    args = parser.parse_args(argv)
    failed = []
    for name in args.names or list(BENCHMARKS):
        print(f"running {name} ...", file=sys.stderr)
        produced = BENCHMARKS[name]()
        for result in produced if isinstance(produced, list) else [produced]:
            record(result)
            print(f"{result.name}: {result.metric} = {result.value:.3g} (target {result.target})"
                  f" {'met' if result.passed else 'NOT MET'}")  # fmt: skip
            if not result.passed:
                failed.append(result.name)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
