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

from policeperf.engine.aggregate import Scope
from policeperf.engine.calendar import parse_month
from policeperf.engine.cube import build_cube
from policeperf.engine.results import Context, evaluate_cube
from policeperf.errors import PolicePerfError
from policeperf.framework import Framework, load_framework
from policeperf.reference import load_table

__all__ = ["evaluate", "evaluate_backend"]


def _districts(force: str) -> pd.DataFrame:
    frame = load_table("districts").to_pandas()
    return frame[frame["force"] == force][["district", "area"]]


def _populations(force: str, districts: pd.DataFrame) -> dict[tuple[str, str], float]:
    pop = load_table("population").to_pandas()
    pop = pop[pop["force"] == force].merge(districts, on="district", how="left")
    pop["population"] = pop["population"].astype(float)
    out: dict[tuple[str, str], float] = {}
    if pop.empty:
        return out
    out[("force", "all")] = float(pop["population"].sum())
    for area, total in pop.groupby("area")["population"].sum().items():
        out[("area", str(area))] = float(total)
    for district, total in zip(pop["district"], pop["population"], strict=True):
        out[("district", str(district))] = float(total)
    return out


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
    districts = _districts(chosen)
    cube = build_cube(backend, framework, Scope(force=chosen, last_month=reporting), districts)
    if not cube.months:
        raise PolicePerfError(f"no records for {chosen!r} up to {reporting:%Y-%m}")
    stamp = (as_at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    ctx = Context(framework, reporting, _populations(chosen, districts), stamp, store_state)
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
) -> pd.DataFrame:
    """The results table for `framework` (a model, a shipped name such as 'pcp', or a path) and
    the reporting `month` ('2021-03'), from a policeperf `Store`."""
    from policeperf.store.database import ibis_backend, store_state

    model = framework if isinstance(framework, Framework) else load_framework(framework)
    return evaluate_backend(
        ibis_backend(store), model, month, force=force, as_at=as_at, store_state=store_state(store)
    )
