"""Recorded crime this financial year against the previous one, for a force, England and Wales
and its peers: the change the report's "How we compare" section shows.

A year's totals come from the PRC table where it holds the year, or from the rolling-year totals
for the twelve months to March (the same offences: fraud is recorded nationally and left out of
both). Publications differ by later revisions, so a force's two years are read from one
publication where one holds both. A year neither holds is not available, with the years each
source holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from policeperf.engine.national_compare import NOT_AVAILABLE, Peers, peer_verdict, simple_mean
from policeperf.engine.national_data import held_text
from policeperf.reference.national_forces import ForceRef, ForceReference
from policeperf.store import Store

FRAUD_GROUPS = ("Fraud offences", "Action Fraud", "CIFAS", "UK Finance")
"""Rolling-year offence groups of fraud, recorded nationally and left out of force totals."""


PRC = "national_crime"
ROLLING = "national_rolling_crime"


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
