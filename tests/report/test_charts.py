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
    expected = C.series_chart(rows, title="Burglary - North", unit=unit, months=months)
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


def test_a_chart_speaks_of_gaps_only_in_the_months_it_shows() -> None:
    rows = series(40, gaps=(2,)).assign(unit="pct")  # the gap is 38 months back: not drawn
    text = C.measure_charts(rows, ["m"])["m"].description
    assert "gaps" not in text
    rows = series(40, gaps=(30,)).assign(unit="pct")
    assert "Months without data are left as gaps." in C.measure_charts(rows, ["m"])["m"].description


def test_a_report_without_workbook_or_suppression_needs_only_the_months_it_shows() -> None:
    from policeperf.report import months_needed

    months = months_needed(date(2021, 3, 1), ["html", "pdf", "csv"])
    assert months is not None and len(months["force"]) == C.CHART_MONTHS == 36
    assert (months["force"][0], months["force"][-1]) == (date(2018, 4, 1), date(2021, 3, 1))
    # Areas and districts are charted by nobody: their tables read the reporting month.
    assert months["area"] == months["district"] == [date(2021, 3, 1)]
    assert months_needed(date(2021, 3, 1), ["html", "xlsx"]) is None
    assert months_needed(date(2021, 3, 1), ["html"], suppress_below=10) is None
