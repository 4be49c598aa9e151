"""The daily tracker: one reporting day's figure of every `grain: day` measure against the same
weekday last year, the 28 days before it and its own daily SPC chart.

One backend scan per record table, grouped by day (Ibis: the same on DuckDB and Spark), covers
the 365 days ending on the reporting day D: D - 364 (the same weekday a year before) to D. A day
is dated as the monthly engine dates its records (the same column and clock), so the days of a
month add up to its monthly figure.

Coverage is held by the month: a day of a month the store has not received for the measure's
tables is not available, with the reason, never zero; a day of a received month with no record
is 0.

Comparisons (docs/methods.md says why):
- same weekday last year (D - 364): counts by the exact Poisson test of two counts (given
  a + b, a is binomial(a + b, 1/2) under no change); proportions by the pooled two-proportion z
  test;
- the 28 days before D (D - 28 .. D - 1, every one available): their mean (a proportion's is
  pooled: its successes over its cases) and D's difference from it;
- SPC: the XmR chart of the unbroken run of available days ending on D, with the monthly
  engine's rules and settings (rebase and limit periods are months, so they do not apply).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from scipy import stats

from policeperf.engine import spc as spc_mod
from policeperf.engine.aggregate import (
    LOCAL_TIME_TABLES,
    MONTH_COLUMN,
    Scope,
    base_table,
    filter_expr,
    measure_columns,
    uk_local,
)
from policeperf.engine.availability import NO_DATA, NOT_CONFIGURED, OK, TABLE_LABELS
from policeperf.engine.cube import Queries, received_months
from policeperf.engine.export import neutralise
from policeperf.engine.nonshared import two_proportions
from policeperf.engine.verdict import INSUFFICIENT, Direction, words
from policeperf.errors import PolicePerfError
from policeperf.framework.kinds import kind, unit
from policeperf.framework.models import Filters, Framework, Measure
from policeperf.outfile import replacing, write_text

LAST_YEAR_DAYS = 364
"""52 weeks: the same weekday a year before."""
MEAN_DAYS = 28
SERIES_DAYS = LAST_YEAR_DAYS + 1
"""Days scanned and charted, D - 364 .. D."""
POISSON_METHOD = "exact_poisson_two_counts"
PROPORTION_METHOD = "two_proportion_z"

COLUMNS = [
    "measure_id", "measure", "kind", "unit", "table", "day", "weekday", "status", "reason",
    "value", "numerator", "denominator",
    "last_year_day", "last_year_value", "last_year_numerator", "last_year_denominator",
    "change", "change_unit", "verdict", "method", "p_value",
    "mean_28d", "vs_mean_28d", "vs_mean_28d_pct", "position_28d",
    "spc_class", "spc_rule", "spc_mean", "spc_lower", "spc_upper", "spc_days", "notes",
]  # fmt: skip
"""The tracker's columns (docs/methods.md, "The daily tracker", gives their meaning)."""

DAY = "__day"
ROWS = "__rows"


def day_column(t: ir.Table, table: str) -> ir.DateValue:
    """The day each record is dated by: the column and clock its month is taken from."""
    when = t[MONTH_COLUMN[table]]
    if table in LOCAL_TIME_TABLES:
        when = uk_local(when)
    return when.cast("date")


def _held(column: str) -> str:
    return f"__held_{column}"


def table_scan(
    backend: Any, table: str, measures: Sequence[Measure], force: str, first: date, last: date
) -> pd.DataFrame:
    """One scan of `table`: per day from `first` to `last` with any record, the records, each
    measure's numerator (and denominator) and the records holding a value in each column a
    measure reads."""
    t = base_table(backend, table, Scope(force=force, last_month=date(last.year, last.month, 1)))
    t = t.mutate(**{DAY: day_column(t, table)})
    t = t.filter((t[DAY] >= ibis.literal(first)) & (t[DAY] <= ibis.literal(last)))

    def where(filters: Filters) -> ir.BooleanValue | None:
        return filter_expr(t, filters)

    aggs: dict[str, ir.Value] = {ROWS: t.count()}
    for m in measures:
        aggs.update(kind(m.kind).aggregates(t, m, where))
        for column in measure_columns(m):
            aggs[_held(column)] = t[column].count()
    frame = t.group_by(DAY).aggregate(**aggs).to_pandas()
    frame[DAY] = [pd.Timestamp(d).date() for d in frame[DAY]]
    return frame.set_index(DAY)


@dataclass(frozen=True)
class Series:
    """One measure's days D - 364 .. D: numerators, denominators (NaN where none) and which
    days are available, with the reason for each that is not."""

    days: list[date]
    num: np.ndarray[Any, np.dtype[np.float64]]
    den: np.ndarray[Any, np.dtype[np.float64]]
    missing: dict[int, str]

    def value(self, i: int, proportion: bool) -> float | None:
        if i in self.missing:
            return None
        if not proportion:
            return float(self.num[i])
        return 100.0 * float(self.num[i]) / float(self.den[i]) if self.den[i] > 0 else None


def _month_label(day: date) -> str:
    return f"{day:%B %Y}"


def measure_series(
    m: Measure,
    frame: pd.DataFrame,
    days: list[date],
    received: dict[str, set[date]] | None,
    unsupported: str | None,
) -> Series:
    """The measure's daily figures from its table's scan; a day of a month not received for
    one of the tables the figure needs is missing (never 0)."""
    num = np.zeros(len(days))
    den = np.zeros(len(days))
    missing: dict[int, str] = {}
    k = kind(m.kind)
    needed = k.tables_needed(m)
    seen = {date(d.year, d.month, 1) for d in frame.index[frame[ROWS] > 0]}
    for i, d in enumerate(days):
        month = date(d.year, d.month, 1)
        if unsupported is not None:
            missing[i] = unsupported
            continue
        lacking = [t for t in needed if month not in (received.get(t, set()) if received else seen)]
        if lacking:
            tables = " and ".join(TABLE_LABELS.get(t, t) for t in lacking)
            missing[i] = f"no {tables} data received for {_month_label(d)}"
            continue
        if d in frame.index:
            num[i] = float(frame.at[d, f"{m.id}__num"])
            if k.has_denominator:
                den[i] = float(frame.at[d, f"{m.id}__den"])
        if k.has_denominator and den[i] == 0:
            missing[i] = "no records on this day to take a share of"
    return Series(days, num, den, missing)


def _not_configured(m: Measure, frame: pd.DataFrame) -> str | None:
    """A measure reading a column none of the scanned records holds a value in cannot be
    counted (it would be 0 for want of data)."""
    rows = int(frame[ROWS].sum())
    if rows == 0:
        return None
    for column in measure_columns(m):
        if int(frame[_held(column)].sum()) == 0:
            label = TABLE_LABELS.get(m.table, m.table)
            return (
                f"none of the {rows:,} {label} records of these days has a value for "
                f"'{column}', which this measure needs"
            )
    return None


def _last_year(m: Measure, s: Series, today: int, before: int, confidence: float) -> dict[str, Any]:
    proportion = kind(m.kind).has_denominator
    out: dict[str, Any] = {
        "last_year_value": s.value(before, proportion),
        "last_year_numerator": None if before in s.missing else float(s.num[before]),
        "last_year_denominator": (
            float(s.den[before]) if proportion and before not in s.missing else None
        ),
        "change": None, "change_unit": "ppt" if proportion else "%", "verdict": None,
        "method": PROPORTION_METHOD if proportion else POISSON_METHOD, "p_value": None,
    }  # fmt: skip
    now, then = s.value(today, proportion), out["last_year_value"]
    if now is None or then is None:
        return out
    a, b = float(s.num[today]), float(s.num[before])
    if proportion:
        out["change"] = now - then
        test = two_proportions(a, float(s.den[today]), b, float(s.den[before]),
                               confidence=confidence)  # fmt: skip
        p, up = float(test.p_value[0]), now > then
    else:
        out["change"] = 100.0 * (a - b) / b if b > 0 else None
        p = float(stats.binomtest(int(a), int(a + b), 0.5).pvalue) if a + b > 0 else 1.0
        up = a > b
    out["p_value"] = p
    direction: Direction = ("up" if up else "down") if p < 1 - confidence else "none"
    out["verdict"] = words(direction, m.polarity, rate=proportion)
    return out


def _mean_28(m: Measure, s: Series, today: int) -> tuple[dict[str, Any], str | None]:
    proportion = kind(m.kind).has_denominator
    out: dict[str, Any] = dict.fromkeys(("mean_28d", "vs_mean_28d", "vs_mean_28d_pct",
                                         "position_28d"))  # fmt: skip
    window = range(today - MEAN_DAYS, today)
    gaps = [i for i in window if i in s.missing]
    if gaps:
        first = s.days[gaps[0]]
        return (
            out,
            f"28-day mean: {len(gaps)} of the 28 days not available ({s.missing[gaps[0]]}, from {first:%d %b %Y})",
        )
    idx = list(window)
    if proportion:
        cases = float(s.den[idx].sum())
        mean = 100.0 * float(s.num[idx].sum()) / cases
    else:
        mean = float(s.num[idx].mean())
    out["mean_28d"] = mean
    now = s.value(today, proportion)
    if now is None:
        return out, None
    out["vs_mean_28d"] = now - mean
    out["vs_mean_28d_pct"] = 100.0 * (now - mean) / mean if mean > 0 else None
    out["position_28d"] = "above" if now > mean else "below" if now < mean else "level"
    return out, None


def _spc(m: Measure, s: Series, today: int, framework: Framework) -> dict[str, Any]:
    proportion = kind(m.kind).has_denominator
    out: dict[str, Any] = dict.fromkeys(("spc_class", "spc_rule", "spc_mean", "spc_lower",
                                         "spc_upper", "spc_days"))  # fmt: skip
    if today in s.missing:
        return out
    start = today
    while start - 1 >= 0 and start - 1 not in s.missing:
        start -= 1
    values = [s.value(i, proportion) for i in range(start, today + 1)]
    if len(values) < 2:
        return out
    settings = framework.settings.spc
    options = spc_mod.SpcOptions(
        fix_after=settings.fix_after_points, shift_points=settings.shift_points,
        trend_points=settings.trend_points, screen_outliers=settings.screen_outliers,
        bounds=(0.0, unit(m.unit).upper),
    )  # fmt: skip
    result = spc_mod.evaluate_spc(np.array(values, dtype=float),
                                  improvement=spc_mod.IMPROVEMENT_OF_POLARITY[m.polarity],
                                  options=options)  # fmt: skip
    limits = result.limits(len(values) - 1)
    out.update(spc_class=result.types[-1], spc_rule=result.rules[-1] or None,
               spc_days=len(values))  # fmt: skip
    if limits is not None:
        out.update(spc_mean=limits.mean, spc_lower=_finite(limits.lower),
                   spc_upper=_finite(limits.upper))  # fmt: skip
    return out


def _finite(x: float) -> float | None:
    return None if math.isnan(x) else x


def daily_measures(framework: Framework) -> list[Measure]:
    return [m for *_, m in framework.measures() if m.grain == "day"]


def tracker(
    backend: Any, framework: Framework, day: date, *, force: str | None = None
) -> pd.DataFrame:
    """The daily tracker of `framework`'s `grain: day` measures for `day` (one row each)."""
    measures = daily_measures(framework)
    if not measures:
        raise PolicePerfError(
            f"framework {framework.name!r} has no daily measures; give a count or proportion "
            "measure `grain: day`"
        )
    chosen = force or framework.force
    if not chosen:
        raise PolicePerfError(
            f"framework {framework.name!r} names no force; choose one with --force"
        )
    first = day - timedelta(days=LAST_YEAR_DAYS)
    days = [first + timedelta(days=i) for i in range(SERIES_DAYS)]
    received = received_months(Queries(backend), chosen)
    by_table: dict[str, list[Measure]] = {}
    for m in measures:
        by_table.setdefault(m.table, []).append(m)
    scans = {t: table_scan(backend, t, ms, chosen, first, day) for t, ms in by_table.items()}
    today, before = SERIES_DAYS - 1, 0
    rows = []
    for m in measures:
        frame = scans[m.table]
        s = measure_series(m, frame, days, received, _not_configured(m, frame))
        proportion = kind(m.kind).has_denominator
        status = OK
        reason = s.missing.get(today)
        if reason is not None:
            status = NOT_CONFIGURED if reason == _not_configured(m, frame) else NO_DATA
        notes = []
        if before in s.missing and today not in s.missing:
            notes.append(f"same weekday last year: {s.missing[before]}")
        mean, why = _mean_28(m, s, today)
        if why is not None and today not in s.missing:
            notes.append(why)
        row: dict[str, Any] = {
            "measure_id": m.id, "measure": m.name, "kind": m.kind, "unit": m.unit,
            "table": m.table, "day": day, "weekday": f"{day:%A}", "status": status,
            "reason": reason, "value": s.value(today, proportion),
            "numerator": None if today in s.missing else float(s.num[today]),
            "denominator": float(s.den[today]) if proportion and today not in s.missing else None,
            "last_year_day": days[before],
        }  # fmt: skip
        row |= _last_year(m, s, today, before, framework.settings.confidence)
        if row["verdict"] is None and reason is None:
            row["verdict"] = INSUFFICIENT
        row |= mean | _spc(m, s, today, framework)
        row["notes"] = "; ".join(notes) or None
        rows.append(row)
    out = pd.DataFrame(rows, columns=COLUMNS)
    out.attrs.update(framework=framework.name, force=chosen, day=day.isoformat())
    return out


def write_tracker(frame: pd.DataFrame, path: Path) -> None:
    """The tracker as CSV or XLSX; text that a spreadsheet would run as a formula is written
    inert (CSV: a leading quote; XLSX: string cells, never formulas)."""
    if path.suffix.lower() == ".csv":
        safe = frame.copy()
        for column in safe.columns:
            if not pd.api.types.is_numeric_dtype(safe[column]):
                safe[column] = safe[column].astype(object).map(neutralise)
        write_text(path, safe.to_csv(index=False), overwrite=True)
        return
    if path.suffix.lower() != ".xlsx":
        raise PolicePerfError(f"--out: got {path.name!r}; expected a .csv or .xlsx file")
    import xlsxwriter

    with replacing(path, overwrite=True) as tmp:
        book = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False,
                                              "strings_to_urls": False})  # fmt: skip
        sheet = book.add_worksheet("Daily tracker")
        for j, column in enumerate(frame.columns):
            sheet.write_string(0, j, column)
        for i, record in enumerate(frame.itertuples(index=False), start=1):
            for j, value in enumerate(record):
                if value is None or (isinstance(value, float) and math.isnan(value)):
                    continue
                if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
                    value, bool
                ):
                    sheet.write_number(i, j, float(value))
                else:
                    sheet.write_string(i, j, str(value))
        book.close()
