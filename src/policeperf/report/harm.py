"""The harm section of the report and dashboard: the top offenders (pseudonymous ids), the
concentration curve and, when given, a managed cohort's before/after results. Figures come from
the ranking and cohort the harm package computed; nothing is recomputed here."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pandas as pd
import vl_convert

from policeperf.harm.cohort import CohortResult
from policeperf.harm.rank import Ranking
from policeperf.narrative import numbers as N
from policeperf.narrative.harm import cohort_sentences, concentration_sentences
from policeperf.report.charts import SCHEMA, dataset_name, records

TOP_ROWS = 10


@dataclass(frozen=True)
class HarmSection:
    title: str
    window: str
    weights: str
    top: list[tuple[str, str, str, str, str]]
    """(rank, pseudonymous id, harm days, crimes, share)"""
    sentences: list[str]
    chart_svg: str
    cohort: list[str]


def concentration_chart(ranking: Ranking) -> str:
    """Cumulative share of harm against share of people, with the line of equal shares."""
    if not len(ranking.table):
        return ""
    svg = vl_convert.vegalite_to_svg(json.dumps(concentration_spec(ranking)))
    return svg.split("?>", 1)[-1].strip() if svg.startswith("<?xml") else svg


def concentration_spec(ranking: Ranking) -> dict[str, Any]:
    """The concentration chart's Vega-Lite specification, as Altair wrote it, built directly."""
    table = ranking.table
    n = len(table)
    step = max(1, n // 400)
    points = pd.DataFrame({
        "people_pct": [0.0, *[100 * (i + 1) / n for i in range(0, n, step)], 100.0],
        "harm_pct": [0.0, *[float(table["cumulative_pct"].iloc[i]) for i in range(0, n, step)], 100.0],
    })  # fmt: skip
    equal = pd.DataFrame({"people_pct": [0, 100], "harm_pct": [0, 100]})
    curve_values, equal_values = records(points), records(equal)
    curve_name, equal_name = dataset_name(curve_values), dataset_name(equal_values)
    axis_x = {"field": "people_pct", "title": f"% of {ranking.by}s (most harmful first)"}
    return {
        "config": {"view": {"continuousWidth": 300, "continuousHeight": 300}},
        "layer": [
            {"data": {"name": curve_name}, "mark": {"type": "line", "color": "#1f5aa6"},
             "encoding": {"x": {**axis_x, "type": "quantitative"},
                          "y": {"field": "harm_pct", "title": "% of harm", "type": "quantitative"}}},
            {"data": {"name": equal_name},
             "mark": {"type": "line", "color": "#8c8c8c", "strokeDash": [4, 4]},
             "encoding": {"x": {"field": "people_pct", "type": "quantitative"},
                          "y": {"field": "harm_pct", "type": "quantitative"}}},
        ],
        "height": 240,
        "title": {"text": "Concentration of harm", "anchor": "start", "fontSize": 12},
        "width": 420,
        "$schema": SCHEMA,
        "datasets": {curve_name: curve_values, equal_name: equal_values},
    }  # fmt: skip


def harm_section(ranking: Ranking, cohort: CohortResult | None = None) -> HarmSection:
    top = [
        (str(r.rank), str(r.key), f"{r.harm:,.1f}", N.count(r.crimes), f"{r.share_pct:.2f}%")
        for r in ranking.table.head(TOP_ROWS).itertuples()
    ]
    sentences = concentration_sentences(ranking)
    lines: list[str] = []
    if cohort is not None:
        lines.extend(cohort_sentences(cohort))
        lines.append(cohort.note)
    return HarmSection(
        title=f"Crime harm by {ranking.by}",
        window=ranking.window.label,
        weights=ranking.weights,
        top=top,
        sentences=sentences,
        chart_svg=concentration_chart(ranking),
        cohort=lines,
    )
