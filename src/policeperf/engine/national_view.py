"""The national comparison a board report or the dashboard shows for one force and month.

The report's national period is a financial year, because the Home Office publishes police
recorded crime by force for financial years: the *latest financial year ending at or before the
reporting month that the store's PRC tables hold*. A March 2020 report compares 2019/20; a
February 2020 report the year before, since 2019/20 was not complete in February. The Home
Office publishes each year some months after it ends, so a March report usually compares the
year before the one just ended; the section then says that the latest complete year is not held.

Beside the rates (`national_compare`), the section gives the change in recorded crime on the
previous financial year (`national_change`) and a funnel plot (`national_funnel`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from policeperf.engine import funnel as fn
from policeperf.engine.national_change import PRC, ChangeRow, change_row, year_end
from policeperf.engine.national_compare import (
    Comparison,
    Peers,
    compare,
    most_like_peers,
    supplied_peers,
)
from policeperf.engine.national_data import MEASURES, NationalMeasure, held_text
from policeperf.engine.national_funnel import FunnelView, funnel_view
from policeperf.reference.national_forces import ForceRef, ForceReference, load_force_reference
from policeperf.reference.peer_groups import load_peer_groups
from policeperf.store import Store

DEFAULT_MOST_LIKE = 7
"""Peers when no peer file is given: HMICFRS and the Home Office compare a force with a most
similar group of (up to) seven other forces."""
FUNNEL_MEASURES = ("recorded_crime",)
"""Measures the report draws a funnel plot of."""


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


def financial_year_ending(month: date) -> str:
    """The financial year whose last month is the latest March at or before `month`.

    >>> financial_year_ending(date(2020, 3, 1)), financial_year_ending(date(2020, 2, 1))
    ('2019/20', '2018/19')
    """
    end = month.year if month.month >= 3 else month.year - 1
    return f"{end - 1}/{end % 100:02d}"


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
