"""Commentary paragraphs per focus area, from the results table for the reporting month."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from policeperf.narrative import sentences as S
from policeperf.narrative.facts import Facts


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of commentary and the measure(s) it speaks of."""

    text: str
    measure_ids: tuple[str, ...]
    kind: str
    """'measure' (headline, trend, record, SPC), 'areas' (area comparison) or 'unavailable'."""
    directional: tuple[str, ...] = ()
    """The sentences that describe the comparison with the baseline (headline and trend)."""


def _facts(rows: pd.DataFrame) -> list[Facts]:
    return [Facts.from_row(r) for r in rows.to_dict(orient="records")]


def measure_paragraph(f: Facts) -> Paragraph:
    if not f.available:
        # Nothing but the fact that it is unavailable, and why: no trend, record or SPC claims.
        return Paragraph(S.unavailable(f), (f.measure_id,), "unavailable")
    head = S.headline(f)
    move = S.trend(f)
    parts = [head, move, S.record(f), S.spc(f)]
    text = " ".join(p for p in parts if p)
    return Paragraph(text, (f.measure_id,), "measure", tuple(p for p in (head, move) if p))


def commentary(results: pd.DataFrame, month: date) -> dict[str, list[Paragraph]]:
    """Paragraphs per focus area id, in framework order."""
    now = results[results["month"] == month]
    out: dict[str, list[Paragraph]] = {}
    force = now[now["area_level"] == "force"]
    for focus_id, rows in force.groupby("focus_area_id", sort=False):
        paragraphs = [measure_paragraph(f) for f in _facts(rows)]
        areas = now[(now["area_level"] == "area") & (now["focus_area_id"] == focus_id)]
        for measure_id, pair in areas.groupby("measure_id", sort=False):
            if len(pair) != 2 or pair["unit"].iloc[0] not in ("pct", "per_population"):
                continue
            first, second = _facts(pair.sort_values("area"))
            if not (first.available and second.available):
                continue
            sentence = S.area_comparison(first, second)
            if sentence:
                paragraphs.append(Paragraph(sentence, (str(measure_id),), "areas"))
        out[str(focus_id)] = paragraphs
    return out
