"""Charts as static SVG: monthly values, the rolling 12-month line, the baseline, SPC limits and
flagged points. Vega-Lite specifications (as Altair writes them) rendered by vl-convert, so the
report needs no JavaScript and no network. Flagged points differ by shape as well as colour (never colour alone).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pandas as pd
import vl_convert

from policeperf.framework import kinds as units
from policeperf.narrative import numbers as N

WIDTH, HEIGHT = 620, 220
CLASS_LABELS = {
    "common_cause": "Common cause",
    "special_cause_improvement": "Special cause: improvement",
    "special_cause_concern": "Special cause: concern",
    "special_cause_neutral_high": "Special cause: high",
    "special_cause_neutral_low": "Special cause: low",
}
CLASS_COLOURS = ["#6b6b6b", "#1f5aa6", "#d9822b", "#7a3fa0", "#7a3fa0"]
CLASS_SHAPES = ["circle", "diamond", "triangle-up", "square", "square"]


@dataclass(frozen=True)
class Chart:
    measure_id: str
    area: str
    svg: str
    description: str
    """Text alternative for screen readers and the PDF."""


CHART_COLUMNS = [
    "month",
    "value",
    "rolling_12m_monthly",
    "baseline_monthly",
    "spc_mean",
    "spc_upper",
    "spc_lower",
    "spc_class",
]


CHART_MONTHS = 36
"""Months a series chart shows, ending with the reporting month."""


def _frame(rows: pd.DataFrame, months: int) -> pd.DataFrame:
    rows = rows.sort_values("month").tail(months)[[c for c in CHART_COLUMNS if c in rows]].copy()
    for column in CHART_COLUMNS[1:-1]:
        if column in rows:
            rows[column] = pd.to_numeric(rows[column], errors="coerce")
    rows["month"] = pd.to_datetime(rows["month"])
    rows["point"] = rows["spc_class"].map(CLASS_LABELS).fillna("Common cause")
    # The class is in `point`; a blank class (hidden in a public version) must not reach the JSON.
    return rows.drop(columns="spc_class")


X_AXIS = {"axis": {"format": "%b %y", "labelAngle": 0}, "field": "month", "title": None,
          "type": "temporal"}  # fmt: skip
CONFIG = {
    "view": {"continuousWidth": 300, "continuousHeight": 300, "stroke": None},
    "axis": {"grid": True, "gridColor": "#eeeeee", "labelFontSize": 10, "titleFontSize": 10},
    "legend": {"columns": 3, "labelFontSize": 10, "orient": "bottom", "symbolSize": 60},
}
SCHEMA = "https://vega.github.io/schema/vega-lite/v6.4.1.json"
"""The Vega-Lite version the specifications follow (the one Altair 6 writes)."""


def _nominal(field: str, title: str | None, domain: list[str], values: list[Any]) -> dict[str, Any]:
    return {"field": field, "scale": {"domain": domain, "range": values}, "title": title,
            "type": "nominal"}  # fmt: skip


def _named_frame(rows: pd.DataFrame, unit: str, months: int) -> tuple[pd.DataFrame, list[str], str]:
    """The chart's data with its lines named for the legend, the lines present in order, and
    the y-axis title."""
    frame = _frame(rows, months)
    y_title = units.unit(unit).axis
    names = {
        "value": "Month",
        "rolling_12m_monthly": "Rolling 12 months",
        "baseline_monthly": "Baseline year",
    }
    if units.unit(unit).averaged:
        names = {
            "value": "Month",
            "rolling_12m_monthly": "12-month average",
            "baseline_monthly": "Baseline average",
        }
    frame = frame.rename(columns=names)
    return frame, [n for n in names.values() if n in frame], y_title


def series_spec(
    rows: pd.DataFrame, *, title: str, unit: str, months: int = CHART_MONTHS
) -> dict[str, Any]:
    """The layered Vega-Lite chart for one measure in one area (rows: that series from the
    results), written as the specification itself: Altair objects cost about 50 ms a chart for
    the same JSON. All layers share one data set."""
    frame, order, y_title = _named_frame(rows, unit, months)
    lines = {
        "mark": {"type": "line", "strokeWidth": 1.6},
        "encoding": {
            "color": _nominal("series", None, order, ["#1b1b1b", "#1f5aa6", "#8c8c8c"]),
            "strokeDash": _nominal("series", None, order, [[1, 0], [6, 3], [2, 2]]),
            "x": X_AXIS,
            "y": {
                "field": "figure",
                "scale": {"zero": False},
                "title": y_title,
                "type": "quantitative",
            },
        },
        "transform": [{"fold": order, "as": ["series", "figure"]}],
    }
    layers: list[dict[str, Any]] = [lines]
    for column in ("spc_upper", "spc_lower", "spc_mean"):
        if column in frame and frame[column].notna().any():
            layers.append({
                "mark": {"type": "line", "color": "#b5651d", "interpolate": "step-after",
                         "strokeDash": [3, 3], "strokeWidth": 0.8},
                "encoding": {"x": X_AXIS, "y": {"field": column, "type": "quantitative"}},
            })  # fmt: skip
    present = [i for i, label in enumerate(CLASS_LABELS.values()) if label in set(frame["point"])]
    domain = [list(CLASS_LABELS.values())[i] for i in present]
    layers.append({
        "mark": {"type": "point", "filled": True, "size": 42},
        "encoding": {
            "color": _nominal("point", "SPC", domain, [CLASS_COLOURS[i] for i in present]),
            "shape": _nominal("point", "SPC", domain, [CLASS_SHAPES[i] for i in present]),
            "x": X_AXIS,
            "y": {"field": "Month", "type": "quantitative"},
        },
    })  # fmt: skip
    values = records(frame)
    name = dataset_name(values)
    return {
        "config": CONFIG,
        "layer": layers,
        "data": {"name": name},
        "height": HEIGHT,
        "resolve": {
            "scale": {"color": "independent", "shape": "independent", "strokeDash": "independent"}
        },
        "title": {"text": title, "anchor": "start", "fontSize": 12},
        "width": WIDTH,
        "$schema": SCHEMA,
        "datasets": {name: values},
    }


def series_chart(rows: pd.DataFrame, *, title: str, unit: str, months: int = CHART_MONTHS) -> Any:
    """`series_spec` as an Altair chart, for notebooks; the reports write the specification
    directly, and tests check the two give the same JSON. Altair is imported only here."""
    import altair as alt

    frame, order, y_title = _named_frame(rows, unit, months)
    x = alt.X("month:T", title=None, axis=alt.Axis(format="%b %y", labelAngle=0))
    lines = (
        alt.Chart()
        .transform_fold(order, as_=["series", "figure"])
        .mark_line(strokeWidth=1.6)
        .encode(
            x=x,
            y=alt.Y("figure:Q", title=y_title, scale=alt.Scale(zero=False)),
            color=alt.Color(
                "series:N",
                title=None,
                scale=alt.Scale(domain=order, range=["#1b1b1b", "#1f5aa6", "#8c8c8c"]),
            ),
            strokeDash=alt.StrokeDash(
                "series:N",
                title=None,
                scale=alt.Scale(domain=order, range=[[1, 0], [6, 3], [2, 2]]),
            ),
        )
    )
    layers: list[alt.Chart] = [lines]
    for column in ("spc_upper", "spc_lower", "spc_mean"):
        if column in frame and frame[column].notna().any():
            layers.append(
                alt.Chart()
                .mark_line(
                    strokeWidth=0.8, color="#b5651d", strokeDash=[3, 3], interpolate="step-after"
                )
                .encode(x=x, y=alt.Y(f"{column}:Q"))
            )
    present = [i for i, label in enumerate(CLASS_LABELS.values()) if label in set(frame["point"])]
    domain = [list(CLASS_LABELS.values())[i] for i in present]
    layers.append(
        alt.Chart()
        .mark_point(filled=True, size=42)
        .encode(
            x=x,
            y="Month:Q",
            color=alt.Color(
                "point:N",
                title="SPC",
                scale=alt.Scale(domain=domain, range=[CLASS_COLOURS[i] for i in present]),
            ),
            shape=alt.Shape(
                "point:N",
                title="SPC",
                scale=alt.Scale(domain=domain, range=[CLASS_SHAPES[i] for i in present]),
            ),
        )
    )
    return (
        alt.layer(*layers, data=frame)
        .resolve_scale(color="independent", shape="independent", strokeDash="independent")
        .properties(
            width=WIDTH, height=HEIGHT, title=alt.TitleParams(title, anchor="start", fontSize=12)
        )
        .configure_legend(orient="bottom", columns=3, labelFontSize=10, symbolSize=60)
        .configure_axis(labelFontSize=10, titleFontSize=10, grid=True, gridColor="#eeeeee")
        .configure_view(stroke=None)
    )


def dataset_name(values: list[dict[str, Any]]) -> str:
    """The name Altair gives an inline data set: a hash of its values."""
    digest = hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode())
    return "data-" + digest.hexdigest()[:32]


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready records, as Altair writes a data frame: times in ISO format, missing
    and non-finite numbers as null, numpy scalars as Python ones."""
    columns: dict[str, list[Any]] = {}
    for name, column in frame.items():
        kind = column.dtype.kind
        if kind == "M":
            columns[str(name)] = [x.isoformat() if not pd.isna(x) else "" for x in column]
        elif kind == "f":
            columns[str(name)] = [x if math.isfinite(x) else None for x in column.tolist()]
        elif kind in "iub":
            columns[str(name)] = column.tolist()
        else:
            columns[str(name)] = [None if _missing(x) else x for x in column.astype(object)]
    names = list(columns)
    return [dict(zip(names, row, strict=True)) for row in zip(*columns.values(), strict=True)]


def _missing(x: Any) -> bool:
    return x is None or (not isinstance(x, list | tuple) and bool(pd.isna(x)))


def describe(rows: pd.DataFrame, title: str, unit: str) -> str:
    ordered = rows.sort_values("month")
    latest = ordered.iloc[-1]
    gaps = " Months without data are left as gaps." if ordered["value"].isna().any() else ""
    return (
        f"Chart of {title}: monthly values to {N.month(latest['month'])}, latest "
        f"{N.value(latest['value'], unit)}; SPC: {CLASS_LABELS.get(str(latest.get('spc_class')), 'no signal')}.{gaps}"
    )


def measure_charts(
    results: pd.DataFrame, measure_ids: Sequence[str], area: str = "all"
) -> dict[str, Chart]:
    """One chart per measure for `area`, keyed by measure id. Charts render on two threads
    (the renderer runs outside Python's lock)."""
    jobs = []
    for measure_id in measure_ids:
        rows = results[(results["measure_id"] == measure_id) & (results["area"] == area)]
        # The months the chart shows: what it says (gaps, no data) is about those alone.
        rows = rows.sort_values("month").tail(CHART_MONTHS)
        if rows.empty or rows["value"].isna().all():
            continue
        title = str(rows["measure"].iloc[0]) + ("" if area == "all" else f" - {area}")
        unit = str(rows["unit"].iloc[0])
        spec = json.dumps(series_spec(rows, title=title, unit=unit), default=str)
        jobs.append((measure_id, spec, describe(rows, title, unit)))
    with ThreadPoolExecutor(max_workers=2) as pool:
        svgs = list(pool.map(lambda job: _svg(job[1]), jobs))
    return {m: Chart(m, area, svg, text) for (m, _, text), svg in zip(jobs, svgs, strict=True)}


def spc_chart_svg(rows: pd.DataFrame, *, title: str, unit: str = "") -> str:
    """One series as an SVG chart with its SPC limits and point types: rows with month, value,
    spc_mean, spc_upper, spc_lower and spc_class (e.g. `policeperf spc --chart`)."""
    spec = series_spec(rows, title=title, unit=unit, months=len(rows))
    return _svg(json.dumps(spec, default=str))


def _svg(spec: str) -> str:
    svg = vl_convert.vegalite_to_svg(spec)
    return svg.split("?>", 1)[-1].strip() if svg.startswith("<?xml") else svg
