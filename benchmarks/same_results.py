"""Check that a change to the engine leaves the results table as it was.

A faster engine must give the same table: every row, every column, every month. This writes the
full results table (all months) of one evaluation to a pickle with a fixed `as_at`, so two source
trees can be compared:

    PYTHONPATH=OLD/src python -m benchmarks.same_results write STORE FRAMEWORK MONTH old.pkl
    PYTHONPATH=NEW/src python -m benchmarks.same_results write STORE FRAMEWORK MONTH new.pkl
    python -m benchmarks.same_results compare old.pkl new.pkl

`compare` exits 1 and names the first difference when the tables differ (columns, values or
dtypes); floats must be equal to the last bit. Rows are compared in the order of their keys
(measure, area level, area, month) and column by column by name: before the engine sorted them,
the backend returned median groups in no fixed order, and columns came in the order rows first
gave them. `--reporting-only` compares only the reporting month of the old table (the table of
`evaluate` without `--all-months`) with a new table written with `--reporting-only`; there a
column's dtype is not compared, as pandas infers it from the rows held (a column of the month
whose cells are all empty is `object` holding None, in the table of every month perhaps `str`
holding NaN), so cells are compared as Python objects with None for missing.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

import pandas as pd

AS_AT = datetime(2026, 1, 1, tzinfo=UTC)


KEYS = ["measure_id", "area_level", "area", "month"]


def write(
    store: str, framework: str, month: str, out: str, force: str | None, reporting_only: bool
) -> None:
    from policeperf.calendar import parse_month
    from policeperf.engine import evaluate
    from policeperf.store.database import Store

    months = [parse_month(month)] if reporting_only else None
    with Store(store, read_only=True) as db:
        results = evaluate(db, framework, month, force=force, as_at=AS_AT, row_months=months)
    results.to_pickle(out)
    print(f"{out}: {len(results):,} rows x {len(results.columns)} columns")


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(KEYS, kind="stable").reset_index(drop=True)


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell as a Python object, every missing one None."""
    out = frame.astype(object).where(frame.notna(), None)
    out.attrs = frame.attrs
    return out


def compare(old_path: str, new_path: str, reporting_only: bool = False) -> int:
    old, new = pd.read_pickle(old_path), pd.read_pickle(new_path)
    if reporting_only:
        month = pd.Timestamp(old.attrs["month"]).date()
        kept = old[old["month"] == month]
        old = kept.drop(
            columns=[c for c in kept.columns if c not in new.columns and kept[c].isna().all()]
        )
        old.attrs = kept.attrs
        old, new = _plain(old), _plain(new)
    if set(old.columns) != set(new.columns):
        print(f"columns differ: only old {sorted(set(old.columns) - set(new.columns))}, "
              f"only new {sorted(set(new.columns) - set(old.columns))}, or their order")  # fmt: skip
        return 1
    try:
        pd.testing.assert_frame_equal(
            _sorted(old),
            _sorted(new[list(old.columns)]),
            check_exact=True,
            check_dtype=not reporting_only,
        )
    except AssertionError as exc:
        print(f"tables differ: {str(exc).splitlines()[0:6]}")
        return 1
    if old.attrs != new.attrs:
        print(f"attributes differ: {old.attrs} != {new.attrs}")
        return 1
    print(f"identical: {len(old):,} rows x {len(old.columns)} columns")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("write")
    w.add_argument("store")
    w.add_argument("framework")
    w.add_argument("month")
    w.add_argument("out")
    w.add_argument("--force")
    w.add_argument("--reporting-only", action="store_true", help="rows of the month only")
    c = sub.add_parser("compare")
    c.add_argument("old")
    c.add_argument("new")
    c.add_argument("--reporting-only", action="store_true", help="old: its reporting month")
    args = parser.parse_args(argv)
    if args.command == "write":
        write(args.store, args.framework, args.month, args.out, args.force, args.reporting_only)
        return 0
    return compare(args.old, args.new, args.reporting_only)


if __name__ == "__main__":
    sys.exit(main())
