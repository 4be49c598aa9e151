"""The national comparison a board report or the dashboard shows for one force and month.

The report's national period is a financial year, because the Home Office publishes police
recorded crime by force for financial years: the *latest financial year ending at or before the
reporting month that the store's PRC tables hold*. A March 2020 report compares 2019/20; a
February 2020 report the year before, since 2019/20 was not complete in February. The Home
Office publishes each year some months after it ends, so a March report usually compares the
year before the one just ended; the section then says that the latest complete year is not held.

Beside the rates (`national_compare`), the section gives the change in recorded crime against the
previous financial year. A year's totals come from the PRC table where it holds the year, else
from the rolling-year totals for the twelve months to March (the same offences: fraud is
recorded nationally and left out of both). A year neither holds is not available, with the
years each source holds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from policeperf.engine import funnel as fn
from policeperf.engine import rank_interval as ri
from policeperf.engine.national_compare import (
    NOT_AVAILABLE,
    Comparison,
    Peers,
    compare,
    most_like_peers,
    peer_verdict,
    simple_mean,
    supplied_peers,
)
from policeperf.engine.national_data import (
    MEASURES,
    PER,
    NationalMeasure,
    held_text,
    measure_figures,
)
from policeperf.reference.national_forces import ForceRef, ForceReference, load_force_reference
from policeperf.reference.peer_groups import load_peer_groups
from policeperf.store import Store

DEFAULT_MOST_LIKE = 7
"""Peers when no peer file is given: HMICFRS and the Home Office compare a force with a most
similar group of (up to) seven other forces."""
FRAUD_GROUPS = ("Fraud offences", "Action Fraud", "CIFAS", "UK Finance")
"""Rolling-year offence groups of fraud, recorded nationally and left out of force totals."""
PRC = "national_crime"
ROLLING = "national_rolling_crime"
FUNNEL_MEASURES = ("recorded_crime",)
"""Measures the report draws a funnel plot of."""
LIMIT_STEPS = 60
"""Points along each funnel limit line (sizes spaced evenly on a log scale)."""


@dataclass(frozen=True)
class ChangeRow:
    """Recorded crime this financial year against the previous one, for the force and others."""

    measure: str
    year: str
    baseline_year: str
    value: float | None
    """Change in offences recorded, % of the baseline year."""
    numerator: float | None
    """Offences recorded in `year`."""
    denominator: float | None
    """Offences recorded in `baseline_year`."""
    england_wales: float | None
    england_wales_method: str
    peer_mean: float | None
    peer_mean_method: str
    peer_weighted_mean: float | None
    peer_weighted_mean_method: str
    peer_min: float | None
    peer_max: float | None
    peer_verdict: str
    peer_verdict_method: str
    method: str
    status: str
    reason: str


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
class NationalView:
    """The "How we compare" content for one force and reporting month."""

    force: str
    """The force as the report names it."""
    month: date
    year: str | None
    period_rule: str
    """How the national year was chosen for the reporting month."""
    comparison: Comparison | None
    changes: tuple[ChangeRow, ...]
    funnels: tuple[FunnelView, ...]
    status: str
    """`ok`, or `no_data` when nothing can be compared (the reason says why)."""
    reason: str
    sources: tuple[str, ...] = ()
    """The national sources and years the figures come from."""


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


def financial_year_ending(month: date) -> str:
    """The financial year whose last month is the latest March at or before `month`.

    >>> financial_year_ending(date(2020, 3, 1)), financial_year_ending(date(2020, 2, 1))
    ('2019/20', '2018/19')
    """
    end = month.year if month.month >= 3 else month.year - 1
    return f"{end - 1}/{end % 100:02d}"


def year_end(year: str) -> date:
    """The first day of a financial year's last month (March).

    >>> year_end("2019/20")
    datetime.date(2020, 3, 1)
    """
    return date(int(year[:4]) + 1, 3, 1)


def previous_year(year: str) -> str:
    """The financial year before `year`.

    >>> previous_year("2019/20")
    '2018/19'
    """
    start = int(year[:4]) - 1
    return f"{start}/{(start + 1) % 100:02d}"


def _tables(store: Store) -> set[str]:
    return {str(r[0]) for r in store.fetchall("SELECT table_name FROM information_schema.tables")}


def holds_national(store: Store) -> bool:
    """Whether the store holds the national recorded crime tables (`policeperf national ingest`)."""
    return PRC in _tables(store)


def national_year(store: Store, month: date) -> tuple[str | None, str]:
    """The national year a report for `month` compares, and the rule as the report states it."""
    latest = financial_year_ending(month)
    if PRC not in _tables(store):
        return None, "no national recorded crime held; run 'policeperf national ingest'"
    years = [str(r[0]) for r in store.fetchall(f"SELECT DISTINCT financial_year FROM {PRC}")]
    usable = sorted(y for y in years if year_end(y) <= month)
    rule = f"the latest financial year ending at or before {month:%B %Y} held in the Home Office PRC tables"
    if not usable:
        return None, (f"no national year ends at or before {month:%B %Y} (Home Office PRC "
                      f"tables, {held_text(store, PRC)})")  # fmt: skip
    chosen = usable[-1]
    if chosen != latest:
        rule += f"; {latest}, the latest complete financial year, is not held"
    return chosen, f"{chosen}: {rule}"


def source_totals(
    store: Store, year: str, forces: tuple[ForceRef, ...]
) -> tuple[dict[str, float], dict[str, float]]:
    """Offences recorded (fraud excluded) per force code in financial year `year`, from each
    source that holds the force's whole year: (PRC table, rolling-year total to March)."""
    tables = _tables(store)
    start = date(year_end(year).year - 1, 4, 1)
    prc: dict[str, float] = {}
    if PRC in tables:
        months = {str(f): int(n) for f, n in store.fetchall(
            "SELECT force, count(DISTINCT month) FROM coverage WHERE table_name = ? "
            "AND month BETWEEN ? AND ? GROUP BY force", [PRC, start, year_end(year)])}  # fmt: skip
        counts = {str(c): float(n) for c, n in store.fetchall(
            f"SELECT force_code, sum(offences) FROM {PRC} WHERE financial_year = ? GROUP BY 1",
            [year])}  # fmt: skip
        prc = {f.code: counts.get(f.code, 0.0) for f in forces if months.get(f.name, 0) == 12}
    rolling: dict[str, float] = {}
    if ROLLING in tables:
        rolling = {str(c): float(n) for c, n in store.fetchall(
            f"SELECT force_code, sum(offences) FROM {ROLLING} WHERE period_end = ? "
            "AND period_start = ? AND NOT list_contains(?, offence_group) GROUP BY 1",
            [year_end(year), start, list(FRAUD_GROUPS)])}  # fmt: skip
    return prc, rolling


def year_pairs(
    store: Store, year: str, base: str, forces: tuple[ForceRef, ...]
) -> tuple[dict[str, tuple[float, float]], dict[str, str], dict[str, str]]:
    """Each force's offences in `year` and `base`, both from one publication where one holds
    both years (the rolling-year totals first: one series, revised together; then the PRC
    tables), else from one source each. Returns (code -> (year, base), code -> sources, code ->
    reason a force has no pair)."""
    prc_now, rolling_now = source_totals(store, year, forces)
    prc_then, rolling_then = source_totals(store, base, forces)
    to = f"12 months to March {year_end(year).year} and to March {year_end(base).year}"
    pairs: dict[str, tuple[float, float]] = {}
    sources: dict[str, str] = {}
    absent: dict[str, str] = {}
    tables = _tables(store)
    for f in forces:
        c = f.code
        if c in rolling_now and c in rolling_then:
            pairs[c], sources[c] = (rolling_now[c], rolling_then[c]), f"rolling-year totals, {to}"
        elif c in prc_now and c in prc_then:
            pairs[c], sources[c] = (
                (prc_now[c], prc_then[c]),
                f"Home Office PRC PFA tables {year} and {base}",
            )
        elif (c in prc_now or c in rolling_now) and (c in prc_then or c in rolling_then):
            pairs[c] = (
                prc_now.get(c, rolling_now.get(c, 0.0)),
                prc_then.get(c, rolling_then.get(c, 0.0)),
            )
            sources[c] = (f"{'PRC PFA table' if c in prc_now else 'rolling-year totals'} {year} "
                          f"and {'PRC PFA table' if c in prc_then else 'rolling-year totals'} {base} "
                          "(two publications)")  # fmt: skip
        else:
            missing = year if c not in prc_now and c not in rolling_now else base
            absent[c] = (f"{f.short_name} has no recorded crime total for {missing} (PRC tables: "
                         f"{_held(store, PRC, tables)}; rolling-year totals: "
                         f"{_rolling_held(store, tables)})")  # fmt: skip
    return pairs, sources, absent


def _held(store: Store, table: str, tables: set[str]) -> str:
    return held_text(store, table) if table in tables else "none held"


def _rolling_held(store: Store, tables: set[str]) -> str:
    if ROLLING not in tables:
        return "none held"
    last = store.scalar(f"SELECT max(period_end) FROM {ROLLING}")
    return f"to the year ending {last:%B %Y}" if last else "none held"


def change_row(
    store: Store, reference: ForceReference, force: ForceRef, year: str, peers: Peers
) -> ChangeRow:
    """The force's change in recorded crime from the previous financial year, against England and
    Wales (pooled over forces held in both years) and its peers."""
    base = previous_year(year)
    forces = reference.territorial()
    pairs, sources, absent = year_pairs(store, year, base, forces)
    now = {c: p[0] for c, p in pairs.items()}
    then = {c: p[1] for c, p in pairs.items()}
    both = sorted(pairs)
    label = "Recorded crime (excluding fraud): change on the previous year"
    method = (f"% change in offences recorded, {year} against {base} (counts, not rates: one "
              "population estimate is held)")  # fmt: skip
    if force.code not in both:
        reason = absent.get(force.code, "")
        return _no_change(label, year, base, f"{method}; {reason}", reason)
    method += f"; from {sources[force.code]}"

    def pct(code: str) -> float:
        return (now[code] - then[code]) / then[code] * 100.0

    missing = sorted(absent)
    ew_note = (f"all {len(both)} forces held in both years" if not missing else
               f"{len(both)} forces held in both years; absent, not counted: "
               + ", ".join(reference.by_code(c).short_name for c in missing))  # fmt: skip
    ew = _pooled([now[c] for c in both], [then[c] for c in both])
    used = [c for c in peers.codes if c != force.code and c in both]
    gone = [c for c in peers.codes if c != force.code and c not in both]
    excluded = f"{force.short_name} excluded from its own peer average"
    names = ", ".join(reference.by_code(c).short_name for c in used) + (
        "; absent, not counted: " + ", ".join(reference.by_code(c).short_name for c in gone)
        if gone else "")  # fmt: skip
    value = pct(force.code)
    if used:
        values = [pct(c) for c in used]
        peer = dict(
            peer_mean=simple_mean(values),
            peer_mean_method=f"simple mean of {len(used)} peers' changes ({names}); {excluded}",
            peer_weighted_mean=_pooled([now[c] for c in used], [then[c] for c in used]),
            peer_weighted_mean_method=f"pooled change of {len(used)} peers' offences (weighted "
            f"by their {base} offences); {excluded}",
            peer_min=min(values), peer_max=max(values), peer_verdict=peer_verdict(value, values),
            peer_verdict_method=f"force's change against the lowest to highest of {len(used)} "
            "peers' changes (no allowance for chance)",
        )  # fmt: skip
    else:
        why = peers.method if not peers.codes else "no peer held in both years"
        peer = dict(peer_mean=None, peer_mean_method=f"{NOT_AVAILABLE}: {why}",
                    peer_weighted_mean=None, peer_weighted_mean_method=f"{NOT_AVAILABLE}: {why}",
                    peer_min=None, peer_max=None, peer_verdict=NOT_AVAILABLE,
                    peer_verdict_method=why)  # fmt: skip
    return ChangeRow(
        measure=label, year=year, baseline_year=base, value=value,
        numerator=now[force.code], denominator=then[force.code], england_wales=ew,
        england_wales_method=f"England and Wales: pooled change of the territorial forces' "
        f"offences, this force included ({ew_note}); each force's two years from one "
        "publication where one holds both",
        **peer, method=method, status="ok", reason="",  # type: ignore[arg-type]
    )  # fmt: skip


def _pooled(now: list[float], then: list[float]) -> float:
    """The % change of pooled counts (weighted by the baseline counts).

    >>> _pooled([120.0, 90.0], [100.0, 100.0])
    5.0
    """
    return (sum(now) - sum(then)) / sum(then) * 100.0


def _no_change(label: str, year: str, base: str, method: str, reason: str) -> ChangeRow:
    return ChangeRow(
        measure=label, year=year, baseline_year=base, value=None, numerator=None,
        denominator=None, england_wales=None, england_wales_method=NOT_AVAILABLE,
        peer_mean=None, peer_mean_method=NOT_AVAILABLE, peer_weighted_mean=None,
        peer_weighted_mean_method=NOT_AVAILABLE, peer_min=None, peer_max=None,
        peer_verdict=NOT_AVAILABLE, peer_verdict_method=reason, method=method,
        status="no_data", reason=reason,
    )  # fmt: skip


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


def choose_peers(
    store: Store,
    reference: ForceReference,
    force: ForceRef,
    year: str,
    *,
    peer_file: Path | None = None,
    most_like: int | None = None,
) -> Peers:
    """The peers named in `peer_file`, else the `most_like` (default seven) forces most like
    `force` computed from the data, with the method either way."""
    if peer_file is not None:
        return supplied_peers(load_peer_groups(peer_file, reference), reference, force)
    return most_like_peers(store, reference, force, year, most_like or DEFAULT_MOST_LIKE)


def national_view(
    store: Store,
    force_name: str,
    month: date,
    *,
    peer_file: Path | None = None,
    most_like: int | None = None,
    measures: tuple[NationalMeasure, ...] = MEASURES,
    funnel_measures: tuple[str, ...] = FUNNEL_MEASURES,
    adjustment: fn.Adjustment = "additive",
    reference: ForceReference | None = None,
) -> NationalView:
    """How `force_name` compares in the national year its `month` report reads: every measure
    against England and Wales and its peers, the change on the previous year, and funnel plots.
    Anything that cannot be compared is `no_data` with its reason, never a zero."""
    reference = reference or load_force_reference()
    force = reference.resolve(force_name)
    if force is None or not force.territorial:
        why = (f"{force_name} is not one of the 43 police force areas of England and Wales the "
               "national tables compare")  # fmt: skip
        return NationalView(force_name, month, None, "", None, (), (), "no_data", why)
    year, rule = national_year(store, month)
    if year is None:
        return NationalView(force_name, month, None, rule, None, (), (), "no_data", rule)
    peers = choose_peers(store, reference, force, year, peer_file=peer_file, most_like=most_like)
    comparison = compare(store, reference, force, year, peers, measures=measures,
                         adjustment=adjustment)  # fmt: skip
    change = change_row(store, reference, force, year, peers)
    wanted = [m for m in measures if m.id in funnel_measures]
    funnels = tuple(
        v for m in wanted
        if (v := funnel_view(store, reference, force, m, year, peers, adjustment)) is not None
    )  # fmt: skip
    sources = [f.basis for f in funnels]
    if any(r.status == "ok" and r.unit.startswith("%") for r in comparison.rows):
        sources.append(f"Home Office crime outcomes open data {year}")
    if change.status == "ok":
        sources.append(f"Change on {change.baseline_year}: {change.method.split('; from ', 1)[-1]}")
    return NationalView(force_name, month, year, rule, comparison, (change,), funnels, "ok", "",
                        tuple(dict.fromkeys(sources)))  # fmt: skip


def national_years(store: Store) -> list[str]:
    """Financial years the PRC tables or the outcomes data hold, latest first."""
    tables = _tables(store)
    years: set[str] = set()
    for table in (PRC, "national_outcomes"):
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
