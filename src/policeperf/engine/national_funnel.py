"""Every force on one national measure and year: the points and limit lines of a funnel plot,
and a ranked table with rank intervals, for the report's chart and the dashboard's page.

Limit lines use the same formulas as each force's own limits (`engine/funnel.py`), so a force's
point lies outside a drawn line exactly when its verdict says so. Forces without the figure are
listed with their reason and never ranked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from policeperf.engine import funnel as fn
from policeperf.engine import rank_interval as ri
from policeperf.engine.national_compare import NOT_AVAILABLE, Peers
from policeperf.engine.national_data import PER, NationalMeasure, measure_figures
from policeperf.reference.national_forces import ForceRef, ForceReference
from policeperf.store import Store

LIMIT_STEPS = 60
"""Points along each funnel limit line (sizes spaced evenly on a log scale)."""


@dataclass(frozen=True)
class FunnelForce:
    """One force's point on a funnel plot."""

    force: str
    size: float
    """Population (rates) or offences recorded (outcome rates)."""
    value: float
    role: str
    """'this force', 'peer' or 'other force'."""
    verdict: str


@dataclass(frozen=True)
class LimitPoint:
    """The funnel's limits at one size, in the figure's units."""

    size: float
    lower_95: float
    upper_95: float
    lower_998: float
    upper_998: float


@dataclass(frozen=True)
class FunnelView:
    """Everything a funnel plot of one measure draws, with its method."""

    measure_id: str
    measure: str
    unit: str
    year: str
    size_label: str
    target: float
    """England and Wales, in the figure's units."""
    points: tuple[FunnelForce, ...]
    limits: tuple[LimitPoint, ...]
    method: str
    basis: str
    """The sources and years the figures come from."""


@dataclass(frozen=True)
class LeagueRow:
    """One force in a ranked table: its figure, rank with interval and funnel verdict."""

    force: str
    code: str
    value: float | None
    numerator: float | None
    denominator: float | None
    rank: int | None
    rank_low: int | None
    rank_high: int | None
    rank_of: int | None
    funnel_verdict: str
    status: str
    reason: str


@dataclass(frozen=True)
class League:
    """Every force on one measure and year, ranked (1 = lowest) with 95% intervals; absent
    forces last, with their reasons."""

    measure: NationalMeasure
    year: str
    rows: tuple[LeagueRow, ...]
    rank_method: str
    funnel_method: str
    basis: str


def funnel_view(
    store: Store,
    reference: ForceReference,
    force: ForceRef,
    measure: NationalMeasure,
    year: str,
    peers: Peers,
    adjustment: fn.Adjustment = "additive",
) -> FunnelView | None:
    """Every force held for `measure` in `year` on a funnel around England and Wales, with the
    limit lines at every size between the smallest and largest force; None if none is held."""
    figures = measure_figures(store, measure, year, reference.territorial())
    codes = sorted(figures.held)
    if not codes:
        return None
    nums = [figures.held[c].numerator for c in codes]
    dens = [figures.held[c].denominator for c in codes]
    rate = measure.kind == "rate"
    target = sum(nums) / sum(dens) * (PER if rate else 100.0)
    f = fn.funnel(nums, dens, target=target if rate else target / 100.0,
                  scale=measure.kind, per=PER, adjustment=adjustment)  # fmt: skip
    points = tuple(
        FunnelForce(
            force=reference.by_code(c).short_name, size=d,
            value=figures.held[c].value(measure.kind),
            role="this force" if c == force.code else ("peer" if c in peers.codes else "other force"),
            verdict=p.verdict,
        )
        for c, d, p in zip(codes, dens, f.points, strict=True)
    )  # fmt: skip
    sizes = np.geomspace(min(dens), max(dens), LIMIT_STEPS)
    limits = tuple(limits_at(float(d), f, measure.kind) for d in sizes)
    return FunnelView(
        measure_id=measure.id, measure=measure.label, unit=measure.unit, year=year,
        size_label="population" if rate else "offences recorded", target=target,
        points=points, limits=limits,
        method=f.method() + f"; phi {f.phi:,.1f}, tau2 {f.tau2:.5f}", basis=figures.basis,
    )  # fmt: skip


def limits_at(size: float, f: fn.Funnel, scale: fn.Scale) -> LimitPoint:
    """The funnel's 95% and 99.8% limits for a force of `size`, in the figure's units (rates per
    1,000; proportions in %), by the same formulas `funnel` applies at each force's size.

    >>> f = fn.funnel([100.0], [1000.0], target=100.0, scale="rate", per=1000.0, adjustment="none")
    >>> round(limits_at(1000.0, f, "rate").upper_95, 3)  # (1 + 1.96 x 0.05)^2 x 100
    120.56
    """
    if scale == "rate":
        expected = size * f.target / PER
        s, centre, target, unit = 1 / (2 * math.sqrt(expected)), 1.0, f.target, 1.0
    else:
        s, centre = 1 / (2 * math.sqrt(size)), math.asin(math.sqrt(f.target))
        target, unit = f.target, 100.0
    if f.adjustment == "additive":
        sd = math.sqrt(s**2 + f.tau2)
    elif f.adjustment == "multiplicative":
        sd = s * math.sqrt(max(f.phi, 1.0))
    else:
        sd = s

    def at(z: float) -> float:
        return fn.back(centre + z * sd, target, scale) * unit

    return LimitPoint(size, at(-fn.Z_95), at(fn.Z_95), at(-fn.Z_998), at(fn.Z_998))


def national_years(store: Store) -> list[str]:
    """Financial years the PRC tables or the outcomes data hold, latest first."""
    tables = {str(r[0]) for r in store.fetchall("SELECT table_name FROM information_schema.tables")}
    years: set[str] = set()
    for table in ("national_crime", "national_outcomes"):
        if table in tables:
            rows = store.fetchall(f"SELECT DISTINCT financial_year FROM {table}")
            years.update(str(r[0]) for r in rows)
    return sorted(years, reverse=True)


def league(
    store: Store,
    reference: ForceReference,
    measure: NationalMeasure,
    year: str,
    *,
    adjustment: fn.Adjustment = "additive",
    simulations: int = ri.SIMULATIONS,
    seed: int = ri.SEED,
) -> League:
    """Every territorial force on `measure` in `year`: rank with interval and funnel verdict
    for the forces held; the others listed as not available with their reason, never ranked."""
    forces = reference.territorial()
    figures = measure_figures(store, measure, year, forces)
    codes = sorted(figures.held)
    nums = [figures.held[c].numerator for c in codes]
    dens = [figures.held[c].denominator for c in codes]
    rows: list[LeagueRow] = []
    funnel_method = NOT_AVAILABLE
    if codes:
        rate = measure.kind == "rate"
        target = sum(nums) / sum(dens) * (PER if rate else 1.0)
        f = fn.funnel(nums, dens, target=target, scale=measure.kind, per=PER,
                      adjustment=adjustment)  # fmt: skip
        funnel_method = f.method() + f"; phi {f.phi:,.1f}, tau2 {f.tau2:.5f}"
        ranks = ri.rank_intervals(nums, dens, kind=measure.kind, simulations=simulations,
                                  seed=seed)  # fmt: skip
        for c, rank, point in zip(codes, ranks, f.points, strict=True):
            held = figures.held[c]
            rows.append(LeagueRow(
                reference.by_code(c).short_name, c, held.value(measure.kind), held.numerator,
                held.denominator, rank.rank, rank.low, rank.high, rank.of, point.verdict, "ok", "",
            ))  # fmt: skip
        rows.sort(key=lambda r: (r.rank or 0, r.force))
    for c, reason in sorted(
        figures.absent.items(), key=lambda kv: reference.by_code(kv[0]).short_name
    ):
        rows.append(LeagueRow(reference.by_code(c).short_name, c, None, None, None, None, None,
                              None, None, NOT_AVAILABLE, "no_data", reason))  # fmt: skip
    return League(measure, year, tuple(rows), ri.method(simulations, seed), funnel_method,
                  figures.basis)  # fmt: skip
