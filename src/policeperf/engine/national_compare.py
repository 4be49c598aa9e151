"""How a force compares: against England and Wales, its peers, a funnel plot and a ranking.

Every row names its method. The England and Wales figure is the total of the forces held over
their total population or offences (so it is population-weighted by construction), with every
absent force named. The peer average is given twice, as the *simple mean* of the peers' figures
(each force counts once) and as the *weighted mean* (their pooled counts over their pooled
denominator); the force itself is never one of its own peers. The peer verdict says whether the
force lies above, below or within the range (lowest to highest) of its peers' figures; the funnel
verdict whether it lies outside the 95% or 99.8% over-dispersed limits (`engine/funnel.py`); the
rank is shown only with its 95% interval (`engine/rank_interval.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from policeperf.engine import funnel as fn
from policeperf.engine import rank_interval as ri
from policeperf.engine.most_similar import SimilarForces, most_similar
from policeperf.engine.national_data import (
    MEASURES,
    PER,
    MeasureFigures,
    NationalMeasure,
    measure_figures,
    population,
)
from policeperf.reference.national_forces import ForceRef, ForceReference
from policeperf.reference.peer_groups import PeerGroups
from policeperf.store import Store

NOT_AVAILABLE = "not available"


@dataclass(frozen=True)
class Peers:
    """The forces a force is compared with, and how they were chosen."""

    codes: tuple[str, ...]
    method: str


@dataclass(frozen=True)
class ComparisonRow:
    """One measure for one force, against England and Wales and its peers."""

    force: str
    measure_id: str
    measure: str
    year: str
    unit: str
    value: float | None
    numerator: float | None
    denominator: float | None
    england_wales: float | None
    england_wales_method: str
    peer_mean: float | None
    peer_mean_method: str
    peer_weighted_mean: float | None
    peer_weighted_mean_method: str
    peer_min: float | None
    peer_max: float | None
    peers_used: str
    peer_group: str
    """How the peers were chosen (file and its source, or the computed method)."""
    peer_verdict: str
    peer_verdict_method: str
    funnel_verdict: str
    funnel_lower_998: float | None
    funnel_upper_998: float | None
    funnel_phi: float | None
    """Dispersion ratio of the measure across forces (1 = Poisson/binomial)."""
    funnel_tau2: float | None
    """Between-force variance on the transformed scale."""
    funnel_method: str
    rank: int | None
    rank_low: int | None
    rank_high: int | None
    rank_of: int | None
    rank_method: str
    status: str
    """`ok`, or `no_data` when the force has no figure (the reason says why)."""
    reason: str


@dataclass(frozen=True)
class Comparison:
    """Every measure's row for one force and year, with the peer basis."""

    force: ForceRef
    year: str
    peers: Peers
    rows: tuple[ComparisonRow, ...]
    notes: tuple[str, ...] = field(default=())

    def records(self) -> list[dict[str, Any]]:
        return [asdict(r) for r in self.rows]


def peer_verdict(value: float, peer_values: Sequence[float]) -> str:
    """'above the peer range' / 'below the peer range' / 'within the peer range'.

    >>> peer_verdict(5.0, [1.0, 4.0]), peer_verdict(4.0, [1.0, 4.0]), peer_verdict(0.5, [1.0])
    ('above the peer range', 'within the peer range', 'below the peer range')
    """
    if value > max(peer_values):
        return "above the peer range"
    if value < min(peer_values):
        return "below the peer range"
    return "within the peer range"


def simple_mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def weighted_mean(
    numerators: Sequence[float], denominators: Sequence[float], scale: float
) -> float:
    """Pooled counts over pooled denominators: the mean of rates weighted by denominator.

    >>> weighted_mean([10, 30], [1000, 1000], 1000.0)
    20.0
    """
    return sum(numerators) / sum(denominators) * scale


def most_like_peers(
    store: Store,
    reference: ForceReference,
    force: ForceRef,
    year: str,
    k: int,
    measures: Sequence[NationalMeasure] = MEASURES,
) -> Peers:
    """The `k` forces nearest `force` on log population and the log rates of the crime mix
    (the offence groups, or the police.uk categories, among `measures`)."""
    pops, pop_note = population(store, year)
    groups = [m for m in measures if m.feature]
    figures = [measure_figures(store, m, year, reference.territorial()) for m in groups]
    features: dict[str, dict[str, float]] = {}
    for f in reference.territorial():
        if f.code not in pops or any(f.code not in mf.held for mf in figures):
            continue
        row = {"population": pops[f.code]}
        for m, mf in zip(groups, figures, strict=True):
            row[f"{m.label.lower()} per 1,000"] = mf.held[f.code].value("rate")
        features[f.code] = row
    if force.code not in features or len(features) < 2:
        return Peers(
            (), f"most similar forces not computed: {force.short_name} has no figures for {year}"
        )
    names = ["population", *(f"{m.label.lower()} per 1,000" for m in groups)]
    source = figures[0].basis.split(";")[0] if figures else ""
    found: SimilarForces = most_similar(
        features, force.code, k, names=names,
        basis=f"{source}, {pop_note}; density not used: no area data held; "
        f"{len(features)} forces with every figure",
    )  # fmt: skip
    shown = ", ".join(reference.by_code(c).short_name for c in found.peers)
    return Peers(found.peers, f"{found.method()}: {shown}")


def supplied_peers(groups: PeerGroups, reference: ForceReference, force: ForceRef) -> Peers:
    codes = groups.peers_of(force.code)
    if codes is None:
        return Peers((), f"{force.short_name} has no peer group in {groups.path}")
    shown = ", ".join(reference.by_code(c).short_name for c in codes)
    return Peers(codes, f"{groups.method(len(codes))}: {shown}")


def compare(
    store: Store,
    reference: ForceReference,
    force: ForceRef,
    year: str,
    peers: Peers,
    *,
    measures: Sequence[NationalMeasure] = MEASURES,
    adjustment: fn.Adjustment = "additive",
    simulations: int = ri.SIMULATIONS,
    seed: int = ri.SEED,
) -> Comparison:
    """Compare `force` with England and Wales and `peers` on every measure for `year`."""
    forces = reference.territorial()
    rows = [
        _row(measure_figures(store, m, year, forces), reference, force, peers, adjustment,
             simulations, seed)
        for m in measures
    ]  # fmt: skip
    return Comparison(force, year, peers, tuple(rows))


def _row(
    figures: MeasureFigures,
    reference: ForceReference,
    force: ForceRef,
    peers: Peers,
    adjustment: fn.Adjustment,
    simulations: int,
    seed: int,
) -> ComparisonRow:
    m = figures.measure
    scale = PER if m.kind == "rate" else 100.0
    held = figures.held
    codes = sorted(held)
    missing = sorted(set(figures.absent) - {force.code})
    ew_note = (
        f"all {len(codes)} forces held" if not missing
        else f"{len(codes)} forces held; absent, not counted: "
        + ", ".join(reference.by_code(c).short_name for c in missing)
    )  # fmt: skip
    ew = (
        weighted_mean([held[c].numerator for c in codes], [held[c].denominator for c in codes], scale)
        if codes else None
    )  # fmt: skip
    base: dict[str, Any] = {
        "force": force.short_name, "measure_id": m.id, "measure": m.label, "year": figures.year,
        "unit": m.unit, "england_wales": ew,
        "england_wales_method": f"England and Wales: pooled counts over pooled "
        f"{'population' if m.kind == 'rate' else 'offences'} of the territorial forces, "
        f"this force included ({ew_note}); {figures.basis}",
    }  # fmt: skip
    if force.code not in held:
        return _absent(base, figures.absent.get(force.code, f"{force.short_name} not held"))
    mine = held[force.code]
    value = mine.value(m.kind)
    peer_part = _peer_part(figures, reference, force, peers, value, scale)
    f = fn.funnel(
        [held[c].numerator for c in codes], [held[c].denominator for c in codes],
        target=(ew or 0.0) if m.kind == "rate" else (ew or 0.0) / 100.0,
        scale=m.kind, per=PER, adjustment=adjustment,
    )  # fmt: skip
    point = f.points[codes.index(force.code)]
    ranks = ri.rank_intervals(
        [held[c].numerator for c in codes], [held[c].denominator for c in codes],
        kind=m.kind, simulations=simulations, seed=seed,
    )  # fmt: skip
    rank = ranks[codes.index(force.code)]
    limit_scale = 1.0 if m.kind == "rate" else 100.0
    return ComparisonRow(
        **base, value=value, numerator=mine.numerator, denominator=mine.denominator,
        **peer_part,
        funnel_verdict=point.verdict,
        funnel_lower_998=point.lower_998 * limit_scale,
        funnel_upper_998=point.upper_998 * limit_scale,
        funnel_phi=f.phi,
        funnel_tau2=f.tau2,
        funnel_method=f.method() + f"; against England and Wales, {len(codes)} forces",
        rank=rank.rank, rank_low=rank.low, rank_high=rank.high, rank_of=rank.of,
        rank_method=ri.method(simulations, seed), status="ok", reason="",
    )  # fmt: skip


def _peer_part(
    figures: MeasureFigures,
    reference: ForceReference,
    force: ForceRef,
    peers: Peers,
    value: float,
    scale: float,
) -> dict[str, Any]:
    held = figures.held
    used = [c for c in peers.codes if c != force.code and c in held]
    absent = [c for c in peers.codes if c != force.code and c not in held]
    names = ", ".join(reference.by_code(c).short_name for c in used)
    if absent:
        names += "; absent, not counted: " + ", ".join(
            reference.by_code(c).short_name for c in absent
        )
    excluded = f"{force.short_name} excluded from its own peer average"
    if not used:
        why = peers.method if not peers.codes else "no peer held for this measure"
        return {
            "peer_mean": None, "peer_mean_method": f"{NOT_AVAILABLE}: {why}",
            "peer_weighted_mean": None, "peer_weighted_mean_method": f"{NOT_AVAILABLE}: {why}",
            "peer_min": None, "peer_max": None, "peers_used": names, "peer_group": peers.method,
            "peer_verdict": NOT_AVAILABLE, "peer_verdict_method": why,
        }  # fmt: skip
    values = [held[c].value(figures.measure.kind) for c in used]
    return {
        "peer_mean": simple_mean(values),
        "peer_mean_method": f"simple mean of {len(used)} peers' figures, each force counted "
        f"once; {excluded}",
        "peer_weighted_mean": weighted_mean(
            [held[c].numerator for c in used], [held[c].denominator for c in used], scale
        ),
        "peer_weighted_mean_method": f"{'population' if figures.measure.kind == 'rate' else 'offence'}"
        f"-weighted mean of {len(used)} peers (pooled counts over pooled denominators); {excluded}",
        "peer_min": min(values), "peer_max": max(values), "peers_used": names, "peer_group": peers.method,
        "peer_verdict": peer_verdict(value, values),
        "peer_verdict_method": f"force's figure against the lowest to highest of {len(used)} "
        "peers' figures (no allowance for chance: see the funnel verdict)",
    }  # fmt: skip


def _absent(base: dict[str, Any], reason: str) -> ComparisonRow:
    return ComparisonRow(
        **base, value=None, numerator=None, denominator=None,
        peer_mean=None, peer_mean_method=NOT_AVAILABLE, peer_weighted_mean=None,
        peer_weighted_mean_method=NOT_AVAILABLE, peer_min=None, peer_max=None, peers_used="", peer_group="",
        peer_verdict=NOT_AVAILABLE, peer_verdict_method=reason,
        funnel_verdict=NOT_AVAILABLE, funnel_lower_998=None, funnel_upper_998=None,
        funnel_phi=None,
        funnel_tau2=None,
        funnel_method=reason, rank=None, rank_low=None, rank_high=None, rank_of=None,
        rank_method=reason, status="no_data", reason=reason,
    )  # fmt: skip
