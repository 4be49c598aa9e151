"""The board report as data: header, numbered sections, scorecards, commentary, charts, breakdown
tables and appendices. Every figure is a formatted value from the results table; HTML, PDF and
XLSX are renderings of this one model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from policeperf.engine.compare import METHOD_TEXT as COMPARISON_TEXT
from policeperf.engine.verdict import METHOD_TEXT, SURVEY_METHOD, chance_note
from policeperf.framework import Framework
from policeperf.narrative import commentary
from policeperf.narrative import numbers as N
from policeperf.reference import catalogue, outcome_sets
from policeperf.report.charts import Chart, measure_charts
from policeperf.report.suppress import rule_text

SPC_TEXT = {
    "common_cause": ("-", "Common cause variation"),
    "special_cause_improvement": ("I", "Special cause: improvement"),
    "special_cause_concern": ("C", "Special cause: concern"),
    "special_cause_neutral_high": ("H", "Special cause: higher"),
    "special_cause_neutral_low": ("L", "Special cause: lower"),
}
NO_SPC = ("", "Not available")
"""No SPC result (too few unbroken months with data): never shown as common cause."""
UNAVAILABLE = "Not available"


@dataclass(frozen=True)
class ScoreRow:
    measure_id: str
    measure: str
    rolling_12m: str
    baseline: str
    change: str
    verdict: str
    method: str
    spc_letter: str
    spc_text: str
    spc_class: str
    status: str = "ok"
    reason: str = ""
    """Why the figure or its verdict is not available (empty when it stands)."""


@dataclass(frozen=True)
class FocusSection:
    number: str
    name: str
    paragraphs: list[tuple[str, str]]
    """(paragraph number such as 4.2.1, text)"""
    charts: list[Chart]


@dataclass(frozen=True)
class BreakdownTable:
    title: str
    columns: list[str]
    rows: list[tuple[str, list[str]]]
    note: str = ""
    """Shown in place of, or under, the table: why it is empty or what 'n/a' means."""


@dataclass(frozen=True)
class PillarSection:
    number: str
    name: str
    scorecard: list[ScoreRow]
    focus: list[FocusSection]
    areas: BreakdownTable
    districts: BreakdownTable


@dataclass
class Report:
    title: str
    to: str
    from_: str
    date: str
    month: str
    force: str
    framework: str
    purpose: str
    background: str
    pillars: list[PillarSection]
    methods: list[tuple[str, str]]
    outcome_sets: list[tuple[str, str]]
    definitions: list[tuple[str, str]]
    provenance: list[tuple[str, str]]
    sources: list[tuple[str, str]]
    suppressed_below: int | None = None
    confidence: str = "95%"
    harm: Any = None
    """A HarmSection (report/harm.py) when the harm section is wanted."""
    testing: str = ""
    """How many verdicts the scorecards test and how many chance alone would give."""
    extra: dict[str, Any] = field(default_factory=dict)


def _change(row: dict[str, Any]) -> str:
    if row.get("unit") == "pct":
        v = row.get("change_ppt")
        return (
            N.SUPPRESSED
            if v == N.SUPPRESSED
            else ("-" if N.is_missing(v) else f"{float(v):+.1f}ppt")
        )
    v = row.get("change_pct")
    return N.SUPPRESSED if v == N.SUPPRESSED else ("-" if N.is_missing(v) else f"{float(v):+.1f}%")


def _with_n(row: dict[str, Any], figure: str, n_column: str) -> str:
    text = N.value(row.get(figure), str(row["unit"]))
    n = row.get(n_column)
    if (
        row.get("method") == SURVEY_METHOD
        and text not in ("-", N.SUPPRESSED)
        and not N.is_missing(n)
        and n != N.SUPPRESSED
    ):
        return f"{text} ({N.n(n)})"
    return text


def _status(row: dict[str, Any]) -> str:
    status = row.get("status")
    return "ok" if N.is_missing(status) else str(status)


def score_row(row: dict[str, Any]) -> ScoreRow:
    raw_class = row.get("spc_class")
    spc_class = "none" if N.is_missing(raw_class) else str(raw_class)
    letter, text = SPC_TEXT.get(spc_class, NO_SPC)
    if row.get("month_suppressed") is True:
        # The monthly points are hidden, so is what SPC says of them.
        spc_class, letter, text = "suppressed", N.SUPPRESSED, "Suppressed: small numbers"
    status = _status(row)
    reason = "" if status == "ok" or N.is_missing(row.get("reason")) else str(row["reason"])
    figure_stands = status in ("ok", "incomplete_baseline")
    return ScoreRow(
        measure_id=str(row["measure_id"]),
        measure=str(row["measure"]),
        rolling_12m=_with_n(row, "rolling_12m", "rolling_12m_denominator")
        if figure_stands
        else UNAVAILABLE,
        baseline=_with_n(row, "baseline", "baseline_denominator")
        if status == "ok"
        else UNAVAILABLE,
        change=_change(row) if status == "ok" else "-",
        verdict=str(row.get("verdict") or "-") if status == "ok" else UNAVAILABLE,
        method=str(row.get("method") or "") if status == "ok" else reason,
        spc_letter=letter,
        spc_text=text,
        spc_class=spc_class,
        status=status,
        reason=reason,
    )


def _breakdown(
    now: pd.DataFrame, pillar_id: str, level: str, title: str, *, areas_configured: bool = True
) -> BreakdownTable:
    rows = now[(now["pillar_id"] == pillar_id) & (now["area_level"] == level)]
    areas = sorted(rows["area"].dropna().astype(str).unique())
    body = []
    unavailable = False
    # Rows as dicts in one conversion, then grouped by measure in order of first appearance:
    # converting each measure's few rows apart cost ten milliseconds a measure.
    measures: dict[object, list[dict[str, Any]]] = {}
    for r in rows.to_dict(orient="records"):
        measures.setdefault(r["measure_id"], []).append(r)
    for group in measures.values():
        by_area = {str(r["area"]): r for r in group}
        name = str(group[0]["measure"])
        cells = []
        for a in areas:
            r = by_area.get(a)
            if r is None:
                cells.append("-")
            elif _status(r) in ("ok", "incomplete_baseline"):
                cells.append(N.value(r["rolling_12m"], str(r["unit"])))
            else:
                cells.append("n/a")
                unavailable = True
        body.append((name, cells))
    note = (
        "n/a: not available for that area (see the measure's reason in the scorecard or XLSX)."
        if unavailable
        else ""
    )
    if not areas and level == "area" and not areas_configured:
        note = (
            "No policing areas are configured for this force; group its districts into areas "
            "in a force profile (policeperf force init) to see this table."
        )
    return BreakdownTable(title, areas, body, note)


def build_report(
    results: pd.DataFrame,
    framework: Framework,
    month: date,
    *,
    provenance: list[tuple[str, str]] | None = None,
    today: date | None = None,
    suppressed_below: int | None = None,
    charts: bool = True,
) -> Report:
    """The report model for the reporting `month`. `results` may be suppressed already."""
    now = results[results["month"] == month]
    force_rows = now[now["area_level"] == "force"]
    paragraphs = commentary(results, month)
    pillars = []
    chart_map = measure_charts(results, list(force_rows["measure_id"].unique())) if charts else {}
    for p_index, pillar in enumerate(framework.pillars, start=4):
        scorecard = [
            score_row(r)
            for r in force_rows[force_rows["pillar_id"] == pillar.id].to_dict(orient="records")
        ]
        focus_sections = []
        number = 2
        for priority in pillar.priorities:
            for focus in priority.focus_areas:
                texts = [p.text for p in paragraphs.get(focus.id, [])]
                if focus.commentary:
                    texts.insert(0, focus.commentary)
                numbered = [(f"{p_index}.{number}.{k}", t) for k, t in enumerate(texts, start=1)]
                focus_charts = [chart_map[m.id] for m in focus.measures if m.id in chart_map]
                focus_sections.append(
                    FocusSection(f"{p_index}.{number}", focus.name, numbered, focus_charts)
                )
                number += 1
        pillars.append(
            PillarSection(
                number=str(p_index),
                name=pillar.name,
                scorecard=scorecard,
                focus=focus_sections,
                areas=_breakdown(
                    now,
                    pillar.id,
                    "area",
                    "Rolling 12 months by policing area",
                    areas_configured=bool((now["area_level"] == "area").any()),
                ),
                districts=_breakdown(now, pillar.id, "district", "Rolling 12 months by district"),
            )
        )
    used = sorted(set(force_rows["method"].dropna()))
    compared = (
        now.loc[now["area_level"] == "area", "comparison_method"]
        if "comparison_method" in now
        else []
    )
    area_methods = sorted({str(m) for m in compared if isinstance(m, str)})
    confidence = framework.settings.confidence
    sets = outcome_sets()
    used_sets = sorted({m.outcome_set for *_, m in framework.measures() if m.outcome_set})
    text = framework.report
    return Report(
        title=text.title,
        to=text.to,
        from_=text.from_,
        date=(today or date.today()).strftime("%d %B %Y"),
        month=N.month(month),
        force=str(results.attrs.get("force") or framework.force or ""),
        framework=f"{framework.title} (version {framework.version})",
        purpose=text.purpose,
        background=text.background,
        pillars=pillars,
        methods=[(m, METHOD_TEXT.get(m, m)) for m in used]
        + [(f"{m} (areas)", COMPARISON_TEXT.get(m, m)) for m in area_methods],
        outcome_sets=[
            (
                sets[s].label,
                f"Home Office outcome types {', '.join(str(t) for t in sorted(sets[s].types))}. {sets[s].description}",
            )
            for s in used_sets
            if s in sets
        ],
        definitions=[
            ("Rolling 12 months", f"The 12 months ending {N.month(month)}."),
            (
                "Baseline",
                "The previous complete financial year (April to March) before the year containing the reporting month, unless the framework fixes one.",
            ),
            (
                "Perf v Benchmark",
                f"Counts: Higher / Lower / Comparable; rates and proportions: Improved / Deteriorated / Comparable. A verdict is given only where the difference is statistically significant at the {confidence:.0%} confidence level; otherwise Comparable.",
            ),
            ("ppt", "Percentage points: the difference between two percentages."),
            *([("Suppression", rule_text(suppressed_below))] if suppressed_below else []),
            (
                "SPC",
                "Statistical process control (XmR chart, NHS England Making Data Count): limits at the mean +/- 2.66 x the mean moving range; special cause variation is a point outside the limits, a run of 7 on one side of the mean, 7 rising or falling, or 2 of 3 near a limit.",
            ),
        ],
        provenance=provenance or [],
        sources=[
            (entry.name, f"{entry.version}: {entry.source}") for entry in catalogue().values()
        ],
        suppressed_below=suppressed_below,
        confidence=f"{confidence:.0%}",
        testing=chance_note(
            int(force_rows["p_value"].notna().sum()) if "p_value" in force_rows else 0,
            confidence,
            framework.settings.multiple_testing,
        ),
    )
