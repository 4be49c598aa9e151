"""`evaluate --framework pcp --month 2021-03` on the demo force reproduces the published table."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import pytest

from policeperf.engine import evaluate
from policeperf.store import Store

PUBLISHED = {
    # measure_id: (2020/21, 2019/20)
    "all_crime": (59_883, 67_882),
    "domestic_abuse_crime": (12_196, 10_660),
    "domestic_abuse_outcome_rate": (11.5, 10.3),
    "csa_crime": (843, 778),
    "csa_outcome_rate": (19.9, 11.6),
    "serious_sexual_crime": (1_589, 1_620),
    "serious_sexual_outcome_rate": (8.4, 6.4),
    "rape_crime": (819, 777),
    "rape_outcome_rate": (7.0, 3.5),
    "modern_slavery_crime": (91, 68),
    "all_crime_outcome_rate": (13.0, 10.8),
    "dwelling_burglary_crime": (1_242, 2_058),
    "dwelling_burglary_outcome_rate": (14.3, 11.3),
    "dwelling_burglary_victim_satisfaction": (90.4, 86.0),
    "theft_of_motor_vehicle_crime": (893, 1_145),
    "theft_of_motor_vehicle_outcome_rate": (6.7, 7.2),
    "calls_999_answered_10s": (94.5, 92.6),
    "calls_101_answered_30s": (87.1, 83.3),
    "public_confidence": (64.7, 56.4),
    "victim_satisfaction": (81.7, 77.2),
    "hate_crime": (1_368, 1_330),
    "hate_crime_outcome_rate": (15.9, 13.7),
    "hate_crime_victim_satisfaction": (73.2, 81.6),
    "sharp_instrument_crime": (1_372, 1_577),
    "sharp_instrument_outcome_rate": (24.4, 22.9),
    "possession_of_weapons_crime": (563, 670),
    "possession_of_weapons_outcome_rate": (47.8, 40.9),
    "drugs_crime": (2_160, 1_649),
    "drugs_outcome_rate": (66.3, 60.6),
}
SURVEY_N = {
    "dwelling_burglary_victim_satisfaction": (509, 544),
    "public_confidence": (3_791, 1_557),
    "victim_satisfaction": (1_320, 1_257),
    "hate_crime_victim_satisfaction": (198, 98),
}
MEDIANS = {
    date(2020, 10, 1): 187, date(2020, 11, 1): 192, date(2020, 12, 1): 123,
    date(2021, 1, 1): 77, date(2021, 2, 1): 73, date(2021, 3, 1): 85,
}  # fmt: skip


@pytest.fixture(scope="module")
def results(demo_store_path) -> pd.DataFrame:
    with Store(demo_store_path, read_only=True) as db:
        return evaluate(db, "pcp", "2021-03")


@pytest.fixture(scope="module")
def march(results: pd.DataFrame) -> pd.DataFrame:
    return results[(results["area"] == "all") & (results["month"] == date(2021, 3, 1))].set_index(
        "measure_id"
    )


@pytest.mark.parametrize("measure_id", sorted(PUBLISHED))
def test_rolling_12_months_and_baseline_reproduce_the_published_figures(
    march: pd.DataFrame, measure_id: str
) -> None:
    current, baseline = PUBLISHED[measure_id]
    row = march.loc[measure_id]
    assert round(row["rolling_12m"], 1) == current
    assert round(row["baseline"], 1) == baseline
    assert row["baseline_period"] == "2019/20"
    if measure_id in SURVEY_N:
        assert (row["rolling_12m_denominator"], row["baseline_denominator"]) == SURVEY_N[measure_id]


def test_changes_are_reported_as_published(march: pd.DataFrame) -> None:
    assert round(march.loc["dwelling_burglary_crime", "change_pct"], 1) == -39.7
    assert round(march.loc["dwelling_burglary_outcome_rate", "change_ppt"], 1) == 3.0
    assert round(march.loc["domestic_abuse_crime", "change_pct"], 1) == 14.4


def test_every_verdict_names_its_method(march: pd.DataFrame) -> None:
    assert march["method"].notna().all()
    assert set(march["verdict"]) <= {
        "Higher",
        "Lower",
        "Comparable",
        "Improved",
        "Deteriorated",
        "Insufficient data",
    }
    assert march.loc["dwelling_burglary_crime", "verdict"] == "Lower"
    assert march.loc["victim_satisfaction", "method"] == "non_shared_months_survey_proportion"
    assert march.loc["domestic_abuse_prompt_response", "method"] == "non_shared_months_median_shift"


def test_an_over_dispersed_rate_is_judged_by_its_own_month_to_month_variation(
    march: pd.DataFrame,
) -> None:
    # The paper calls 14.3% vs 11.3% Improved, judging the rate as if binomial. Its monthly
    # rates (a few hundred crimes a month, lockdown months at 31% and 36%) vary three times as
    # much as a binomial allows, so the 3.0ppt rise is within what chance gives.
    row = march.loc["dwelling_burglary_outcome_rate"]
    assert row["dispersion"] > 2.5
    assert row["verdict"] == "Comparable" and row["ci_low"] < 0 < row["ci_high"]


def test_every_row_has_one_p_value_interval_and_verdict_that_agree(results: pd.DataFrame) -> None:
    tested = results[results["p_value"].notna()]
    assert len(tested) > 1000
    significant = tested["verdict_direction"] != "none"
    below = tested["p_value"] < 1 - tested["confidence"]
    excludes = (tested["ci_low"] > 0) | (tested["ci_high"] < 0)
    assert (significant == below).all()
    assert (excludes == below).all()
    assert (tested["p_adjusted"] == tested["p_value"]).all()
    assert set(tested["adjustment"]) == {"none"}


def test_every_measure_kind_has_a_month_verdict(march: pd.DataFrame) -> None:
    ok = march[march["status"] == "ok"]
    assert set(ok["kind"]) == {"count", "outcome_rate", "proportion", "median", "harm",
                               "rate_per_population"}  # fmt: skip
    assert ok["month_verdict"].notna().all() and ok["month_method"].notna().all()


def test_median_response_times_by_month(results: pd.DataFrame) -> None:
    rows = results[
        (results["measure_id"] == "domestic_abuse_prompt_response") & (results["area"] == "all")
    ]
    got = dict(zip(rows["month"], rows["value"], strict=True))
    assert {m: got[m] for m in MEDIANS} == MEDIANS


def test_areas_and_districts_add_up_to_the_force(results: pd.DataFrame) -> None:
    rows = results[(results["measure_id"] == "all_crime") & (results["month"] == date(2021, 3, 1))]
    force = rows[rows["area_level"] == "force"]["rolling_12m"].item()
    assert rows[rows["area_level"] == "area"]["rolling_12m"].sum() == force
    assert rows[rows["area_level"] == "district"]["rolling_12m"].sum() == force
    assert set(rows[rows["area_level"] == "area"]["area"]) == {"North", "South"}


def test_january_2020_compares_with_the_year_ending_march_2019(results: pd.DataFrame) -> None:
    row = results[
        (results["measure_id"] == "all_crime")
        & (results["area"] == "all")
        & (results["month"] == date(2020, 1, 1))
    ]
    assert row["baseline_period"].item() == "2018/19"


def test_records_and_spc_facts_are_present_for_the_reporting_month(march: pd.DataFrame) -> None:
    row = march.loc["all_crime"]
    assert row["spc_class"] in {
        "common_cause",
        "special_cause_improvement",
        "special_cause_concern",
    }
    # Limits from every month of the unbroken series, as NHSRplotthedots draws them: not held.
    assert not row["spc_locked"]
    assert row["trend_direction"] in {"up", "down", "none"}
    assert march.loc["calls_999_answered_10s", "spc_assurance"] in {
        "consistently_pass",
        "hit_or_miss",
        "consistently_fail",
    }


def test_spc_limits_of_the_demo_come_from_every_month_of_the_series(results: pd.DataFrame) -> None:
    series = results[(results["measure_id"] == "domestic_abuse_crime") & (results["area"] == "all")]
    series = series.sort_values("month")
    assert series["value"].notna().all()
    assert series["spc_mean"].iloc[-1] == pytest.approx(series["value"].mean())
    # A rising series: low early, high late, and ordinary months between (not all special cause).
    assert (series["spc_class"] == "common_cause").any()
    assert series["spc_class"].iloc[-1] == "special_cause_neutral_high"


def test_harm_rows_carry_the_crimes_behind_their_days(results: pd.DataFrame) -> None:
    march_2021 = results[results["month"] == date(2021, 3, 1)]
    harm = march_2021[march_2021["measure_id"] == "harm_weighted_crime"].set_index("area")
    crimes = march_2021[march_2021["measure_id"] == "all_crime"].set_index("area")
    assert 0 < harm.loc["all", "crime_count"] <= crimes.loc["all", "numerator"]
    districts = harm[harm["area_level"] == "district"]
    assert districts["rolling_12m_crime_count"].sum() == harm.loc["all", "rolling_12m_crime_count"]
    series = results[(results["measure_id"] == "harm_weighted_crime") & (results["area"] == "all")]
    last_12 = series.sort_values("month").tail(12)
    assert last_12["crime_count"].sum() == harm.loc["all", "rolling_12m_crime_count"]
    assert results.loc[results["kind"] != "harm", "crime_count"].isna().all()


def test_median_rows_carry_the_n_of_their_rolling_and_baseline_windows(
    results: pd.DataFrame,
) -> None:
    series = results[
        (results["measure_id"] == "domestic_abuse_prompt_response") & (results["area"] == "all")
    ].sort_values("month")
    march_2021 = series.iloc[-1]
    assert march_2021["rolling_12m_n"] == series.tail(12)["n"].sum()
    year_2019 = series[
        (series["month"] >= date(2019, 4, 1)) & (series["month"] <= date(2020, 3, 1))
    ]
    assert march_2021["baseline_n"] == year_2019["n"].sum()


def test_benjamini_hochberg_judges_each_months_rows_on_adjusted_p_values(
    demo_store_path, results: pd.DataFrame
) -> None:
    from policeperf.framework import load_framework

    framework = load_framework("pcp")
    settings = framework.settings.model_copy(update={"multiple_testing": "benjamini_hochberg"})
    with Store(demo_store_path, read_only=True) as db:
        adjusted = evaluate(db, framework.model_copy(update={"settings": settings}), "2021-03")
    key = ["measure_id", "area_level", "area", "month"]
    both = results.merge(adjusted, on=key, suffixes=("", "_bh"))
    tested = both[both["p_value"].notna()]
    assert set(tested["adjustment_bh"]) == {"benjamini_hochberg"}
    assert (tested["p_adjusted_bh"] >= tested["p_value"]).all()
    significant = tested["verdict_direction_bh"] != "none"
    assert (significant == (tested["p_adjusted_bh"] < 1 - tested["confidence"])).all()
    # Adjusting only ever withdraws a verdict, never adds or turns one.
    kept = tested[significant]
    assert (kept["verdict_bh"] == kept["verdict"]).all()
    march = tested[tested["month"] == date(2021, 3, 1)]
    assert (march["verdict_direction_bh"] != "none").sum() < (
        march["verdict_direction"] != "none"
    ).sum()


def test_rows_asked_for_some_months_are_those_of_the_whole_table(
    demo_store_path, results: pd.DataFrame
) -> None:
    asked = [date(2019, 7, 1), date(2021, 3, 1)]
    with Store(demo_store_path, read_only=True) as db:
        some = evaluate(
            db, "pcp", "2021-03", row_months=asked, as_at=datetime(2026, 1, 1, tzinfo=UTC)
        )
    whole = results[results["month"].isin(asked)].reset_index(drop=True)
    assert len(some) == len(whole) == 2 * 32 * 9
    assert list(some.columns) == [c for c in whole.columns if c in some.columns]
    assert whole[[c for c in whole.columns if c not in some.columns]].isna().all().all()

    def plain(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame[[c for c in some.columns if c != "as_at"]]
        return frame.astype(object).where(frame.notna(), None)

    pd.testing.assert_frame_equal(plain(some), plain(whole))


def test_with_benjamini_hochberg_a_month_asked_at_one_level_keeps_its_whole_family(
    demo_store_path,
) -> None:
    from policeperf.framework import load_framework

    framework = load_framework("pcp")
    settings = framework.settings.model_copy(update={"multiple_testing": "benjamini_hochberg"})
    adjusted = framework.model_copy(update={"settings": settings})
    earlier, reporting = date(2020, 6, 1), date(2021, 3, 1)
    stamp = datetime(2026, 1, 1, tzinfo=UTC)
    with Store(demo_store_path, read_only=True) as db:
        whole = evaluate(db, adjusted, "2021-03", as_at=stamp)
        some = evaluate(db, adjusted, "2021-03", as_at=stamp,
                        row_months={"force": [earlier, reporting], "area": [reporting]})  # fmt: skip
    key = ["measure_id", "area_level", "area", "month"]
    both = some.merge(whole, on=key, suffixes=("", "_whole"))
    assert len(both) == len(some)
    # June 2020 was asked for the force only; its family is still every level's rows.
    assert set(some.loc[some["month"] == earlier, "area_level"]) == {"force", "area", "district"}
    tested = both[both["p_adjusted"].notna()]
    assert len(tested) > 0
    assert (tested["p_adjusted"] == tested["p_adjusted_whole"]).all()
    assert (both["verdict"].fillna("") == both["verdict_whole"].fillna("")).all()
