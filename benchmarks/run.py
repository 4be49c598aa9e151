"""Run benchmarks: `python -m benchmarks.run [NAME ...]` (default: all)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from benchmarks import bench_ingest
from benchmarks.harness import Result, record

BENCHMARKS: dict[str, Callable[[], Result]] = {
    "ingest": bench_ingest.run,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", choices=[*BENCHMARKS, []], help="benchmarks to run")
    args = parser.parse_args(argv)
    failed = []
    for name in args.names or list(BENCHMARKS):
        print(f"running {name} ...", file=sys.stderr)
        result = BENCHMARKS[name]()
        record(result)
        print(f"{result.name}: {result.metric} = {result.value:.3g} (target {result.target})"
              f" {'met' if result.passed else 'NOT MET'}")  # fmt: skip
        if not result.passed:
            failed.append(name)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
