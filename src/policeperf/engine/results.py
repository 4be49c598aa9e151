"""The results table: measure x area x month with every figure, verdict and fact a report needs.

It is the single source of truth for every output: narrative, report and dashboard only read it.
Percentages are in percent (14.3), changes in percent (-39.7) and percentage points (3.0).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from policeperf.calendar import fy_label, fy_start_year, month_index, month_range
from policeperf.engine import availability as A
from policeperf.engine import followup as F
from policeperf.engine import nonshared as NS
from policeperf.engine import schema
from policeperf.engine import series as S
from policeperf.engine import spc as spc_mod
from policeperf.engine import verdict as V
from policeperf.engine.aggregate import is_cohort
from policeperf.engine.cube import LAG_COLUMNS, Cube
from policeperf.framework.kinds import kind, unit
from policeperf.framework.kinds.base import RECORDS_BASIS
from policeperf.framework.models import Framework, Measure

VERDICT_MONTHS = 24
"""Verdicts, records and trends are computed for the latest 24 months of each series."""


@dataclass(frozen=True)
class Context:
    framework: Framework
    month: date
    populations: Mapping[tuple[str, str], float]
    """(level, area) -> residents."""
    as_at: str
    store_state: str
    coverage: Mapping[str, set[date]] | None = None
    """Record table -> months received for the force; None when the backend records none."""
    geographies: tuple[tuple[str, str], ...] = ()
    """(level, area) pairs every measure reports, whether or not they have records."""
    unsupported: Mapping[str, str] = field(default_factory=dict)
    """Measure id -> why the data held cannot count it at all (status not_configured)."""
    unknown_geographies: Mapping[tuple[str, str], str] = field(default_factory=dict)
    """(level, area) of the force profile that the data does not know -> why (not_configured)."""
    row_months: Mapping[str, frozenset[date]] | None = None
    """Area level -> the months given rows; a level not named has none (None: every month of
    each series, every level). Series, rolling figures, SPC and trends still use every month,
    so a row is the same whichever months are asked for."""

    def wants(self, month: date, level: str = "force") -> bool:
        """Whether the table has a row for `month` at area `level`."""
        return self.row_months is None or month in self.row_months.get(level, ())


def default_method(m: Measure) -> str:
    """The measure's verdict method: the one it names, else its kind's default."""
    if m.benchmark != "auto":
        return V.LEGACY_METHODS.get(m.benchmark, m.benchmark)
    return kind(m.kind).default_method(m)


def _none(x: float | None) -> float | None:
    return None if x is None or (isinstance(x, float) and np.isnan(x)) else float(x)


def evaluate_cube(cube: Cube, ctx: Context) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    lookback = ctx.framework.settings.outcome_lookback_months
    additive = _AdditiveSeries(cube.additive)
    for pillar, priority, focus, m in ctx.framework.measures():
        meta = {
            "framework": ctx.framework.name, "framework_version": ctx.framework.version,
            "force": ctx.framework.force, "pillar": pillar.name, "pillar_id": pillar.id,
            "priority": priority.name, "focus_area": focus.name, "focus_area_id": focus.id,
            "measure_id": m.id, "measure": m.name, "kind": m.kind, "unit": m.unit,
            "polarity": m.polarity, "target": m.target, "as_at": ctx.as_at, "store_state": ctx.store_state,
        }  # fmt: skip
        if m.id in ctx.unsupported:
            rows.append(_unavailable_row(m, ctx, meta, A.NOT_CONFIGURED, ctx.unsupported[m.id]))
            continue
        months = _series_months(m, cube, ctx)
        if not months:
            rows.append(_unavailable_row(m, ctx, meta))
            continue
        avail = A.Availability.build(
            m, months, ctx.coverage, lookback=lookback, framework=ctx.framework
        )
        frames: dict[tuple[str, str], Any]
        if kind(m.kind).computation == "windowed":
            groups = cube.medians[cube.medians["measure_id"] == m.id]
            build: Any = _median_rows
            frames = {
                (str(lv), str(ar)): f
                for (lv, ar), f in groups.groupby(["level", "area"], sort=False)
            }
            empty: Any = groups.iloc[0:0]
        else:
            columns = additive.columns()
            build = _additive_rows
            frames = {key: columns.take(index) for key, index in additive.series(m.id)}
            empty = columns.take(np.zeros(0, dtype=np.intp))
        for key in ctx.geographies:
            frames.setdefault(key, empty)
        for (level, area), frame in frames.items():
            built = build(m, ctx, months, level, area, frame, meta, avail)
            why = ctx.unknown_geographies.get((level, area))
            if why is not None:  # not a figure: the profile names what the data does not know
                built = [_not_configured(r, meta, why) for r in built]
            rows.extend(built)
    results = pd.DataFrame(rows)
    missing = [c for c in ALWAYS_PRESENT if c not in results.columns]
    results = results.assign(**dict.fromkeys(missing)) if missing else results
    results = adjust_for_multiple_testing(results, ctx.framework.settings.multiple_testing)
    return results[_column_order(results.columns)]


COLUMN_ORDER = schema.names("results")
"""The order of the results table's columns, whichever rows it holds; a column not named here
follows them in the order rows first give it."""


def _column_order(columns: pd.Index) -> list[str]:
    """`columns` in `COLUMN_ORDER`: the table of one month has its columns in the same order as
    the table of every month, rather than in the order its first row happens to give them."""
    present = set(columns)
    return [c for c in COLUMN_ORDER if c in present] + [c for c in columns if c not in COLUMN_ORDER]


ALWAYS_PRESENT = (
    "status",
    "reason",
    "verdict",
    "method",
    "verdict_direction",
    "statistic",
    "p_value",
    "ci_low",
    "ci_high",
    "verdict_note",
    "confidence",
    "month_verdict",
    "month_method",
    "dispersion",
    "adjustment",
    "p_adjusted",
    "spc_class",
    "spc_rule",
    "spc_restarted",
)
"""Columns every results table has, even when no row of it could be given a verdict."""


def _series_months(m: Measure, cube: Cube, ctx: Context) -> list[date]:
    """The months of a measure's series: from the first month its main table was received (or
    held records) to the reporting month. Months in between without data stay in the series as
    gaps."""
    starts: list[date] = []
    if m.id in cube.months:
        starts.append(cube.months[m.id][0])
    if ctx.coverage is not None and ctx.coverage.get(m.table):
        starts.append(min(ctx.coverage[m.table]))
    if ctx.coverage is None and m.id in cube.months:
        end = min(cube.months[m.id][1], ctx.month)
    else:
        end = ctx.month
    if not starts or min(starts) > end:
        return []
    return month_range(min(starts), end)


def _not_configured(row: dict[str, Any], meta: dict[str, Any], why: str) -> dict[str, Any]:
    """A row kept for its measure, place and month only: every figure dropped, the reason given."""
    keep = (*meta, "area_level", "area", "month", "baseline_period", "fytd_label")
    return {**{k: row[k] for k in keep if k in row}, "status": A.NOT_CONFIGURED, "reason": why}


def _unavailable_row(
    m: Measure, ctx: Context, meta: dict[str, Any], status: str = A.NO_DATA, why: str = ""
) -> dict[str, Any]:
    """The one row of a measure the store cannot compute at all, saying why."""
    if not why:
        label = A.TABLE_LABELS.get(m.table, m.table)
        absent = [
            t
            for t in A.tables_needed(m, ctx.framework)
            if ctx.coverage is not None and not ctx.coverage.get(t)
        ]
        why = (
            "; ".join(f"no {A.TABLE_LABELS.get(t, t)} data in the store" for t in absent)
            if absent
            else f"no {label} records up to {ctx.month:%b %Y}"
        )
    return {
        **meta, "area_level": "force", "area": "all", "month": ctx.month, "value": None,
        "rolling_12m": None, "baseline": None, "status": status, "reason": why,
    }  # fmt: skip


class _Columns:
    """One series' additive rows as numpy arrays by column name: what `_additive_rows` reads,
    without a pandas frame (and its indexing) per series."""

    def __init__(self, arrays: Mapping[str, np.ndarray]) -> None:
        self.arrays = arrays

    def __contains__(self, column: object) -> bool:
        return column in self.arrays

    def __getitem__(self, column: str) -> np.ndarray:
        return self.arrays[column]

    def __len__(self) -> int:
        return len(self.arrays["period"])

    def take(self, index: np.ndarray) -> _Columns:
        return _Columns({c: a[index] for c, a in self.arrays.items()})


class _AdditiveSeries:
    """The cube's additive rows split once into series (measure, level, area), in the order each
    series first appears and with rows in their order, as a pandas group-by per measure gave
    them; rows with no level or area belong to none."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self._columns: _Columns | None = None
        self._series: dict[str, list[tuple[tuple[str, str], np.ndarray]]] | None = None

    def columns(self) -> _Columns:
        if self._columns is None:
            f = self.frame
            self._columns = _Columns(
                {c: f[c].to_numpy(dtype=object if c == "period" else float) for c in f.columns
                 if c not in ("measure_id", "level", "area")}
            )  # fmt: skip
        return self._columns

    def series(self, measure_id: str) -> list[tuple[tuple[str, str], np.ndarray]]:
        if self._series is None:
            f = self.frame
            found: dict[tuple[Any, Any, Any], list[int]] = {}
            keys = zip(
                f["measure_id"].tolist(), f["level"].tolist(), f["area"].tolist(), strict=True
            )
            for k, key in enumerate(keys):
                found.setdefault(key, []).append(k)
            split: dict[str, list[tuple[tuple[str, str], np.ndarray]]] = {}
            for (mid, level, area), rows in found.items():
                if pd.isna(level) or pd.isna(area) or pd.isna(mid):
                    continue
                index = np.array(rows, dtype=np.intp)
                split.setdefault(str(mid), []).append(((str(level), str(area)), index))
            self._series = split
        return self._series.get(measure_id, [])


def _series(
    m: Measure,
    ctx: Context,
    months: list[date],
    level: str,
    area: str,
    frame: _Columns,
    avail: A.Availability,
) -> S.MonthlySeries:
    """Monthly numerators (and denominators): a month with data and no records is 0, a month
    without data is NaN, so every sum that touches it is unavailable."""
    gap = ~avail.usable
    num = _by_month(frame, "num", months)
    num[gap] = np.nan
    k = kind(m.kind)
    if k.has_denominator:
        den: np.ndarray | None = _by_month(frame, "den", months)
        den[gap] = np.nan  # type: ignore[index]
        return S.MonthlySeries(months, num, den, scale=k.scale(m))
    if k.population_denominator:
        pop = ctx.populations.get((level, area))
        # Monthly rates are annualised (population / 12 per month); 12 months sum to the year's rate.
        den = np.full(len(months), pop / 12 if pop else np.nan)
        return S.MonthlySeries(months, num, den, scale=k.scale(m))
    return S.MonthlySeries(months, num, None)


def _by_month(frame: _Columns, column: str, months: list[date]) -> np.ndarray:
    """`column` of `frame` (one row per period) placed on `months`: 0 where a month has no row
    or a missing value, periods outside `months` left out. Positions by dictionary rather than
    a pandas reindex per series, which cost milliseconds each."""
    out = np.zeros(len(months))
    position = {month: k for k, month in enumerate(months)}
    at = np.fromiter(
        (position.get(p, -1) for p in frame["period"]), dtype=np.intp, count=len(frame)
    )
    values = np.asarray(frame[column], dtype=float)
    kept = (at >= 0) & ~np.isnan(values)
    out[at[kept]] = values[kept]
    return out


def _additive_rows(
    m: Measure,
    ctx: Context,
    months: list[date],
    level: str,
    area: str,
    frame: _Columns,
    meta: dict[str, Any],
    avail: A.Availability,
) -> list[dict[str, Any]]:
    s = _series(m, ctx, months, level, area, frame, avail)
    vals = S.values(s)
    no_population = kind(m.kind).population_denominator and not ctx.populations.get((level, area))
    den_arr = s.denominator
    r12_den = S.window_sums(den_arr, S.WINDOW) if den_arr is not None else [None] * len(months)
    lags = _cohort_lags(m, months, frame, avail)
    if lags is None:
        r12_num = S.window_sums(s.numerator, S.WINDOW)
    else:  # cohort rates: each window as it stood at its last month's end
        r12_num = [F.as_at_window(lags, i, S.WINDOW) for i in range(len(months))]
    r12 = [None if n is None else s.ratio(n, d) for n, d in zip(r12_num, r12_den, strict=True)]
    crimes = _crime_counts(m, months, frame, avail)
    rows = []
    rows_at = _row_positions(ctx, months, level)
    spc = _spc_runs(m, ctx, months, vals, rows_at)
    settings = ctx.framework.settings
    fixed = settings.fixed_baseline
    baseline_months, trends = _BaselineMonths(s), _Trends()
    for i in rows_at:
        month = months[i]
        b = S.baseline_year(month, fixed)
        status, reason = avail.window_status(i, S.WINDOW, date(b, 4, 1))
        if no_population and status in (A.OK, A.INCOMPLETE_WINDOW, A.INCOMPLETE_BASELINE):
            status = A.NO_POPULATION
            reason = f"no population for {'the force' if level == 'force' else area}; add it to the force profile"
        b_num = (
            S.fy_total(s, b, s.numerator)
            if lags is None
            else F.baseline_at_equal_follow_up(lags, months, b)
        )
        b_den = S.fy_total(s, b, den_arr) if den_arr is not None else None
        baseline = None if b_num is None else s.ratio(b_num, b_den)
        fy0 = fy_start_year(month)
        start = i - (month_index(month) - month_index(date(fy0, 4, 1)))
        # A year begun before the series has months without data: no year-to-date figure.
        fytd_num = float(s.numerator[start : i + 1].sum()) if start >= 0 else float("nan")
        if lags is not None and start >= 0:
            fytd_num = _nan(F.as_at_window(lags, i, i - start + 1))
        start = max(start, 0)
        fytd_den = float(den_arr[start : i + 1].sum()) if den_arr is not None else None
        row = _common(m, meta, level, area, month, i, vals, r12, baseline, fy_label(b))
        row.update(status=status, reason=reason)
        row.update(
            numerator=_none(float(s.numerator[i])), denominator=None if den_arr is None else _none(float(den_arr[i])),
            n=_none(float(den_arr[i])) if kind(m.kind).has_denominator and den_arr is not None else _none(float(s.numerator[i])),
            rolling_12m_numerator=r12_num[i], rolling_12m_denominator=_none(r12_den[i]),
            baseline_numerator=b_num, baseline_denominator=_none(b_den),
            fytd=s.ratio(fytd_num, fytd_den), fytd_label=fy_label(fy0),
        )  # fmt: skip
        if crimes is not None:
            row.update(crime_count=_none(float(crimes[i])), rolling_12m_crime_count=S.window_sum(crimes, i, S.WINDOW),
                       baseline_crime_count=S.fy_total(s, b, crimes))  # fmt: skip
        if i >= len(months) - VERDICT_MONTHS:
            if avail.usable[i]:
                row.update(_facts(vals, r12, months, i, ctx, avail, trends))
            if status == A.OK:
                row.update(_verdicts(m, ctx, s, vals, i, r12_num[i], r12_den[i], b, b_num, b_den,
                                     baseline_months))  # fmt: skip
        row.update(_spc_fields(spc[i], m))
        rows.append(row)
    return rows


def _cohort_lags(
    m: Measure, months: list[date], frame: _Columns, avail: A.Availability
) -> np.ndarray | None:
    """Cohort outcome rates: months x follow-up lags (see `followup`), NaN for a month without
    data. None for every other measure, and for a cube built without lags (its numerators are
    then taken as they are)."""
    if not is_cohort(m) or "lag0" not in frame:
        return None
    lags = np.column_stack([_by_month(frame, c, months) for c in LAG_COLUMNS])
    lags[~avail.usable] = np.nan
    return lags


def _nan(x: float | None) -> float:
    return float("nan") if x is None else x


def _crime_counts(
    m: Measure, months: list[date], frame: _Columns, avail: A.Availability
) -> np.ndarray | None:
    """Weighted sums (harm, sums of a value): the records behind each month's figure (what a
    public version suppresses by); like every figure, a month without data has none."""
    if kind(m.kind).basis != RECORDS_BASIS or "crimes" not in frame:
        return None
    counts = _by_month(frame, "crimes", months)
    counts[~avail.usable] = np.nan
    return counts


def _median_rows(
    m: Measure,
    ctx: Context,
    months: list[date],
    level: str,
    area: str,
    frame: pd.DataFrame,
    meta: dict[str, Any],
    avail: A.Availability,
) -> list[dict[str, Any]]:
    # Each window's (value, n) by key, in one pass over the frame's columns.
    found: dict[str, dict[int, tuple[float, float]]] = {"month": {}, "r12": {}, "fy": {}}
    columns = (frame[c].tolist() for c in ("window", "key", "value", "n"))
    for name, k, v, n in zip(*columns, strict=True):
        if name in found:
            found[name][int(k)] = (float(v), float(n))
    monthly, rolling, years = found["month"], found["r12"], found["fy"]
    vals: list[float | None] = [
        monthly.get(month_index(mo), (None, 0))[0] if avail.usable[i] else None
        for i, mo in enumerate(months)
    ]
    settings = ctx.framework.settings
    fixed = settings.fixed_baseline
    statuses = [
        avail.window_status(i, S.WINDOW, date(S.baseline_year(mo, fixed), 4, 1))
        for i, mo in enumerate(months)
    ]
    # The backend's rolling median stands only where all twelve months of the window have data.
    r12: list[float | None] = [
        rolling.get(month_index(mo), (None, 0))[0]
        if statuses[i][0] in (A.OK, A.INCOMPLETE_BASELINE)
        else None
        for i, mo in enumerate(months)
    ]
    rows_at = _row_positions(ctx, months, level)
    spc = _spc_runs(m, ctx, months, vals, rows_at)
    medians = np.array([np.nan if v is None else v for v in vals], dtype=float)
    rows = []
    trends = _Trends()
    for i in rows_at:
        month = months[i]
        b = S.baseline_year(month, fixed)
        status, reason = statuses[i]
        baseline_first = S.fy_offset(months, b)
        complete = baseline_first >= 0 and not avail.missing_in(
            range(baseline_first, baseline_first + 12)
        )
        baseline = years.get(b, (None, 0))[0] if complete else None
        row = _common(m, meta, level, area, month, i, vals, r12, baseline, fy_label(b))
        row.update(status=status, reason=reason)
        row.update(n=monthly.get(month_index(month), (None, 0.0))[1] if avail.usable[i] else None,
                   rolling_12m_n=rolling.get(month_index(month), (None, 0.0))[1] if r12[i] is not None else None,
                   baseline_n=years.get(b, (None, 0.0))[1] if baseline is not None else None,
                   rolling_12m_numerator=None, baseline_numerator=None, fytd=None, fytd_label=fy_label(fy_start_year(month)))  # fmt: skip
        if i >= len(months) - VERDICT_MONTHS:
            if avail.usable[i]:
                row.update(_facts(vals, r12, months, i, ctx, avail, trends))
            if status == A.OK:
                row.update(_median_verdicts(m, ctx, medians, vals[i], i, baseline_first))
        row.update(_spc_fields(spc[i], m))
        rows.append(row)
    return rows


def _median_verdicts(
    m: Measure, ctx: Context, medians: np.ndarray, current: float | None, i: int, b0: int
) -> dict[str, Any]:
    """Medians (the series' monthly medians, NaN where none): the headline test on the
    non-shared months, and the `current` month (position `i`) against the baseline year's
    monthly medians (from position `b0`)."""
    settings = ctx.framework.settings
    v = V.medians_vs_baseline(medians, i, b0, confidence=settings.confidence, polarity=m.polarity)
    out = _verdict_fields(v, ctx)
    base = medians[b0 : b0 + 12] if b0 >= 0 else medians[0:0]
    base_months = [float(x) for x in base] if len(base) == 12 and not np.isnan(base).any() else []
    out.update(_month_fields(V.month_vs_baseline_months(
        current, base_months, confidence=settings.confidence, polarity=m.polarity, rate=True,
    )))  # fmt: skip
    return out


def _common(
    m: Measure,
    meta: dict[str, Any],
    level: str,
    area: str,
    month: date,
    i: int,
    vals: list[float | None],
    r12: list[float | None],
    baseline: float | None,
    baseline_label: str,
) -> dict[str, Any]:
    value, current = vals[i], r12[i]
    change = None if current is None or baseline is None else current - baseline
    change_pct = None if change is None or not baseline else 100 * change / baseline
    smly = vals[i - 12] if i >= 12 else None
    prev = vals[i - 1] if i >= 1 else None
    # Charts draw counts' 12-month figures as monthly averages, on the scale of the months.
    per_month = unit(m.unit).per_month
    return {
        **meta, "area_level": level, "area": area, "month": month, "value": value,
        "rolling_12m": current, "baseline": baseline, "baseline_period": baseline_label,
        "rolling_12m_monthly": None if current is None else current / per_month,
        "baseline_monthly": None if baseline is None else baseline / per_month,
        "change": change, "change_pct": change_pct,
        "change_ppt": change if unit(m.unit).is_pct else None,
        "same_month_last_year": smly,
        "same_month_last_year_change_pct": None if smly in (None, 0) or value is None else 100 * (value / smly - 1),
        "previous_month": prev,
    }  # fmt: skip


class _BaselineMonths:
    """A series' baseline-year monthly values, worked out once per year rather than once per row
    (the current-month test compares with them)."""

    def __init__(self, s: S.MonthlySeries) -> None:
        self.series = s
        self.found: dict[int, list[float]] = {}

    def __call__(self, b: int) -> list[float]:
        if b not in self.found:
            self.found[b] = S.fy_months(self.series, b)
        return self.found[b]


def _verdicts(
    m: Measure,
    ctx: Context,
    s: S.MonthlySeries,
    vals: list[float | None],
    i: int,
    r12_num: float | None,
    r12_den: float | None,
    b: int,
    b_num: float | None,
    b_den: float | None,
    baseline_months: _BaselineMonths,
) -> dict[str, Any]:
    settings = ctx.framework.settings
    method = default_method(m)
    base_months = baseline_months(b)
    b0 = S.fy_offset(s.months, b)
    if method == V.COUNT_METHOD:
        verdict = V.count_vs_baseline(
            s.numerator, i, b0, confidence=settings.confidence, polarity=m.polarity
        )
    elif method == V.MONTH_METHOD:
        verdict = V.month_vs_baseline_months(
            vals[i],
            base_months,
            confidence=settings.confidence,
            polarity=m.polarity,
            rate=unit(m.unit).is_pct,
        )
    elif method == V.MEDIAN_METHOD:  # a monthly statistic (means, ratios): its months' values
        monthly = np.array([np.nan if v is None else v for v in vals], dtype=float)
        verdict = V.medians_vs_baseline(
            monthly, i, b0, confidence=settings.confidence, polarity=m.polarity
        )
    elif s.denominator is not None:
        verdict = V.proportion_vs_baseline(
            s.numerator,
            s.denominator,
            i,
            b0,
            confidence=settings.confidence,
            polarity=m.polarity,
            minimum_n=settings.minimum_n,
            method=method,
        )
    else:
        verdict = V.Verdict(V.INSUFFICIENT, method, "none", note="a proportion test needs cases")
    if kind(m.kind).population_denominator and r12_den and verdict.ci_low is not None:
        # The test is on the counts; its interval is shown in the rate's own unit.
        per = s.scale / r12_den
        verdict = replace(verdict, ci_low=per * verdict.ci_low, ci_high=per * verdict.ci_high)  # type: ignore[operator]
    out = _verdict_fields(verdict, ctx)
    out.update(_month_fields(V.month_vs_baseline_months(
        vals[i], base_months, confidence=settings.confidence, polarity=m.polarity, rate=unit(m.unit).is_pct,
    )))  # fmt: skip
    if kind(m.kind).binomial and r12_num is not None and r12_den:
        low, high = V.wilson_interval(min(r12_num, r12_den), r12_den, settings.confidence)
        out.update(rolling_12m_ci_low=100 * low, rolling_12m_ci_high=100 * high)
    return out


def _month_fields(v: V.Verdict) -> dict[str, Any]:
    """The current-month test's columns; `month_note` says why when it cannot be given."""
    return {
        "month_verdict": v.verdict, "month_method": v.method, "month_lower": v.ci_low,
        "month_upper": v.ci_high, "month_note": v.note or None,
    }  # fmt: skip


def _verdict_fields(v: V.Verdict, ctx: Context) -> dict[str, Any]:
    return {
        "verdict": v.verdict, "method": v.method, "verdict_direction": v.direction,
        "statistic": v.statistic, "p_value": v.p_value, "ci_low": v.ci_low, "ci_high": v.ci_high,
        "verdict_note": v.note, "confidence": ctx.framework.settings.confidence,
        "dispersion": v.dispersion,
    }  # fmt: skip


def adjust_for_multiple_testing(results: pd.DataFrame, adjustment: str) -> pd.DataFrame:
    """Each month's verdicts as one family: `adjustment` names what was done and `p_adjusted`
    is the p-value the verdict is judged by (the p-value itself when `none`). With
    Benjamini-Hochberg (1995) a verdict stands only where its adjusted p-value is below
    1 - confidence, which keeps the expected share of chance differences among those shown
    at that level; intervals stay unadjusted."""
    if results.empty or "p_value" not in results:
        return results
    p = pd.to_numeric(results["p_value"], errors="coerce").to_numpy(dtype=float)
    tested = np.isfinite(p)
    adjusted = p.copy()
    if adjustment == "benjamini_hochberg":
        for _, index in results.groupby("month", sort=False).indices.items():
            adjusted[index] = NS.benjamini_hochberg(p[index])
    out = results.assign(
        adjustment=[adjustment if t else None for t in tested],
        p_adjusted=np.where(tested, adjusted, np.nan),
    )
    if adjustment == "none":
        return out
    alpha = 1 - pd.to_numeric(out["confidence"], errors="coerce").to_numpy(dtype=float)
    dropped = tested & ~(adjusted < alpha) & (out["verdict_direction"] != "none").to_numpy()
    if dropped.any():
        out.loc[dropped, "verdict"] = V.COMPARABLE
        out.loc[dropped, "verdict_direction"] = "none"
        out.loc[dropped, "verdict_note"] = (
            out.loc[dropped, "verdict_note"].fillna("").astype(str)
            + "; not significant after Benjamini-Hochberg adjustment"
        ).str.lstrip("; ")
    return out


class _Trends:
    """Mann-Kendall over a slice of one series' monthly values, each slice tested once: a row's
    previous trend is the trend of the row before it."""

    def __init__(self) -> None:
        self.found: dict[tuple[int, int], tuple[str, float | None]] = {}

    def __call__(self, vals: list[float | None], lo: int, hi: int) -> tuple[str, float | None]:
        if (lo, hi) not in self.found:
            self.found[lo, hi] = S.mann_kendall([v for v in vals[lo:hi] if v is not None])
        return self.found[lo, hi]


def _facts(
    vals: list[float | None],
    r12: list[float | None],
    months: list[date],
    i: int,
    ctx: Context,
    avail: A.Availability,
    trends: _Trends,
) -> dict[str, Any]:
    """Records and trends, within the unbroken run of months with data that ends at `i`: across a
    gap nothing is known, so "highest since" and trends never reach over one."""
    start = avail.run_start(i)
    rec = S.records_at(vals[start : i + 1], months[start : i + 1], i - start)
    whole = start == 0
    alpha = 1 - ctx.framework.settings.confidence
    direction, p = trends(vals, max(start, i - S.TREND_MONTHS + 1), i + 1)
    significant = p is not None and p < alpha
    prev_dir, prev_p = trends(vals, max(start, i - S.TREND_MONTHS), i)
    prev_significant = prev_p is not None and prev_p < alpha
    return {
        "record_high_since": rec.highest_since, "record_low_since": rec.lowest_since,
        "highest_on_record": whole and rec.highest_on_record, "lowest_on_record": whole and rec.lowest_on_record,
        "twelve_month_high": rec.twelve_month_high, "twelve_month_low": rec.twelve_month_low,
        "rolling_direction_3m": S.direction_3m(r12, i),
        "trend_direction": direction if significant else "none", "trend_p": p,
        "trend_halted": prev_significant and not significant, "previous_trend_direction": prev_dir if prev_significant else "none",
        "data_start": months[start],
    }  # fmt: skip


def _row_positions(ctx: Context, months: list[date], level: str) -> list[int]:
    """The positions in `months` of the months given rows at area `level`, in order."""
    if ctx.row_months is None:
        return list(range(len(months)))
    wanted = ctx.row_months.get(level, frozenset())
    return [i for i, month in enumerate(months) if month in wanted]


def _spc_runs(
    m: Measure,
    ctx: Context,
    months: list[date],
    vals: list[float | None],
    rows_at: list[int],
) -> list[tuple[spc_mod.SpcResult, int, date | None] | None]:
    """SPC per unbroken run of months with data (its rules need no gaps): for each month, the
    run's result, the month's position in it, and the month the run restarted after a gap.
    A run holding none of the positions given rows (`rows_at`) is not charted: nothing reads it."""
    given = set(rows_at)
    out: list[tuple[spc_mod.SpcResult, int, date | None] | None] = [None] * len(months)
    i = 0
    while i < len(months):
        if vals[i] is None:
            i += 1
            continue
        j = i
        while j + 1 < len(months) and vals[j + 1] is not None:
            j += 1
        wanted = any(k in given for k in range(i, j + 1))
        result = _spc(m, ctx, months[i : j + 1], vals[i : j + 1]) if wanted else None
        if result is not None:
            restarted = months[i] if i > 0 else None
            for k in range(i, j + 1):
                out[k] = (result, k - i, restarted)
        i = j + 1
    return out


def _spc(
    m: Measure, ctx: Context, months: list[date], vals: list[float | None]
) -> spc_mod.SpcResult | None:
    """The run's chart as NHSRplotthedots draws it, inside each rebase group; its limits are
    clipped to what the measure can take (no count below 0, no percentage beyond 0-100)."""
    if any(v is None for v in vals) or len(vals) < 2:
        return None
    settings = ctx.framework.settings.spc
    position = {month: k for k, month in enumerate(months)}
    rebase = [
        position[date(int(r[:4]), int(r[5:7]), 1)]
        for r in settings.rebase
        if date(int(r[:4]), int(r[5:7]), 1) in position
    ]
    options = spc_mod.SpcOptions(
        fix_after=settings.fix_after_points, shift_points=settings.shift_points,
        trend_points=settings.trend_points, screen_outliers=settings.screen_outliers,
        bounds=(0.0, unit(m.unit).upper),
    )  # fmt: skip
    period = settings.limits_period
    limits_from = None
    if period is not None:
        first, last = (date(int(p[:4]), int(p[5:7]), 1) for p in period)
        limits_from = np.array([first <= month <= last for month in months])
    return spc_mod.evaluate_spc(
        np.array(vals, dtype=float), improvement=spc_mod.IMPROVEMENT_OF_POLARITY[m.polarity],
        rebase_at=rebase, options=options, limits_from=limits_from,
    )  # fmt: skip


def _spc_fields(
    found: tuple[spc_mod.SpcResult, int, date | None] | None, m: Measure
) -> dict[str, Any]:
    """A month's SPC columns; a month outside any run, or whose rebase group has no mean, has
    no SPC class."""
    if found is None:
        return {"spc_class": None, "spc_rule": None}
    spc, i, restarted = found
    lim = spc.limits(i)
    if lim is None:
        return {"spc_class": None, "spc_rule": None}
    improvement = spc_mod.IMPROVEMENT_OF_POLARITY[m.polarity]
    return {
        "spc_mean": lim.mean, "spc_lower": _none(lim.lower), "spc_upper": _none(lim.upper),
        "spc_lower_near": _none(lim.lower_near), "spc_upper_near": _none(lim.upper_near),
        "spc_locked": lim.locked, "spc_rule": spc.rules[i] or None, "spc_side": spc.sides[i] or None,
        "spc_class": spc.types[i], "spc_assurance": spc_mod.assurance(lim, m.target, improvement),
        "spc_restarted": restarted,
    }  # fmt: skip
