"""The engine: framework + records -> the results table.

>>> from policeperf import evaluate                                  # doctest: +SKIP
>>> results = evaluate(store, "pcp", "2021-03")                       # doctest: +SKIP
>>> results.query("area == 'all'")[["measure_id", "rolling_12m", "verdict"]]  # doctest: +SKIP
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from ibis.common.exceptions import TableNotFound

from policeperf.engine.aggregate import Scope
from policeperf.engine.calendar import parse_month
from policeperf.engine.cube import build_cube
from policeperf.engine.results import Context, evaluate_cube
from policeperf.errors import PolicePerfError
from policeperf.framework import Framework, load_framework
from policeperf.framework.profile import ForceProfile, load_profile, resolve_profile

__all__ = ["evaluate", "evaluate_backend"]


def _coverage(backend: Any, force: str) -> dict[str, set[date]] | None:
    """Record table -> months received for `force`; None when the backend holds no coverage
    table (then every month of a measure's record span is taken as received)."""
    try:
        t = backend.table("coverage")
    except TableNotFound:
        return None
    frame = t.filter(t.force == force).select("table_name", "month").distinct().to_pandas()
    out: dict[str, set[date]] = {}
    for table, month in zip(frame["table_name"], frame["month"], strict=True):
        ts = pd.Timestamp(month)
        out.setdefault(str(table), set()).add(date(ts.year, ts.month, 1))
    return out


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
) -> pd.DataFrame:
    """Evaluate `framework` for the reporting `month` on any Ibis backend holding the tables."""
    chosen = force or framework.force
    if not chosen:
        crimes = backend.table("crimes")
        forces = sorted(crimes.select("force").distinct().to_pandas()["force"].dropna())
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
    coverage = _coverage(backend, chosen)
    cube = build_cube(backend, framework, Scope(force=chosen, last_month=reporting), districts)
    first = min((min(m) for m in (coverage or {}).values() if m), default=None)
    if (not cube.months and not coverage) or (first is not None and first > reporting):
        held = f"; the store's data for it starts {first:%Y-%m}" if first else ""
        raise PolicePerfError(f"no records for {chosen!r} up to {reporting:%Y-%m}{held}")
    stamp = (as_at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    ctx = Context(framework, reporting, profile.population_by_geography(), stamp, store_state,
                  coverage=coverage, geographies=_geographies(profile))  # fmt: skip
    results = evaluate_cube(cube, ctx)
    results.attrs.update(framework=framework.name, version=framework.version, force=chosen,
                         month=reporting.isoformat(), as_at=stamp, store_state=store_state)  # fmt: skip
    return results


def evaluate(
    store: Any,
    framework: Framework | str | Path,
    month: str | date,
    *,
    force: str | None = None,
    as_at: datetime | None = None,
    profile: ForceProfile | Path | None = None,
) -> pd.DataFrame:
    """The results table for `framework` (a model, a shipped name such as 'pcp', or a path) and
    the reporting `month` ('2021-03'), from a policeperf `Store`. `profile` gives the force's
    areas and populations (a `ForceProfile` or a YAML path); by default the shipped one, if any."""
    from policeperf.store.database import ibis_backend, store_state

    model = framework if isinstance(framework, Framework) else load_framework(framework)
    if isinstance(profile, Path):
        profile = load_profile(profile)
    return evaluate_backend(ibis_backend(store), model, month, force=force or (profile.force if profile else None),
                            as_at=as_at, store_state=store_state(store), profile=profile)  # fmt: skip
