"""The dashboard's national page: every force on one measure and year, as a funnel plot and a
ranked table with 95% rank intervals, with the dashboard's force and its peers marked.

The figures come from the engine (`engine/national_view.py`) and the chart from the report's
funnel plot, so page and board report agree; nothing is computed here. A force or year the
national tables do not hold is listed as not available with its reason, never as zero.
"""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException

from policeperf.engine.national_compare import Peers
from policeperf.engine.national_data import MEASURES
from policeperf.engine.national_funnel import funnel_view, league, national_years
from policeperf.engine.national_view import choose_peers, holds_national
from policeperf.reference.national_forces import load_force_reference
from policeperf.report.national import figure, funnel_chart
from policeperf.store import Store

YEAR_PATTERN = r"^(19|20)\d{2}/\d{2}$"
DEFAULT_MEASURE = "recorded_crime"


def national_context(
    db: Store, force_name: str, measure_id: str, year: str | None, force: str | None
) -> dict[str, Any]:
    """What the page shows for `measure_id` in `year` (default: the latest held), with `force`
    (default: the dashboard's force) and its most similar forces marked. Unknown measure or
    force: 404, said in one line."""
    measures = {m.id: m for m in MEASURES}
    measure = measures.get(measure_id)
    if measure is None:
        raise HTTPException(404, f"no such national measure: expected one of {', '.join(measures)}")
    reference = load_force_reference()
    chosen = reference.resolve(force) if force else reference.resolve(force_name)
    if force and (chosen is None or not chosen.territorial):
        raise HTTPException(404, "no such police force area of England and Wales")
    base: dict[str, Any] = {
        "measures": [(m.id, m.label) for m in MEASURES], "measure": measure,
        "forces": [f.short_name for f in sorted(reference.territorial(), key=lambda f: f.short_name)],
        "chosen": chosen.short_name if chosen else "", "figure": figure,
    }  # fmt: skip
    if not holds_national(db):
        return {**base, "years": [], "year": year or "", "league": None, "chart": None,
                "peers": "", "reason": "the store holds no national tables; run "
                "'policeperf national ingest'"}  # fmt: skip
    years = national_years(db)
    year = year or (years[0] if years else "")
    table = league(db, reference, measure, year)
    if chosen is not None and chosen.territorial:
        peers = choose_peers(db, reference, chosen, year)
        view = funnel_view(db, reference, chosen, measure, year, peers)
    else:
        peers = Peers((), f"{force_name} is not a police force area: choose a force to mark")
        view = None
    held = [r for r in table.rows if r.status == "ok"]
    reason = (
        ""
        if held
        else f"no force is held for {measure.label.lower()} in {year}: "
        + (table.rows[0].reason if table.rows else "nothing held")
    )
    return {
        **base, "years": years, "year": year, "league": table, "peers": peers.method,
        "peer_codes": set(peers.codes), "chart": funnel_chart(view, base["chosen"]) if view else None,
        "reason": reason,
    }  # fmt: skip
