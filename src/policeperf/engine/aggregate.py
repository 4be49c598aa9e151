"""Backend aggregation: records -> monthly figures per measure and district, inside the backend.

Expressions are Ibis, so the same code runs on the embedded DuckDB store and on Spark. All
measures of one record table are computed in one scan by conditional aggregation
(`sum(...) FILTER (WHERE ...)`). Outcome rates use one scan of outcomes to find each crime's first
outcome in each outcome set; the period method then counts crimes by the month of that outcome,
the cohort method by the month the crime was recorded and, in the same scan, by how many months
after it the outcome came (the lag is one more grouping key: a triangle of crime month x lag,
folded by cumulative sums in `fold_follow_up`), so every past month's figure can be built from
the outcomes known at that month's end. Medians cannot be added up, so they are
computed for each area level and window (month, rolling 12 months, financial year) in the backend.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from policeperf.framework.kinds import kind
from policeperf.framework.kinds.base import both, count_where
from policeperf.framework.kinds.values import VALUES
from policeperf.framework.models import Filters, FilterValue, Measure

if TYPE_CHECKING:
    # Ibis is imported where expressions are built: an evaluation whose SQL is kept compiled
    # builds none and need not load it.
    import ibis
    import ibis.expr.types as ir

    from policeperf.reference import OutcomeSet
    from policeperf.reference.harm_weights import HarmWeights

MONTH_COLUMN = {
    "crimes": "recorded_date",
    "incidents": "created_at",
    "calls": "received_at",
    "survey_responses": "response_date",
    "asb_incidents": "month",
    "stop_searches": "searched_at",
    "investigations": "snapshot_date",
    "activities": "activity_date",
}
FOLLOW_UP_LAGS = 12
LAG_KEY = "__lag"
"""Cohort outcome rates count each crime month's outcomes within 0..11 months of follow-up: a
12-month window ending at month t has had k months for its crimes of month t-k, never more."""


def _isin(column: ir.Value, values: Iterable[FilterValue]) -> ir.BooleanValue:
    wanted = list(values)
    return column == wanted[0] if len(wanted) == 1 else column.isin(wanted)


def filter_columns(filters: Filters) -> list[str]:
    """The record columns a measure's filters read (markers included), each once."""
    return list(dict.fromkeys(column for _, column, _ in filters.by_column()))


def measure_columns(m: Measure) -> list[str]:
    """The record columns a measure needs values in: those its filters (all of them, a
    proportion's success filters too) read, and those its figure is taken from."""
    k = kind(m.kind)
    found = [c for f in k.filters(m) for c in filter_columns(f)] + list(k.value_columns(m))
    return list(dict.fromkeys(found))


HELD_ROWS = "__held_rows"


def held_column(column: str) -> str:
    """The aggregate counting a column's values (measure ids start with a letter: no clash)."""
    return f"__held_{column}"


def columns_held(
    backend: ibis.BaseBackend, table: str, scope: Scope, columns: Sequence[str]
) -> dict[str, int]:
    """How many of the force's records there are (`*`) and how many have a value in each column:
    one scan of the table."""
    return held_counts(held_expr(backend, table, scope, columns).to_pandas(), columns)


def held_expr(
    backend: ibis.BaseBackend, table: str, scope: Scope, columns: Sequence[str]
) -> ir.Table:
    """The one-row count behind `columns_held`."""
    t = base_table(backend, table, scope)
    return t.aggregate(__rows=t.count(), **{c: t[c].count() for c in columns})


def held_counts(counts: pd.DataFrame, columns: Sequence[str]) -> dict[str, int]:
    """`held_expr`'s row as `columns_held` gives it."""
    return {"*": int(counts["__rows"].iloc[0])} | {c: int(counts[c].iloc[0]) for c in columns}


def filter_expr(t: ir.Table, filters: Filters) -> ir.BooleanValue | None:
    """The measure's filters as one boolean expression over its table (None: every row)."""
    # A record with no value in a filtered column (an unknown flag included) is not counted:
    # data we do not have is neither true nor false.
    conds = [_isin(t[column], values) for _, column, values in filters.by_column()]
    out: ir.BooleanValue | None = None
    for cond in conds:
        out = both(out, cond.fill_null(False))
    return out


def in_set(outcomes: ir.Table, outcome_set: OutcomeSet) -> ir.BooleanValue:
    """An outcome is in a set when its type is, or, for a source label standing for several
    types, when every type it may stand for is."""
    types = sorted(outcome_set.types)
    exact = outcomes.outcome_type.isin(types).fill_null(False)
    candidates = outcomes.outcome_types
    all_in = (candidates.length() > 0) & (candidates.filter(lambda x: ~x.isin(types)).length() == 0)
    return exact | (outcomes.outcome_type.isnull() & all_in.fill_null(False))


def _month(column: ir.Value) -> ir.DateValue:
    return column.truncate("M").cast("date")


def _last_sunday(year: ir.IntegerValue, month: int) -> ir.DateValue:
    import ibis

    last = ibis.date(year, month, 31)
    return last - ((last.day_of_week.index() + 1) % 7).as_interval("D")


def uk_local(ts: ir.TimestampValue) -> ir.TimestampValue:
    """A UTC timestamp as UK local time (British Summer Time from 01:00 UTC on the last Sunday of
    March to 01:00 UTC on the last Sunday of October), written as Ibis so every backend agrees."""
    import ibis

    start = _last_sunday(ts.year(), 3).cast("timestamp") + ibis.interval(hours=1)
    end = _last_sunday(ts.year(), 10).cast("timestamp") + ibis.interval(hours=1)
    return ibis.ifelse((ts >= start) & (ts < end), ts + ibis.interval(hours=1), ts)


LOCAL_TIME_TABLES = ("stop_searches",)
"""Tables whose timestamps carry an offset at source and are counted by their UK local month, as
data.police.uk publishes them (a search at 23:51 UTC on 31 March 2024 is in April's file)."""


def with_area(t: ir.Table, areas: ir.Table) -> ir.Table:
    """Attach the policing area of each row's district (reference districts of the force)."""
    t = t.drop("area") if "area" in t.columns else t
    joined = t.left_join(areas, t.district == areas.district_ref)
    return joined.drop("district_ref")


@dataclass(frozen=True)
class Scope:
    """What every expression is restricted to."""

    force: str | None
    """None: every force in the backend (national scans)."""
    first_month: object | None = None
    last_month: object | None = None
    """Inclusive bounds on the record month (dates, first of month)."""


def base_table(backend: ibis.BaseBackend, table: str, scope: Scope) -> ir.Table:
    """The records of `table` in scope, with `period` (the record's month)."""
    t = backend.table(table)
    if table == "investigations":
        t = _with_crime(t, backend.table("crimes"))
    if scope.force is not None:
        t = t.filter(t.force == scope.force)
    when = t[MONTH_COLUMN[table]]
    t = t.mutate(period=_month(uk_local(when) if table in LOCAL_TIME_TABLES else when))
    if scope.last_month is not None:
        t = t.filter(t.period <= scope.last_month)
    return t


FROM_CRIME = ("force", "district", "offence_code", "offence_category", "offence_group",
              "offence_subgroup", "domestic_abuse", "hate", "sharp_instrument", "csa", "cse")  # fmt: skip
"""Investigation columns that, left empty, are those of the investigated crime."""


def _with_crime(investigations: ir.Table, crimes: ir.Table) -> ir.Table:
    """Investigation events with their crime's force, district, offence and markers wherever the
    event does not give its own (stores before schema 4 hold only the crime id and `compliant`).
    Events whose crime is not held and that name no force of their own are not counted."""
    held = [c for c in FROM_CRIME if c in investigations.columns]
    crime = crimes.select("crime_id", **{f"__crime_{c}": crimes[c] for c in FROM_CRIME})
    t = investigations.left_join(crime, investigations.crime_id == crime.crime_id)
    t = t.mutate(
        **{c: t[c].fill_null(t[f"__crime_{c}"]) if c in held else t[f"__crime_{c}"]
           for c in FROM_CRIME}
    )  # fmt: skip
    return t.drop("crime_id_right", *(f"__crime_{c}" for c in FROM_CRIME))


def first_outcomes(backend: ibis.BaseBackend, scope: Scope, sets: Sequence[OutcomeSet]) -> ir.Table:
    """Per crime, the date of its first outcome in each set (columns `first_<set>`)."""
    o = backend.table("outcomes")
    if scope.force is not None:
        o = o.filter(o.force == scope.force)
    if scope.last_month is not None:
        o = o.filter(_month(o.outcome_date) <= scope.last_month)
    return o.group_by("crime_id").aggregate(
        **{f"first_{s.name}": o.outcome_date.min(where=in_set(o, s)) for s in sets}
    )


GROUP_KEYS = ("period", "district")
"""Additive figures are aggregated by district; areas and the force are sums of districts."""


def additive_expr(
    t: ir.Table,
    measures: Sequence[Measure],
    first: ir.Table | None,
    keys: Sequence[str] = GROUP_KEYS,
    held: Sequence[str] = (),
) -> ir.Table:
    """One aggregation over `t` by `keys` (default period, district) with every additive
    measure's numerator and denominator as conditional sums; with `held`, also the rows and
    each held column's values (`HELD_ROWS`, `held_column(c)`), what `columns_held` counts,
    so the check for unsupported measures costs no scan of its own."""
    lag_set = triangle_set(measures) if first is not None else None
    if first is not None and lag_set is not None:
        # Only cohort rates read each crime's first outcome in this scan: period numerators are
        # counted by the outcome's month, in their own query, so without a cohort rate the join
        # (and the outcomes aggregation behind it) would be done for nothing.
        t = t.left_join(first, t.crime_id == first.crime_id).drop("crime_id_right")
        # The triangle: one more grouping key, each crime's follow-up lag in months (0..11,
        # 12 for later or never), so every count is split by it in the same scan.
        lag = _month_number(t[f"first_{lag_set}"]) - _month_number(t.period)
        t = t.mutate(**{LAG_KEY: lag.clip(lower=0, upper=FOLLOW_UP_LAGS).fill_null(FOLLOW_UP_LAGS)})
        keys = (*keys, LAG_KEY)
    aggs: dict[str, ir.Value] = {}
    if held:
        aggs[HELD_ROWS] = t.count()
        aggs |= {held_column(c): t[c].count() for c in held}

    def where(filters: Filters) -> ir.BooleanValue | None:
        return filter_expr(t, filters)

    for m in measures:
        aggs |= kind(m.kind).aggregates(t, m, where)
        # With the lag key a cohort rate's denominator, split by lag, is the triangle of its set.
        if is_cohort(m) and m.outcome_set != lag_set:
            # A second outcome set has no lag key of its own: a count per lag instead.
            cond = where(m.filters)
            lag = _month_number(t[f"first_{m.outcome_set}"]) - _month_number(t.period)
            for k in range(FOLLOW_UP_LAGS):
                aggs[f"{m.id}__lag{k}"] = count_where(t, both(cond, (lag <= k).fill_null(False)))
    if not aggs:  # only measures counted elsewhere (outcome counts): the months still come
        aggs[HELD_ROWS] = t.count()
    return t.group_by(list(keys)).aggregate(**aggs)


def is_cohort(m: Measure) -> bool:
    """Whether `m` counts outcomes by the cohort method (crimes of a month, followed up)."""
    return bool(kind(m.kind).outcome_counts) and m.rate_method == "cohort"


def is_period(m: Measure) -> bool:
    """Whether `m` counts crimes in the month of their first outcome in its set."""
    return bool(kind(m.kind).outcome_counts) and m.rate_method == "period"


def triangle_set(measures: Sequence[Measure]) -> str | None:
    """The outcome set whose follow-up lag is a grouping key (the first used by a cohort rate);
    cohort rates of any other set count each lag by a conditional aggregate instead."""
    sets = sorted(str(m.outcome_set) for m in measures if is_cohort(m))
    return sets[0] if sets else None


def fold_follow_up(raw: pd.DataFrame, measures: Sequence[Measure]) -> pd.DataFrame:
    """The triangle from `additive_expr` (rows by period, district and follow-up lag) folded to
    one row per period and district: every count summed over lags, and for cohort rates
    `<id>__lag<k>` = crimes with an outcome within k months, a cumulative sum over lags."""
    if LAG_KEY not in raw:
        return raw
    lag_set = triangle_set(measures)
    keys = [c for c in GROUP_KEYS if c in raw]
    # Records with no district still count for the force: group them under a placeholder.
    none = "\0no district"
    raw = raw.assign(district=raw["district"].astype(object).where(raw["district"].notna(), none))
    values = [c for c in raw.columns if c not in (*keys, LAG_KEY)]
    out = raw.groupby(keys, sort=False)[values].sum()
    ids = [m.id for m in measures if is_cohort(m) and m.outcome_set == lag_set]
    by_lag = raw.groupby([*keys, LAG_KEY], sort=False)[[f"{i}__den" for i in ids]].sum()
    parts = [out]
    for measure_id in ids:
        wide = by_lag[f"{measure_id}__den"].unstack(LAG_KEY)
        wide = wide.reindex(index=out.index, columns=range(FOLLOW_UP_LAGS)).fillna(0)
        wide.columns = pd.Index([f"{measure_id}__lag{k}" for k in range(FOLLOW_UP_LAGS)])
        parts.append(wide.cumsum(axis=1))
    out = pd.concat(parts, axis=1).reset_index()
    out["district"] = out["district"].where(out["district"] != none, None)
    return out


def _month_number(column: ir.Value) -> ir.IntegerValue:
    """Months since year 0 of a date's month: lags in whole calendar months."""
    return column.year() * 12 + column.month()


def period_numerator_expr(
    crimes: ir.Table, first: ir.Table, outcome_set: str, measures: Sequence[Measure], scope: Scope
) -> ir.Table:
    """Period-method numerators: crimes counted in the month of their first outcome in the set.
    An outcome dated before its crime was recorded counts in the month the crime was recorded,
    the first month both were known, so a past month's figure is the same in every later run."""
    import ibis

    joined = crimes.join(first, "crime_id")
    column = joined[f"first_{outcome_set}"]
    joined = joined.filter(column.notnull()).mutate(
        period=ibis.greatest(_month(column), joined.period)
    )
    if scope.last_month is not None:
        joined = joined.filter(joined.period <= scope.last_month)
    aggs = {f"{m.id}__num": count_where(joined, filter_expr(joined, m.filters)) for m in measures}
    return joined.group_by(list(GROUP_KEYS)).aggregate(**aggs)


def median_value(t: ir.Table, m: Measure) -> ir.NumericValue:
    return VALUES[str(m.value)].expr(t)


def median_exprs(t: ir.Table, m: Measure, areas: ir.Table) -> dict[tuple[str, str], ir.Table]:
    """Medians by (area level, window): window 'month', 'r12' (12 months ending each month) or
    'fy' (financial year). Columns: period key, area, value, n. Medians do not add up, so areas
    are attached to the records here."""
    import ibis

    t = with_area(t, areas)
    value = median_value(t, m)
    rows = t.filter(both(filter_expr(t, m.filters), value.notnull())).mutate(
        __v=value,
        __mi=t.period.year() * 12 + t.period.month() - 1,
        __fy=t.period.year() - ibis.ifelse(t.period.month() < 4, 1, 0),
    )
    offsets = ibis.memtable({"__offset": list(range(12))})
    expanded = rows.cross_join(offsets).mutate(__wi=lambda r: r.__mi + r.__offset)
    out: dict[tuple[str, str], ir.Table] = {}
    for level, keys in (("force", []), ("area", ["area"]), ("district", ["district"])):
        for window, source, key in (
            ("month", rows, "__mi"),
            ("r12", expanded, "__wi"),
            ("fy", rows, "__fy"),
        ):
            grouped = source.group_by([key, *keys]).aggregate(
                value=source.__v.median(), n=source.__v.count()
            )
            out[(level, window)] = grouped.rename({"key": key})
    return out


def areas_table(districts: pd.DataFrame) -> ir.Table:
    """The force's districts and areas as an in-memory table for joins."""
    import ibis

    frame = districts.rename(columns={"district": "district_ref"})[["district_ref", "area"]]
    if frame.empty:
        frame = pd.DataFrame(
            {"district_ref": pd.Series([], dtype="string"), "area": pd.Series([], dtype="string")}
        )
    return ibis.memtable(frame)


def with_harm(t: ir.Table, weights: HarmWeights) -> ir.Table:
    """Attach `harm_weight` (days) to each crime: by offence code, else by category; NULL for
    excluded (proactive) categories and for crimes the table does not cover."""
    import ibis

    codes = ibis.memtable(
        pd.DataFrame(
            {"harm_code": list(weights.by_code), "harm_code_days": list(weights.by_code.values())}
        )
    )
    cats = ibis.memtable(
        pd.DataFrame(
            {
                "harm_category": list(weights.by_category),
                "harm_category_days": list(weights.by_category.values()),
            }
        )
    )
    t = t.left_join(codes, t.offence_code == codes.harm_code).left_join(
        cats, t.offence_category == cats.harm_category
    )
    weight = t.harm_code_days.fill_null(t.harm_category_days)
    if weights.excluded_categories:
        weight = ibis.ifelse(
            t.offence_category.isin(list(weights.excluded_categories)).fill_null(False),
            ibis.null("float64"),
            weight,
        )
    return t.mutate(harm_weight=weight).drop(
        "harm_code", "harm_code_days", "harm_category", "harm_category_days"
    )
