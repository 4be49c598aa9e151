"""Chart specifications are written directly; they must be the JSON Altair wrote for them, so
the SVG charts (and every report and dashboard page) are unchanged."""

from __future__ import annotations

import json
import math
from datetime import date
from typing import Any

import altair as alt
import pandas as pd
import pytest

from policeperf.report import charts as C


def altair_chart(rows: pd.DataFrame, *, title: str, unit: str, months: int = 36) -> Any:
    """The chart as it was built with Altair objects: the reference for `series_spec`."""
    frame = C._frame(rows, months)
    y_title = {"pct": "%", "count": "per month", "minutes": "minutes", "seconds": "seconds"}.get(
        unit, ""
    )
    names = {"value": "Month", "rolling_12m_monthly": "Rolling 12 months",
             "baseline_monthly": "Baseline year"}  # fmt: skip
    if unit == "count":
        names = {"value": "Month", "rolling_12m_monthly": "12-month average",
                 "baseline_monthly": "Baseline average"}  # fmt: skip
    frame = frame.rename(columns=names)
    order = [n for n in names.values() if n in frame]
    x = alt.X("month:T", title=None, axis=alt.Axis(format="%b %y", labelAngle=0))
    series_scale = alt.Scale(domain=order, range=["#1b1b1b", "#1f5aa6", "#8c8c8c"])
    dash_scale = alt.Scale(domain=order, range=[[1, 0], [6, 3], [2, 2]])
    lines = (
        alt.Chart()
        .transform_fold(order, as_=["series", "figure"])
        .mark_line(strokeWidth=1.6)
        .encode(
            x=x,
            y=alt.Y("figure:Q", title=y_title, scale=alt.Scale(zero=False)),
            color=alt.Color("series:N", title=None, scale=series_scale),
            strokeDash=alt.StrokeDash("series:N", title=None, scale=dash_scale),
        )
    )
    layers = [lines]
    for column in ("spc_upper", "spc_lower", "spc_mean"):
        if column in frame and frame[column].notna().any():
            layers.append(
                alt.Chart()
                .mark_line(
                    strokeWidth=0.8, color="#b5651d", strokeDash=[3, 3], interpolate="step-after"
                )
                .encode(x=x, y=alt.Y(f"{column}:Q"))
            )
    labels = list(C.CLASS_LABELS.values())
    present = [i for i, label in enumerate(labels) if label in set(frame["point"])]
    domain = [labels[i] for i in present]
    layers.append(
        alt.Chart()
        .mark_point(filled=True, size=42)
        .encode(
            x=x,
            y="Month:Q",
            color=alt.Color(
                "point:N",
                title="SPC",
                scale=alt.Scale(domain=domain, range=[C.CLASS_COLOURS[i] for i in present]),
            ),
            shape=alt.Shape(
                "point:N",
                title="SPC",
                scale=alt.Scale(domain=domain, range=[C.CLASS_SHAPES[i] for i in present]),
            ),
        )
    )
    return (
        alt.layer(*layers, data=frame)
        .resolve_scale(color="independent", shape="independent", strokeDash="independent")
        .properties(
            width=C.WIDTH,
            height=C.HEIGHT,
            title=alt.TitleParams(title, anchor="start", fontSize=12),
        )
        .configure_legend(orient="bottom", columns=3, labelFontSize=10, symbolSize=60)
        .configure_axis(labelFontSize=10, titleFontSize=10, grid=True, gridColor="#eeeeee")
        .configure_view(stroke=None)
    )


def series(months: int, *, gaps: tuple[int, ...] = (), spc: bool = True) -> pd.DataFrame:
    classes = ["common_cause", "special_cause_improvement", "special_cause_concern", None]
    rows = []
    for k in range(months):
        month = date(2018 + (3 + k) // 12, (3 + k) % 12 + 1, 1)
        value = math.nan if k in gaps else 100 + 7 * math.sin(k) + k / 3
        rows.append(
            {
                "measure_id": "m",
                "area": "all",
                "measure": "Measure",
                "month": month,
                "value": value,
                "rolling_12m_monthly": None if k < 11 else value * 0.97,
                "baseline_monthly": 98.25 if k >= 12 else None,
                "spc_mean": 101.5 if spc else None,
                "spc_upper": 121.0 + k / 10 if spc else None,
                "spc_lower": 80.0 if spc else None,
                "spc_class": classes[k % 4] if spc and k not in gaps else None,
            }
        )
    return pd.DataFrame(rows)


CASES = {
    "a count with SPC limits": (series(48), "count"),
    "a rate with months without data": (series(40, gaps=(5, 6, 30)), "pct"),
    "minutes with no SPC": (series(30, spc=False), "minutes"),
    "a short series": (series(3), "harm_days"),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("months", [36, 12])
def test_chart_specification_is_the_json_altair_wrote(case: str, months: int) -> None:
    rows, unit = CASES[case]
    expected = altair_chart(rows, title="Burglary - North", unit=unit, months=months)
    ours = C.series_spec(rows, title="Burglary - North", unit=unit, months=months)
    assert json.dumps(ours, default=str) == json.dumps(
        expected.to_dict(validate=False), default=str
    )


def altair_concentration(ranking: Any) -> Any:
    """The harm concentration chart as it was built with Altair objects."""
    table, n = ranking.table, len(ranking.table)
    step = max(1, n // 400)
    points = pd.DataFrame({
        "people_pct": [0.0, *[100 * (i + 1) / n for i in range(0, n, step)], 100.0],
        "harm_pct": [0.0, *[float(table["cumulative_pct"].iloc[i]) for i in range(0, n, step)], 100.0],
    })  # fmt: skip
    curve = (
        alt.Chart(points)
        .mark_line(color="#1f5aa6")
        .encode(
            x=alt.X("people_pct:Q", title=f"% of {ranking.by}s (most harmful first)"),
            y=alt.Y("harm_pct:Q", title="% of harm"),
        )
    )
    equal = (
        alt.Chart(pd.DataFrame({"people_pct": [0, 100], "harm_pct": [0, 100]}))
        .mark_line(color="#8c8c8c", strokeDash=[4, 4])
        .encode(x="people_pct:Q", y="harm_pct:Q")
    )
    return alt.layer(curve, equal).properties(
        width=420,
        height=240,
        title=alt.TitleParams("Concentration of harm", anchor="start", fontSize=12),
    )


@pytest.mark.parametrize("people", [1, 7, 1234])
def test_concentration_specification_is_the_json_altair_wrote(people: int) -> None:
    from types import SimpleNamespace

    from policeperf.report.harm import concentration_spec

    shares = [100 * (1 - 0.97 ** (k + 1)) for k in range(people)]
    shares[-1] = 100.0
    ranking = SimpleNamespace(by="offender", table=pd.DataFrame({"cumulative_pct": shares}))
    expected = altair_concentration(ranking).to_dict(validate=False)
    assert json.dumps(concentration_spec(ranking)) == json.dumps(expected)  # type: ignore[arg-type]
