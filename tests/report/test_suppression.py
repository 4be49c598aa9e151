"""Public versions (`--suppress-below N`) give no count below N away: not directly, not through a
neighbouring month, a change, a rate times its denominator, a rolling window, the year to date,
nor an area minus the districts shown."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policeperf.ingest.run import ingest_table
from policeperf.narrative import commentary
from policeperf.narrative.numbers import SUPPRESSED
from policeperf.report import write_report
from policeperf.report.charts import describe, series_chart
from policeperf.report.suppress import suppress
from policeperf.store import Store
from tests.conftest import policeperf
from tests.frameworks import framework_yaml
from tests.report import suppression_cases as C

SCALES = st.lists(
    st.sampled_from([0.0, 0.2, 0.6, 1.5, 3.0, 6.0, 12.0, 30.0]), min_size=6, max_size=6
)
THRESHOLDS = st.sampled_from([3, 5, 10, 20])


def only_in_northam(
    monthly: list[float], solved_share: float = 0.5
) -> dict[str, dict[str, np.ndarray]]:
    """Counts where every crime is in Northam (so Northam = North = the force)."""
    zero = np.zeros(len(C.MONTHS))
    crimes = {d: (np.array(monthly, dtype=float) if d == "Northam" else zero) for d in C.DISTRICTS}
    solved = {d: np.floor(c * solved_share) for d, c in crimes.items()}
    return {"crimes": crimes, "den": crimes, "solved": solved, "harm_crimes": crimes,
            "harm": {d: c * 30 for d, c in crimes.items()}}  # fmt: skip


def row(frame: pd.DataFrame, measure: str, area: str, month: date = C.REPORTING) -> pd.Series:
    return frame[
        (frame["measure_id"] == measure) & (frame["area"] == area) & (frame["month"] == month)
    ].iloc[0]


# --- the leak as reported, and closed ---------------------------------------------------------


def test_previous_month_same_month_last_year_and_change_no_longer_give_a_hidden_count_away(
    tmp_path: Path,
) -> None:
    monthly = [20.0] * len(C.MONTHS)
    monthly[-1], monthly[-2], monthly[-13] = (
        5,
        3,
        7,
    )  # the month, previous month, same month last year
    results = C.results_from(only_in_northam(monthly))
    full = row(results, "crimes", "all")
    # The leak: same month last year x (1 + change % / 100) is the month's count.
    assert (full["previous_month"], full["same_month_last_year"]) == (3, 7)
    assert full["same_month_last_year"] * (
        1 + full["same_month_last_year_change_pct"] / 100
    ) == pytest.approx(5)

    paths = write_report(
        results, C.FRAMEWORK, C.REPORTING, tmp_path, formats=("csv", "xlsx"), suppress_below=10
    )
    csv_row = next(
        r for r in C.csv_rows(paths["csv"]) if r["measure_id"] == "crimes" and r["area"] == "all"
    )
    xlsx = C.xlsx_rows(paths["xlsx"])
    xlsx_row = next(
        r for r in xlsx if r["measure_id"] == "crimes" and r["area"] == "all" and "numerator" in r
    )
    for published in (csv_row, xlsx_row):
        for column in ("value", "numerator", "n", "previous_month", "same_month_last_year",
                       "same_month_last_year_change_pct", "fytd"):  # fmt: skip
            assert published[column] == SUPPRESSED, column
        # The headline stands: 12 months of 20s and the small months add to more than 10.
        assert float(published["rolling_12m"]) == full["rolling_12m"] == 20 * 10 + 3 + 5
        assert published["month_suppressed"] in (True, "True")
    series = [
        r
        for r in xlsx
        if "numerator" not in r and r["measure_id"] == "crimes" and r["area"] == "all"
    ]
    assert series and {r["value"] for r in series} == {SUPPRESSED}
    assert C.recovered([csv_row, *xlsx], C.secrets(results, 10)) == []


def test_harm_is_judged_by_its_crimes_not_its_days() -> None:
    monthly = [12.0] * len(C.MONTHS)
    monthly[-1] = 2  # two crimes, 60 days: above 10 as days, below it as crimes
    shown = suppress(C.results_from(only_in_northam(monthly)), 10, parents=C.PARENTS)
    harm = row(shown, "harm", "all")
    assert (harm["value"], harm["crime_count"], harm["n"]) == (SUPPRESSED,) * 3
    assert harm["rolling_12m_crime_count"] == 12 * 11 + 2
    big = suppress(C.results_from(only_in_northam([12.0] * len(C.MONTHS))), 10, parents=C.PARENTS)
    assert row(big, "harm", "all")["value"] == 360


def test_a_rate_on_a_small_numerator_is_hidden_with_its_denominator_but_zeros_are_shown() -> None:
    none_solved = only_in_northam([30.0] * len(C.MONTHS), solved_share=0.02)  # 0 of 30 a month
    rate = row(suppress(C.results_from(none_solved), 10, parents=C.PARENTS), "solved", "all")
    assert (rate["numerator"], rate["value"], rate["denominator"]) == (0, 0, 30)
    few_solved = only_in_northam([30.0] * len(C.MONTHS), solved_share=0.1)  # 3 of 30 a month
    rate = row(suppress(C.results_from(few_solved), 10, parents=C.PARENTS), "solved", "all")
    for column in (
        "value",
        "numerator",
        "denominator",
        "n",
        "previous_month",
        "same_month_last_year",
    ):
        assert rate[column] == SUPPRESSED, column
    # 36 of 360 over the year: the 12-month rate and its interval stand.
    assert (rate["rolling_12m_numerator"], rate["rolling_12m"]) == (36, 10)
    assert rate["rolling_12m_ci_low"] != SUPPRESSED


def test_a_small_12_months_hides_its_rate_counts_interval_change_and_verdict() -> None:
    monthly = [30.0] * 12 + [0.0] * (len(C.MONTHS) - 12)  # 3 of 30 solved each month of 2019/20
    monthly[-1] = 30  # and 3 of 30 in March 2021: 3 in the rolling 12 months
    shown = suppress(
        C.results_from(only_in_northam(monthly, solved_share=0.1)), 10, parents=C.PARENTS
    )
    rate = row(shown, "solved", "all")
    for column in ("rolling_12m", "rolling_12m_numerator", "rolling_12m_denominator", "rolling_12m_ci_low",
                   "rolling_12m_ci_high", "change", "change_ppt", "change_pct", "p_value"):  # fmt: skip
        assert rate[column] == SUPPRESSED, column
    assert rate["verdict"] == "Suppressed" and rate["suppressed"]


def test_the_baseline_and_the_rolling_12_months_ending_in_march_are_hidden_together() -> None:
    monthly = [0.0] * len(C.MONTHS)
    monthly[5] = 4  # September 2019: the year to March 2020 holds 4 crimes
    monthly[13:] = [25.0] * (len(C.MONTHS) - 13)
    shown = suppress(C.results_from(only_in_northam(monthly)), 10, parents=C.PARENTS)
    assert row(shown, "crimes", "all", date(2020, 3, 1))["rolling_12m"] == SUPPRESSED
    assert row(shown, "crimes", "all")["baseline"] == SUPPRESSED
    assert row(shown, "crimes", "all")["rolling_12m"] == 25 * 11


def test_one_small_district_takes_a_sister_district_with_it() -> None:
    counts = C.counts_from(7, [0.4, 12, 12, 12, 12, 12])  # Cambury (South) small, the rest not
    results = C.results_from(counts)
    shown = suppress(results, 10, parents=C.PARENTS)
    now = shown[(shown["measure_id"] == "crimes") & (shown["month"] == C.REPORTING)].set_index(
        "area"
    )
    assert now.loc["Cambury", "rolling_12m"] == SUPPRESSED
    hidden = {a for a in ("Eastfield", "Southdale") if now.loc[a, "rolling_12m"] == SUPPRESSED}
    assert len(hidden) == 1  # the smaller of the two, not both
    assert (
        now.loc["South", "rolling_12m"] != SUPPRESSED
        and now.loc["all", "rolling_12m"] != SUPPRESSED
    )
    assert C.recovered(shown.to_dict(orient="records"), C.secrets(results, 10)) == []


def test_medians_of_few_cases_are_hidden_with_their_n() -> None:
    months = C.MONTHS[-2:]
    frame = pd.DataFrame(
        {
            "measure_id": "response",
            "kind": "median",
            "unit": "minutes",
            "area_level": "force",
            "area": "all",
            "month": months,
            "value": [14.0, 16.0],
            "n": [40.0, 4.0],
            "rolling_12m": [15.0, 15.0],
            "rolling_12m_n": [300.0, 8.0],
            "baseline": [12.0, 12.0],
            "baseline_n": [500.0, 500.0],
            "baseline_period": "2019/20",
            "change": [3.0, 3.0],
        }
    )
    shown = suppress(frame, 10, parents={})
    assert shown["value"].tolist() == [SUPPRESSED] * 2  # one month of 4 hides the series' months
    assert shown["n"].tolist() == [SUPPRESSED] * 2
    assert shown["rolling_12m"].tolist() == [15.0, SUPPRESSED]
    assert shown["rolling_12m_n"].tolist() == [300.0, SUPPRESSED]
    assert shown["change"].tolist() == [3.0, SUPPRESSED]
    assert shown["baseline"].tolist() == [12.0, 12.0]


def test_a_month_without_data_stays_not_available_never_suppressed() -> None:
    gap = date(2020, 6, 1)
    results = C.results_from(C.counts_from(0, [0.5, 2, 4, 8, 12, 30]), missing=[gap])
    shown = suppress(results, 10, parents=C.PARENTS)
    cambury = shown[(shown["measure_id"] == "crimes") & (shown["area"] == "Cambury")]
    june, july = (cambury[cambury["month"] == m].iloc[0] for m in (gap, date(2020, 7, 1)))
    assert june["month_suppressed"] and june["status"] == "no_data"
    assert pd.isna(june["value"]) and pd.isna(july["previous_month"])
    assert july["value"] == SUPPRESSED


def test_without_a_threshold_nothing_is_hidden() -> None:
    results = C.results_from(C.counts_from(1, [0.5, 1, 2, 3, 4, 5]))
    shown = suppress(results, None)
    assert not shown["suppressed"].any() and not shown["month_suppressed"].any()
    pd.testing.assert_frame_equal(shown.drop(columns=["suppressed", "month_suppressed"]), results)


# --- properties: the attacker learns nothing ------------------------------------------------


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), scales=SCALES, threshold=THRESHOLDS)
def test_no_hidden_count_is_recoverable_from_the_public_results_table(
    seed: int, scales: list[float], threshold: int
) -> None:
    """The public table in full (every month, every column: more than any one output shows)."""
    results = C.results_from(C.counts_from(seed, scales))
    truth = C.secrets(results, threshold)
    shown = suppress(results, threshold, parents=C.PARENTS)
    assert C.recovered(shown.to_dict(orient="records"), truth) == []
    # The attacker is not blind: on the full results it finds every one.
    assert len(C.recovered(results.to_dict(orient="records"), truth)) == len(truth)


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), scales=SCALES, threshold=THRESHOLDS)
def test_no_hidden_count_is_recoverable_from_the_public_csv_xlsx_and_html(
    seed: int, scales: list[float], threshold: int
) -> None:
    results = C.results_from(C.counts_from(seed, scales))
    truth = C.secrets(results, threshold)
    with tempfile.TemporaryDirectory() as folder:
        paths = write_report(results, C.FRAMEWORK, C.REPORTING, Path(folder), formats=("html", "xlsx", "csv"),
                             suppress_below=threshold, today=date(2021, 4, 20))  # fmt: skip
        html = paths["html"].read_text(encoding="utf-8")
        published = [*C.csv_rows(paths["csv"]), *C.xlsx_rows(paths["xlsx"]), *C.html_rows(html)]
    assert C.recovered(published, truth) == []
    assert f"counts below {threshold}" in html and "Suppression" in html
    shown = suppress(results, threshold)  # the force's reference districts, as the report found
    paragraphs = commentary(shown, C.REPORTING)
    for f in shown[(shown["month"] == C.REPORTING) & (shown["area_level"] == "force")].to_dict(
        orient="records"
    ):
        text = " ".join(p.text for p in paragraphs["f"] if p.measure_ids == (f["measure_id"],))
        if f["suppressed"]:
            assert "suppressed because the numbers are small" in text
        if f["month_suppressed"]:
            assert "'s figure of" not in text and "figure is" not in text  # no record, no SPC


MAPPING = """\
table: crimes
constants: {force: Test Force, date_precision: day}
columns:
  crime_id: REF
  recorded_date: RECORDED
  offence_code: CODE
  district: DISTRICT
"""
BURGLARY = {"categories": ["Burglary"]}
ONE_MEASURE = framework_yaml(
    [
        {"id": "burglary", "name": "Burglary", "kind": "count", "filters": BURGLARY},
        {"id": "burglary_harm", "name": "Burglary harm", "kind": "harm", "filters": BURGLARY},
    ],
    name="public",
    title="Public version",
)


def test_the_public_report_from_a_store_hides_the_reported_leak(tmp_path: Path) -> None:
    """The case as reported, end to end: a store, `policeperf report --suppress-below 10`."""
    monthly = {m: 20 for m in C.MONTHS}
    monthly[date(2021, 3, 1)], monthly[date(2021, 2, 1)], monthly[date(2020, 3, 1)] = 5, 3, 7
    lines = ["REF,RECORDED,CODE,DISTRICT"]
    for month, n in monthly.items():
        lines += [f"T{month:%Y%m}-{k},{month:%Y-%m}-15,28E,Plain" for k in range(n)]
    (tmp_path / "crimes.csv").write_text("\n".join(lines) + "\n")
    (tmp_path / "crimes.yaml").write_text(MAPPING)
    (tmp_path / "public.yaml").write_text(ONE_MEASURE)
    store = tmp_path / "s.duckdb"
    with Store(store) as db:
        ingest_table(db, [tmp_path / "crimes.csv"], mapping_path=tmp_path / "crimes.yaml")
    done = policeperf("report", "--framework", str(tmp_path / "public.yaml"), "--month", "2021-03",
                      "--store", str(store), "--format", "csv,xlsx", "--out", str(tmp_path / "out"),
                      "--suppress-below", "10")  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = {r["measure_id"]: r for r in C.csv_rows(tmp_path / "out" / "public-2021-03-public.csv")
            if r["area"] == "all"}  # fmt: skip
    burglary, harm = rows["burglary"], rows["burglary_harm"]
    for column in (
        "value",
        "previous_month",
        "same_month_last_year",
        "same_month_last_year_change_pct",
    ):
        assert burglary[column] == harm[column] == SUPPRESSED, column
    assert float(burglary["rolling_12m"]) == 20 * 10 + 3 + 5
    assert harm["crime_count"] == SUPPRESSED and float(harm["rolling_12m_crime_count"]) == 208


def test_a_chart_of_hidden_months_draws_the_12_month_line_but_no_monthly_point() -> None:
    monthly = [20.0] * len(C.MONTHS)
    monthly[-2] = 3
    shown = suppress(C.results_from(only_in_northam(monthly)), 10, parents=C.PARENTS)
    rows = shown[(shown["measure_id"] == "crimes") & (shown["area"] == "all")]
    spec = series_chart(rows, title="Robbery", unit="count").to_dict(validate=False)
    (points,) = spec["datasets"].values()
    assert [p["Month"] for p in points] == [None] * len(C.MONTHS)
    assert all(p["spc_mean"] is None and p["spc_upper"] is None for p in points)
    assert points[-1]["12-month average"] == pytest.approx((20 * 10 + 3 + 20) / 12)
    assert describe(rows, "Robbery", "count").split("latest ")[1].startswith(SUPPRESSED)
