"""The engine: framework + records -> the results table.

>>> from policeperf import evaluate                                  # doctest: +SKIP
>>> results = evaluate(store, "pcp", "2021-03")                       # doctest: +SKIP
>>> results.query("area == 'all'")[["measure_id", "rolling_12m", "verdict"]]  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from policeperf.calendar import add_months, parse_month
from policeperf.engine import compare, schema
from policeperf.engine.aggregate import Scope, held_counts, held_expr, measure_columns
from policeperf.engine.availability import TABLE_LABELS
from policeperf.engine.cube import Cube, Queries, build_cube, missing_table, received_months
from policeperf.engine.results import VERDICT_MONTHS, Context, evaluate_cube
from policeperf.errors import PolicePerfError
from policeperf.framework import Framework, load_framework
from policeperf.framework.kinds import kind
from policeperf.framework.profile import ForceProfile, load_profile, resolve_profile

__all__ = ["evaluate", "evaluate_backend"]


RowMonths = Collection[date] | Mapping[str, Collection[date]] | None
"""Months given rows: for every area level, per level, or every month (None)."""


def _row_months(asked: RowMonths, *, whole_months: bool) -> dict[str, frozenset[date]] | None:
    """The months given rows per level. With `whole_months` (verdicts adjusted for multiple
    testing, where a month's rows at every level are one family) a month asked at any level is
    given rows at all of them, so each row's adjusted p is the one the whole table gives."""
    if asked is None:
        return None
    if isinstance(asked, Mapping):
        per_level = {level: frozenset(map(_month, months)) for level, months in asked.items()}
        if not whole_months:
            return per_level
        months = frozenset().union(*per_level.values())
    else:
        months = frozenset(map(_month, asked))
    return dict.fromkeys(("force", "area", "district"), months)


def _geographies(profile: ForceProfile) -> tuple[tuple[str, str], ...]:
    pairs = [("force", "all")]
    pairs += [("area", a) for a in profile.areas]
    pairs += [("district", d) for d, _ in profile.district_areas()]
    return tuple(pairs)


def _month(month: str | date) -> date:
    if isinstance(month, date):
        return date(month.year, month.month, 1)
    try:
        return parse_month(month)
    except ValueError as exc:
        raise PolicePerfError(str(exc)) from None


def evaluate_backend(
    backend: Any,
    framework: Framework,
    month: str | date,
    *,
    force: str | None = None,
    as_at: datetime | None = None,
    store_state: str = "",
    profile: ForceProfile | None = None,
    row_months: RowMonths = None,
) -> pd.DataFrame:
    """Evaluate `framework` for the reporting `month` on any Ibis backend holding the tables
    (or the `Queries` over one: on a policeperf store, SQL compiled once and kept).
    `row_months` limits the rows to those months (None: every month of each series), or, as a
    mapping, the months of each area level; each row is the same as in the full table."""
    queries = backend if isinstance(backend, Queries) else Queries(backend)
    chosen = force or framework.force
    if not chosen:
        held = queries.run("forces", lambda b: b.table("crimes").select("force").distinct())
        forces = sorted(held["force"].dropna())
        if len(forces) != 1:
            raise PolicePerfError(
                f"framework {framework.name!r} names no force and the store holds {len(forces)}; "
                f"choose one with --force: {', '.join(forces)}"
            )
        chosen = forces[0]
    framework = framework.model_copy(update={"force": chosen})
    reporting = _month(month)
    profile = profile or resolve_profile(chosen)
    districts = pd.DataFrame(profile.district_areas(), columns=["district", "area"], dtype="object")
    if queries.store is not None:
        queries.use(_query_inputs(framework, profile), month=reporting)
    coverage = received_months(queries, chosen)
    cube = build_cube(queries, framework, Scope(force=chosen, last_month=reporting), districts)
    first = min((min(m) for m in (coverage or {}).values() if m), default=None)
    if (not cube.months and not coverage) or (first is not None and first > reporting):
        held = f"; the store's data for it starts {first:%Y-%m}" if first else ""
        raise PolicePerfError(f"no records for {chosen!r} up to {reporting:%Y-%m}{held}")
    stamp = (as_at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    scope = Scope(force=chosen, last_month=reporting)
    unknown, warnings = _profile_problems(profile, cube)
    ctx = Context(framework, reporting, profile.population_by_geography(), stamp, store_state,
                  coverage=coverage, geographies=_geographies(profile),
                  unsupported=_unsupported(queries, framework, scope, cube.held), unknown_geographies=unknown,
                  row_months=_row_months(row_months, whole_months=framework.settings.multiple_testing != "none"))  # fmt: skip
    queries.save()
    results = evaluate_cube(cube, ctx)
    settings = framework.settings
    results = compare.compare_areas(results, compare.methods_for(framework),
                                    confidence=settings.confidence, minimum_n=settings.minimum_n,
                                    since=add_months(reporting, 1 - VERDICT_MONTHS))  # fmt: skip
    results.attrs.update(framework=framework.name, version=framework.version, force=chosen,
                         month=reporting.isoformat(), as_at=stamp, store_state=store_state,
                         warnings=warnings)  # fmt: skip
    return results


def _query_inputs(framework: Framework, profile: ForceProfile) -> dict[str, object]:
    """What the queries' SQL is written from, besides the code and the reporting month: the
    framework (its force and settings included), the profile's districts and areas, and the
    reference data written into the SQL (harm weights, outcome sets)."""
    from policeperf.framework.loader import harm_weights
    from policeperf.reference import outcome_sets

    harm = any(m.kind == "harm" for *_, m in framework.measures())
    weights = harm_weights(framework.settings, framework.force) if harm else None
    return {
        "framework": framework.model_dump(mode="json"),
        "districts": profile.district_areas(),
        "harm": None if weights is None else vars(weights),
        "outcome_sets": {name: vars(s) for name, s in sorted(outcome_sets().items())},
    }


def _unsupported(
    backend: Any, framework: Framework, scope: Scope, counted: Mapping[str, Mapping[str, int]]
) -> dict[str, str]:
    """Measures whose filters read a column no record of the force has (data.police.uk files carry
    no domestic-abuse marker or offence code): not configured, never counted as zero. `counted`:
    the tables whose values the cube's scans counted already; the others are scanned here."""
    by_table: dict[str, dict[str, list[str]]] = {}
    for *_, m in framework.measures():
        for column in measure_columns(m):
            by_table.setdefault(m.table, {}).setdefault(column, []).append(m.id)
    queries = backend if isinstance(backend, Queries) else Queries(backend)
    out: dict[str, str] = {}
    for table, columns in by_table.items():
        held = counted.get(table)
        if not held:
            wanted = list(columns)

            def count(b: Any, table: str = table, wanted: list[str] = wanted) -> Any:
                return held_expr(b, table, scope, wanted)

            try:
                frame = queries.run(f"held {table}", count)
            except Exception as exc:
                if missing_table(exc):
                    continue
                raise
            held = held_counts(frame, wanted)
        if held["*"] == 0:
            continue  # no records at all: that is no data, said per month
        for column, ids in columns.items():
            if held[column] == 0:
                for measure_id in ids:
                    out.setdefault(measure_id, (
                        f"none of the {held['*']:,} {TABLE_LABELS.get(table, table)} records held "
                        f"for this force has a value for '{column}', which this measure needs "
                        "(data.police.uk files carry no such field)"))  # fmt: skip
    for *_, m in framework.measures():  # a measure built on one that cannot be counted
        for ref in kind(m.kind).references(m):
            if ref in out:
                out.setdefault(m.id, f"built on {ref}: {out[ref]}")
    return out


def _profile_problems(
    profile: ForceProfile, cube: Cube
) -> tuple[dict[tuple[str, str], str], list[str]]:
    """Profile districts with no record at all (most often a misspelt name), the areas holding
    them, and districts of the data that no area takes in."""
    seen = set(cube.additive.loc[cube.additive["level"] == "district", "area"].astype(str))
    seen |= set(cube.medians.loc[cube.medians["level"] == "district", "area"].astype(str))
    unknown: dict[tuple[str, str], str] = {}
    warnings: list[str] = []
    if not seen:
        return unknown, warnings
    for district, area in profile.district_areas():
        if district not in seen:
            why = f"district {district!r} of the force profile has no records in the store; check its name"
            unknown[("district", district)] = why
            warnings.append(why)
            if area is not None:
                unknown[("area", area)] = (
                    f"area {area} includes district {district!r}, which has no records in the "
                    "store; check the force profile"
                )
    if profile.areas:
        loose = sorted(seen - set(profile.area_of))
        if loose:
            warnings.append(f"district(s) in no area of the force profile: {', '.join(loose)}")
    return unknown, warnings


def evaluate(
    store: Any,
    framework: Framework | str | Path,
    month: str | date,
    *,
    force: str | None = None,
    as_at: datetime | None = None,
    profile: ForceProfile | Path | None = None,
    row_months: RowMonths = None,
    typed: bool = False,
) -> pd.DataFrame:
    """The results table for `framework` (a model, a shipped name such as 'pcp', or a path) and
    the reporting `month` ('2021-03'), from a policeperf `Store`. `profile` gives the force's
    areas and populations (a `ForceProfile` or a YAML path); by default the shipped one, if any.
    `row_months` limits the rows to those months (e.g. only the reporting month), or, as a
    mapping of area level ('force', 'area', 'district') to months, the months of each level (a
    level not named has no rows): the series behind them are worked out in full, so each row is
    as in the table of every month. With `typed`, the columns have the dtypes declared in
    `engine.schema` (months as datetime64, counts as nullable integers, flags as nullable
    booleans, verdicts and statuses as categories); without, months are `datetime.date` and
    figures plain floats, as the report, dashboard and exports read them. The queries' compiled
    SQL is kept per user (see `store.database.cache_dir`), so a repeated evaluation neither
    loads Ibis nor compiles."""
    from policeperf.store.database import store_state

    model = framework if isinstance(framework, Framework) else load_framework(framework)
    if isinstance(profile, Path):
        profile = load_profile(profile)
    results = evaluate_backend(Queries(store=store), model, month, force=force or (profile.force if profile else None),
                               as_at=as_at, store_state=store_state(store), profile=profile,
                               row_months=row_months)  # fmt: skip
    return schema.typed(results) if typed else results
