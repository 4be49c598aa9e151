"""The board report's "How we compare" section: the force against England and Wales and its
peers, from the national view the engine computed (`engine/national_view.py`). Nothing is
recomputed here; figures are formatted, each comparison keeps its method (a note letter in the
tables, the full text in the section's method list and in every CSV/XLSX row), and a figure that
is not available says so and why.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any

import vl_convert

from policeperf.engine.export import neutralise
from policeperf.engine.national_change import ChangeRow
from policeperf.engine.national_compare import NOT_AVAILABLE, ComparisonRow
from policeperf.engine.national_export import ATTRIBUTION
from policeperf.engine.national_funnel import FunnelView
from policeperf.engine.national_view import NationalView
from policeperf.report.charts import SCHEMA, dataset_name

TITLE = "How we compare"
ROLE_ORDER = ["this force", "peer", "other force"]
ROLE_SHAPES = ["diamond", "square", "circle"]
ROLE_COLOURS = ["#d9822b", "#1f5aa6", "#8c8c8c"]
RECORD_COLUMNS = [
    "force", "measure_id", "measure", "year", "baseline_year", "unit", "value", "numerator",
    "denominator", "england_wales", "england_wales_method", "peer_mean", "peer_mean_method",
    "peer_weighted_mean", "peer_weighted_mean_method", "peer_min", "peer_max", "peers_used",
    "peer_group", "peer_verdict", "peer_verdict_method", "funnel_verdict", "funnel_lower_998",
    "funnel_upper_998", "funnel_phi", "funnel_tau2", "funnel_method", "rank", "rank_low",
    "rank_high", "rank_of", "rank_method", "status", "reason",
]  # fmt: skip
"""Columns of the section's CSV and XLSX sheet: one row per comparison, every method in full."""


@dataclass(frozen=True)
class CompareLine:
    """One measure as the section's table shows it: formatted figures, each with a method key."""

    measure: str
    force: str
    england_wales: str
    peer_mean: str
    peer_weighted_mean: str
    peer_range: str
    peer_verdict: str
    funnel: str
    rank: str
    status: str
    reason: str


@dataclass(frozen=True)
class FunnelChart:
    svg: str
    description: str
    """Text alternative for screen readers and the PDF."""
    rows: list[tuple[str, str, str, str, str]]
    """(force, role, size, value, verdict): the chart's data as a table."""


@dataclass
class NationalSection:
    """Everything the report, workbook and CSV say about how the force compares."""

    title: str
    force: str
    available: bool
    reason: str
    """Why nothing can be compared (empty when something can)."""
    year: str
    period_rule: str
    peers: str
    lines: list[CompareLine]
    changes: list[CompareLine]
    charts: list[FunnelChart]
    methods: list[tuple[str, str]]
    """(key, method text) for every method a table cell names."""
    sources: list[str]
    records: list[dict[str, Any]] = field(default_factory=list)


class _Keys:
    """Method texts given short keys (a, b, ...) in order of first use."""

    def __init__(self) -> None:
        self.keys: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        if text not in self.keys:
            n = len(self.keys)
            self.keys[text] = chr(97 + n % 26) + (str(n // 26) if n >= 26 else "")
        return self.keys[text]

    def listed(self) -> list[tuple[str, str]]:
        return [(k, t) for t, k in self.keys.items()]


def figure(value: float | None, unit: str) -> str:
    """A figure in its unit's format: rates per 1,000 to two places, percentages to one.

    >>> figure(80.5747, "per 1,000 population"), figure(9.991, "% of offences recorded"), figure(None, "%")
    ('80.57', '10.0%', 'not available')
    """
    if value is None:
        return NOT_AVAILABLE
    return f"{value:,.1f}%" if unit.startswith("%") else f"{value:,.2f}"


def _with(text: str, key: str) -> str:
    return f"{text} [{key}]"


def _line(row: ComparisonRow, keys: _Keys) -> CompareLine:
    unit = row.unit
    if row.status != "ok":
        key = keys(row.reason)
        na = _with(NOT_AVAILABLE, key)
        ew = (
            _with(figure(row.england_wales, unit), keys(row.england_wales_method))
            if row.england_wales is not None
            else na
        )
        return CompareLine(row.measure, na, ew, na, na, na, na, na, na, row.status, row.reason)
    span = (
        f"{figure(row.peer_min, unit)} to {figure(row.peer_max, unit)}"
        if row.peer_min is not None
        else NOT_AVAILABLE
    )
    rank = (
        f"{row.rank} of {row.rank_of} (95% interval {row.rank_low}-{row.rank_high})"
        if row.rank is not None
        else NOT_AVAILABLE
    )
    return CompareLine(
        measure=row.measure,
        force=figure(row.value, unit),
        england_wales=_with(figure(row.england_wales, unit), keys(row.england_wales_method)),
        peer_mean=_with(figure(row.peer_mean, unit), keys(row.peer_mean_method)),
        peer_weighted_mean=_with(
            figure(row.peer_weighted_mean, unit), keys(row.peer_weighted_mean_method)
        ),
        peer_range=span,
        peer_verdict=_with(row.peer_verdict, keys(row.peer_verdict_method)),
        funnel=_with(row.funnel_verdict, keys(row.funnel_method)),
        rank=_with(rank, keys(row.rank_method)),
        status=row.status,
        reason=row.reason,
    )


def _change_line(row: ChangeRow, keys: _Keys) -> CompareLine:
    def pct(v: float | None) -> str:
        return NOT_AVAILABLE if v is None else f"{v:+.1f}%"

    measure = f"{row.measure} ({row.year} on {row.baseline_year})"
    if row.status != "ok":
        na = _with(NOT_AVAILABLE, keys(row.method))
        return CompareLine(measure, na, na, na, na, na, na, "", "", row.status, row.reason)
    span = (
        f"{pct(row.peer_min)} to {pct(row.peer_max)}" if row.peer_min is not None else NOT_AVAILABLE
    )
    return CompareLine(
        measure=measure,
        force=_with(pct(row.value), keys(row.method)),
        england_wales=_with(pct(row.england_wales), keys(row.england_wales_method)),
        peer_mean=_with(pct(row.peer_mean), keys(row.peer_mean_method)),
        peer_weighted_mean=_with(pct(row.peer_weighted_mean), keys(row.peer_weighted_mean_method)),
        peer_range=span,
        peer_verdict=_with(row.peer_verdict, keys(row.peer_verdict_method)),
        funnel="",
        rank="",
        status=row.status,
        reason=row.reason,
    )  # fmt: skip


def chart_range(view: FunnelView) -> tuple[float, float]:
    """The figures the funnel plot's axis spans: the 99.8% limits with a margin, and every
    force inside them; a force far outside (City of London's rate per resident) would flatten
    the funnel, so it is left off the chart and named under it."""
    low = min(lim.lower_998 for lim in view.limits)
    high = max(lim.upper_998 for lim in view.limits)
    margin = (high - low) * 0.25
    inside = [p.value for p in view.points if low - margin <= p.value <= high + margin]
    return min([low, *inside]) - margin / 5, max([high, *inside]) + margin / 5


def off_chart(view: FunnelView) -> list[str]:
    """Forces left off the funnel plot's axis, each with its figure."""
    low, high = chart_range(view)
    return [f"{p.force} ({figure(p.value, view.unit)})" for p in view.points
            if not low <= p.value <= high]  # fmt: skip


def funnel_spec(view: FunnelView) -> dict[str, Any]:
    """The funnel plot's Vega-Lite specification: each force's figure against its size (log
    scale), England and Wales as a line, the 95% (dashed) and 99.8% (solid) limits, this force
    and its peers marked by shape as well as colour."""
    low, high = chart_range(view)
    points = [{"force": p.force, "size": p.size, "value": p.value, "role": p.role}
              for p in view.points if low <= p.value <= high]  # fmt: skip
    lines = []
    for lim in view.limits:
        for line, limit, value in (("lower 95", "95% limits", lim.lower_95),
                                   ("upper 95", "95% limits", lim.upper_95),
                                   ("lower 99.8", "99.8% limits", lim.lower_998),
                                   ("upper 99.8", "99.8% limits", lim.upper_998)):  # fmt: skip
            lines.append({"size": lim.size, "value": value, "limit": limit, "line": line})
    centre = [{"size": view.limits[0].size, "value": view.target},
              {"size": view.limits[-1].size, "value": view.target}]  # fmt: skip
    mine = [p for p in points if p["role"] == ROLE_ORDER[0]]
    names = {
        k: dataset_name(v) for k, v in (("p", points), ("l", lines), ("c", centre), ("m", mine))
    }
    sizes = [lim.size for lim in view.limits]
    ticks = [10.0**k for k in range(int(math.log10(min(sizes))), int(math.log10(max(sizes))) + 2)]
    x = {"field": "size", "type": "quantitative", "title": view.size_label.capitalize() + " (log scale)",
         "scale": {"type": "log"}, "axis": {"values": ticks, "format": "~s"}}  # fmt: skip
    y = {"field": "value", "type": "quantitative", "title": view.unit.capitalize(),
         "scale": {"domain": [low, high], "zero": False, "nice": False}}  # fmt: skip
    return {
        "$schema": SCHEMA,
        "config": {"view": {"stroke": None}, "axis": {"labelFontSize": 10, "titleFontSize": 10,
                   "gridColor": "#eeeeee"}, "legend": {"orient": "bottom", "labelFontSize": 10}},
        "title": {"text": f"{view.measure}, {view.year}: funnel plot", "anchor": "start", "fontSize": 12},
        "width": 560, "height": 260,
        "layer": [
            {"data": {"name": names["l"]}, "mark": {"type": "line", "strokeWidth": 1, "color": "#6b6b6b"},
             "encoding": {"x": x, "y": y, "detail": {"field": "line", "type": "nominal"},
                          "strokeDash": {"field": "limit", "type": "nominal", "title": "Limits",
                                         "scale": {"domain": ["95% limits", "99.8% limits"],
                                                   "range": [[4, 3], [1, 0]]}}}},
            {"data": {"name": names["c"]}, "mark": {"type": "line", "color": "#222222", "strokeWidth": 1},
             "encoding": {"x": x, "y": y}},
            {"data": {"name": names["p"]}, "mark": {"type": "point", "filled": True, "size": 50, "opacity": 0.9},
             "encoding": {"x": x, "y": y,
                          "shape": {"field": "role", "type": "nominal", "title": "Force",
                                    "scale": {"domain": ROLE_ORDER, "range": ROLE_SHAPES}},
                          "color": {"field": "role", "type": "nominal", "title": "Force",
                                    "scale": {"domain": ROLE_ORDER, "range": ROLE_COLOURS}}}},
            {"data": {"name": names["m"]},
             "mark": {"type": "point", "shape": ROLE_SHAPES[0], "filled": True, "size": 160,
                      "color": ROLE_COLOURS[0], "stroke": "#1b1b1b", "strokeWidth": 0.5},
             "encoding": {"x": x, "y": y}},
        ],
        "datasets": {names["p"]: points, names["l"]: lines, names["c"]: centre, names["m"]: mine},
    }  # fmt: skip


def funnel_svg(view: FunnelView) -> str:
    svg = vl_convert.vegalite_to_svg(json.dumps(funnel_spec(view)))
    return svg.split("?>", 1)[-1].strip() if svg.startswith("<?xml") else svg


def funnel_chart(view: FunnelView, force: str, *, draw: bool = True) -> FunnelChart:
    mine = next((p for p in view.points if p.role == "this force"), None)
    where = f"; {force} {figure(mine.value, view.unit)}, {mine.verdict}" if mine is not None else ""
    off = off_chart(view)
    beyond = f" Beyond the chart's range, listed in the table: {', '.join(off)}." if off else ""
    description = (
        f"Funnel plot of {view.measure.lower()} {view.year} for {len(view.points)} forces "
        f"against {view.size_label}: England and Wales {figure(view.target, view.unit)}{where}."
        f"{beyond} The table below gives every point."
    )
    ordered = sorted(view.points, key=lambda p: (-p.value, p.force))
    rows = [(p.force, p.role, f"{p.size:,.0f}", figure(p.value, view.unit), p.verdict)
            for p in ordered]  # fmt: skip
    return FunnelChart(funnel_svg(view) if draw else "", description, rows)


def _change_record(row: ChangeRow, force: str, peer_group: str) -> dict[str, Any]:
    out: dict[str, Any] = dict.fromkeys(RECORD_COLUMNS)
    out.update({k: v for k, v in asdict(row).items() if k in out})
    out.update(force=force, measure_id="recorded_crime_change", unit="% change on the previous year",
               funnel_verdict="", funnel_method="", rank_method="")  # fmt: skip
    out["peer_group"] = peer_group
    out["reason"] = row.reason or ""
    return out


def section_records(view: NationalView) -> list[dict[str, Any]]:
    """One record per comparison (CSV and XLSX rows); a section with nothing to compare is one
    row saying so."""
    if view.comparison is None:
        row: dict[str, Any] = dict.fromkeys(RECORD_COLUMNS)
        row.update(force=view.force, measure=TITLE, year=view.year or "", status="no_data",
                   reason=view.reason)  # fmt: skip
        return [row]
    out = []
    for r in view.comparison.rows:
        rec: dict[str, Any] = dict.fromkeys(RECORD_COLUMNS)
        rec.update({k: v for k, v in asdict(r).items() if k in rec})
        out.append(rec)
    force, group = view.comparison.force.short_name, view.comparison.peers.method
    out.extend(_change_record(c, force, group) for c in view.changes)
    return out


def national_section(view: NationalView, *, charts: bool = True) -> NationalSection:
    """The section for the report; `charts` False leaves the funnel SVGs out (CSV/XLSX only)."""
    records = section_records(view)
    if view.comparison is None:
        return NationalSection(TITLE, view.force, False, view.reason, view.year or "",
                               view.period_rule, "", [], [], [], [], [ATTRIBUTION], records)  # fmt: skip
    keys = _Keys()
    lines = [_line(r, keys) for r in view.comparison.rows]
    changes = [_change_line(c, keys) for c in view.changes]
    name = view.comparison.force.short_name
    drawn = [funnel_chart(f, name, draw=charts) for f in view.funnels]
    sources = [*view.sources, ATTRIBUTION]
    return NationalSection(
        title=TITLE, force=name, available=True, reason="", year=view.year or "",
        period_rule=view.period_rule, peers=view.comparison.peers.method, lines=lines,
        changes=changes, charts=drawn, methods=keys.listed(), sources=sources, records=records,
    )  # fmt: skip


def section_csv(section: NationalSection) -> str:
    """The section's comparisons as CSV text; text cells made inert for spreadsheets, a figure
    not available an empty cell with its reason."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(RECORD_COLUMNS)
    for rec in section.records:
        writer.writerow(["" if rec[c] is None else neutralise(rec[c]) for c in RECORD_COLUMNS])
    return buffer.getvalue()


def write_section_sheet(book: Any, section: NationalSection, name: str, head: Any) -> None:
    """The section as a workbook sheet: the period and peers, then one row per comparison.
    Text is always a string cell, never a formula or link; numbers are numbers."""
    ws = book.add_worksheet(name)
    top = [("Force", section.force), ("National year", section.period_rule or section.year),
           ("Peers", section.peers), ("Available", "yes" if section.available else
                                      f"not available: {section.reason}"),
           ("Source", "; ".join(section.sources))]  # fmt: skip
    for r, (label, text) in enumerate(top):
        ws.write_string(r, 0, label, head)
        ws.write_string(r, 1, str(text))
    first = len(top) + 1
    for c, column in enumerate(RECORD_COLUMNS):
        ws.write_string(first, c, column, head)
    for r, rec in enumerate(section.records, start=first + 1):
        for c, column in enumerate(RECORD_COLUMNS):
            value = rec[column]
            if value is None:
                continue
            if isinstance(value, int | float) and not isinstance(value, bool):
                ws.write_number(r, c, float(value))
            else:
                ws.write_string(r, c, str(value))
    ws.set_column(0, 0, 22)
    ws.set_column(1, 2, 40)
    ws.freeze_panes(first + 1, 0)
