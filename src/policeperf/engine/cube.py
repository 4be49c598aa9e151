"""Running the backend expressions and rolling districts up to areas and the force.

The cube is small: measure x area x month. Additive figures (numerators and denominators) are
aggregated once by district and summed up here; medians arrive per level and window.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import ibis
import numpy as np
import pandas as pd

from policeperf.engine.aggregate import (
    FOLLOW_UP_LAGS,
    HELD_ROWS,
    Scope,
    additive_expr,
    areas_table,
    base_table,
    first_outcomes,
    fold_follow_up,
    held_column,
    is_period,
    measure_columns,
    median_exprs,
    period_numerator_expr,
    with_harm,
)
from policeperf.engine.derived import ratio_frames
from policeperf.framework.kinds import kind
from policeperf.framework.loader import harm_weights
from policeperf.framework.models import Framework, Measure
from policeperf.reference import outcome_sets

LEVELS = ("force", "area", "district")
LAG_COLUMNS = tuple(f"lag{k}" for k in range(FOLLOW_UP_LAGS))
"""Cohort outcome rates: crimes of the month with an outcome within k months (k = 0..11)."""
FORCE_AREA = "all"


@dataclass
class Cube:
    additive: pd.DataFrame
    """measure_id, level, area, period (date), num, den, and for harm `crimes` (the crimes whose
    weights make `num`); for cohort outcome rates `lag0`..`lag11` (the month's crimes with an
    outcome within k months) and `num` = `lag0`, what was known at the month's end"""
    medians: pd.DataFrame
    """measure_id, level, area, window (month/r12/fy), key (month index or FY start year), value, n"""
    months: dict[str, tuple[date, date]]
    """First and last month with records, per measure."""
    held: dict[str, dict[str, int]] = field(default_factory=dict)
    """Record table -> the force's records in scope (`*`) and how many have a value in each
    column a measure's filters read, as `columns_held` gives them; counted in the additive
    scans, so only for tables with an additive measure."""


def _to_date(value: object) -> date:
    ts = pd.Timestamp(value)
    return date(ts.year, ts.month, 1)


def _rollup(frame: pd.DataFrame, measure: Measure, has_den: bool) -> pd.DataFrame:
    """District rows -> rows for the force, each area and each district: sums by (period, key)
    in the order a sorted group-by gives (force by period, then areas and districts by period
    and name). Worked with numpy on the few hundred rows of a measure, since three pandas
    group-bys and a concat per measure cost more than the backend's scan."""
    cols = ["num", "den"] if has_den else ["num"]
    cols += [c for c in ("crimes", *LAG_COLUMNS) if c in frame]
    periods = frame["period"].to_numpy(dtype=object)
    values = [np.nan_to_num(frame[c].to_numpy(dtype=float)) for c in cols]  # as sum() skips NaN
    keys = (
        ("force", np.full(len(frame), FORCE_AREA, dtype=object)),
        ("area", frame["area"].to_numpy(dtype=object)),
        ("district", frame["district"].to_numpy(dtype=object)),
    )
    parts: dict[str, list[np.ndarray]] = {c: [] for c in ("period", "area", "level", *cols)}
    for level, key in keys:
        held = pd.notna(key)
        period_codes, period_names = pd.factorize(periods[held], sort=True)
        key_codes, key_names = pd.factorize(key[held], sort=True)
        cells, where = np.unique(period_codes * len(key_names) + key_codes, return_inverse=True)
        parts["period"].append(
            np.asarray(period_names, dtype=object)[cells // max(len(key_names), 1)]
        )
        parts["area"].append(np.asarray(key_names, dtype=object)[cells % max(len(key_names), 1)])
        parts["level"].append(np.full(len(cells), level, dtype=object))
        for c, v in zip(cols, values, strict=True):
            parts[c].append(np.bincount(where, weights=v[held], minlength=len(cells)))
    out = pd.DataFrame({c: np.concatenate(p) for c, p in parts.items()})
    out["measure_id"] = measure.id
    if not has_den:
        out["den"] = float("nan")
    return out


def _medians_at_once(exprs: dict[tuple[str, str], ibis.Table]) -> pd.DataFrame:
    """The medians of every (level, window) of one measure in one query, a union of the
    groupings, rather than one round trip each: columns level, window, area, key, value, n."""
    parts = []
    for (level, window), expr in exprs.items():
        area = ibis.literal(FORCE_AREA) if level == "force" else expr[level]
        parts.append(
            expr.select(
                level=ibis.literal(level),
                window=ibis.literal(window),
                area=area.cast("string"),
                key=expr.key.cast("int64"),
                value=expr.value.cast("float64"),
                n=expr.n.cast("int64"),
            )
        )
    return ibis.union(*parts, distinct=False).to_pandas()


def build_cube(
    backend: ibis.BaseBackend,
    framework: Framework,
    scope: Scope,
    districts: pd.DataFrame,
) -> Cube:
    """Aggregate every measure of `framework` for the force in `scope`."""
    areas = areas_table(districts)
    area_by_district = dict(zip(districts["district"], districts["area"], strict=True))

    def area_of(district: object) -> object:
        return area_by_district.get(district) if isinstance(district, str) else None

    measures = [m for *_, m in framework.measures()]
    by_table: dict[str, list[Measure]] = defaultdict(list)
    for m in measures:
        if kind(m.kind).computation == "additive":
            by_table[m.table].append(m)
    sets = outcome_sets()
    rate_sets = sorted(
        {m.outcome_set for m in measures if kind(m.kind).outcome_counts and m.outcome_set}
    )
    first = first_outcomes(backend, scope, [sets[s] for s in rate_sets]) if rate_sets else None

    frames: list[pd.DataFrame] = []
    months: dict[str, tuple[date, date]] = {}
    held: dict[str, dict[str, int]] = {}
    for table, table_measures in by_table.items():
        t = records = base_table(backend, table, scope)
        if table == "crimes" and any(kind(m.kind).weighs_harm for m in table_measures):
            settings = framework.settings
            t = with_harm(
                t,
                harm_weights(settings, scope.force),
            )
        read = [m for m in measures if m.table == table]
        columns = list(dict.fromkeys(c for m in read for c in measure_columns(m)))
        raw = fold_follow_up(
            additive_expr(
                t, table_measures, first if table == "crimes" else None, held=columns
            ).to_pandas(),
            table_measures,
        )
        if columns:
            counts = [HELD_ROWS, *(held_column(c) for c in columns)]
            total = raw[counts].sum()
            held[table] = {"*": int(total[HELD_ROWS])}
            held[table] |= {c: int(total[held_column(c)]) for c in columns}
            raw = raw.drop(columns=counts)
        raw["period"] = raw["period"].map(_to_date)
        raw["area"] = raw["district"].map(area_of)
        span = (min(raw["period"]), max(raw["period"])) if len(raw) else None
        period_nums: dict[str, pd.DataFrame] = {}
        if table == "crimes" and first is not None:
            for set_name in rate_sets:
                users = [m for m in table_measures if is_period(m) and m.outcome_set == set_name]
                if users:
                    # The records without harm weights: the numerators read none.
                    frame = period_numerator_expr(
                        records, first, set_name, users, scope
                    ).to_pandas()
                    frame["period"] = frame["period"].map(_to_date)
                    frame["area"] = frame["district"].map(area_of)
                    period_nums[set_name] = frame
        for m in table_measures:
            if span is None:
                continue
            months[m.id] = span
            names = {f"{m.id}__{c}": c for c in ("num", "den", "crimes", *LAG_COLUMNS)}
            has_den = kind(m.kind).has_denominator
            if is_period(m):
                num = period_nums[m.outcome_set][["period", "area", "district", f"{m.id}__num"]]  # type: ignore[index]
                keys = ["period", "area", "district"]
                den = raw[[*keys, f"{m.id}__den"] if has_den else keys].drop_duplicates(keys)
                both = den.merge(num, on=keys, how="outer")
                both = both[(both["period"] >= span[0]) & (both["period"] <= span[1])]
            else:
                cols = [c for c in names if c in raw.columns]
                both = raw[["period", "area", "district", *cols]]
            both = both.rename(columns=names).fillna(dict.fromkeys(names.values(), 0))
            if "lag0" in both:
                both = both.assign(num=both["lag0"])
            frames.append(_rollup(both, m, has_den=has_den))

    median_frames: list[pd.DataFrame] = []
    for m in measures:
        if kind(m.kind).computation != "windowed":
            continue
        t = base_table(backend, m.table, scope)
        exprs = median_exprs(t, m, areas)
        found = _medians_at_once(exprs)
        for level, window in exprs:
            frame = found[(found["level"] == level) & (found["window"] == window)]
            # Sorted like the additive roll-up (areas, then months), whatever order the backend
            # returned the groups in, so the results table's rows come in a stable order.
            frame = frame[frame["area"].notna()].sort_values(["area", "key"], kind="stable")
            frame["level"], frame["window"], frame["measure_id"] = level, window, m.id
            median_frames.append(
                frame[["measure_id", "level", "area", "window", "key", "value", "n"]]
            )
            if level == "force" and window == "month" and len(frame):
                lo, hi = int(frame["key"].min()), int(frame["key"].max())
                months[m.id] = (date(lo // 12, lo % 12 + 1, 1), date(hi // 12, hi % 12 + 1, 1))
    additive = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=["measure_id", "level", "area", "period", "num", "den"])
    )
    medians = (
        pd.concat(median_frames, ignore_index=True)
        if median_frames
        else pd.DataFrame(columns=["measure_id", "level", "area", "window", "key", "value", "n"])
    )
    derived = ratio_frames(additive, measures, months)
    if derived:
        additive = pd.concat([additive, *derived], ignore_index=True)
    return Cube(additive=additive, medians=medians, months=months, held=held)
