"""Narrative: every number comes from the results table; words agree with verdicts."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import pandas as pd
import pytest

from policeperf.engine import evaluate
from policeperf.narrative import Facts, commentary
from policeperf.narrative import numbers as N
from policeperf.narrative import sentences as S
from policeperf.store import Store

MONTH = date(2021, 3, 1)
NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")
UP_WORDS = {"rose", "risen", "increased", "increase", "higher", "up", "rising", "upward"}
DOWN_WORDS = {"fell", "fallen", "decreased", "decrease", "lower", "down", "falling", "downward"}


@pytest.fixture(scope="module")
def results(demo_store_path) -> pd.DataFrame:
    with Store(demo_store_path, read_only=True) as db:
        return evaluate(db, "pcp", "2021-03")


def allowed_numbers(rows: list[dict]) -> set[str]:
    """Every way the rows' figures and dates are written."""
    out = {"12"}
    for r in rows:
        unit = str(r["unit"])
        for key in ("value", "rolling_12m", "baseline"):
            v = r.get(key)
            if not N.is_missing(v):
                out.add(NUMBER.findall(N.value(v, unit))[0])
                out.update(NUMBER.findall(S._figure(Facts.from_row(r), v)))
        for key in ("change_pct", "change_ppt"):
            if not N.is_missing(r.get(key)):
                out.add(f"{abs(float(r[key])):.1f}")
        for key in ("rolling_12m_denominator", "baseline_denominator"):
            if not N.is_missing(r.get(key)):
                out.add(N.count(r[key]))
        out.update(NUMBER.findall(str(r.get("baseline_period", ""))))
        out.update(
            NUMBER.findall(str(r.get("measure", "")))
        )  # "999 calls answered within 10 seconds"
        for key in ("month", "record_high_since", "record_low_since"):
            if r.get(key) is not None and not N.is_missing(r.get(key)):
                out.add(str(pd.Timestamp(r[key]).year))
    return out


def test_every_number_in_the_commentary_comes_from_the_results_table(results: pd.DataFrame) -> None:
    now = results[results["month"] == MONTH]
    paragraphs = commentary(results, MONTH)
    checked = 0
    for items in paragraphs.values():
        for p in items:
            level = "force" if p.kind == "measure" else "area"
            rows = now[
                (now["measure_id"].isin(p.measure_ids)) & (now["area_level"] == level)
            ].to_dict(orient="records")
            allowed = allowed_numbers(rows)
            for token in NUMBER.findall(p.text):
                assert token in allowed, (
                    f"{token!r} in {p.text!r} is not a figure of {p.measure_ids}"
                )
                checked += 1
    assert checked > 200


def test_verdict_words_and_described_directions_agree_for_every_measure(
    results: pd.DataFrame,
) -> None:
    now = results[(results["month"] == MONTH) & (results["area_level"] == "force")].set_index(
        "measure_id"
    )
    for items in commentary(results, MONTH).values():
        for p in items:
            if p.kind != "measure":
                continue
            row = now.loc[p.measure_ids[0]]
            words = set(re.findall(r"[a-z]+", " ".join(p.directional).lower()))
            if row["verdict"] in ("Comparable", "Insufficient data"):
                assert not words & (UP_WORDS | DOWN_WORDS), p.directional
            elif row["verdict_direction"] == "up":
                assert not words & DOWN_WORDS, p.directional
                assert words & UP_WORDS, p.directional
            else:
                assert not words & UP_WORDS, p.directional
                assert words & DOWN_WORDS, p.directional


def facts(**changes: object) -> Facts:
    base = Facts(
        measure_id="dwelling_burglary_crime", measure="Dwelling burglary", focus_area_id="b",
        focus_area="Burglary", pillar="Communities", kind="count", unit="count", polarity="down_is_good",
        area_level="force", area="all", month=date(2021, 3, 1), value=96.0, rolling_12m=1242.0,
        baseline=2058.0, baseline_period="2019/20", change_pct=-39.6501, verdict="Lower",
        verdict_direction="down", method="non_shared_months_quasi_poisson",
    )  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


def test_a_significant_fall_is_written_as_the_board_paper_would() -> None:
    assert S.headline(facts()) == (
        "Dwelling burglary fell by 39.7% in the 12 months to March 2021 compared with the "
        "2019/20 baseline (1,242 against 2,058)."
    )


def test_a_comparable_measure_is_never_described_as_rising_whatever_its_change() -> None:
    text = S.headline(
        facts(rolling_12m=2200.0, change_pct=6.9, verdict="Comparable", verdict_direction="none")
    )
    assert text.startswith("Dwelling burglary remained broadly stable: 2,200")
    assert "not statistically significant" in text
    assert (
        S.trend(facts(verdict="Comparable", verdict_direction="none", rolling_direction_3m="up"))
        is None
    )


def test_a_rate_gives_percentage_points_and_the_year_end_level() -> None:
    f = facts(measure="Dwelling burglary positive outcome rate", unit="pct", kind="outcome_rate", rolling_12m=14.33,
              baseline=11.32, change_ppt=3.01, verdict="Improved", verdict_direction="up", polarity="up_is_good")  # fmt: skip
    assert S.headline(f) == (
        "The 12-month dwelling burglary positive outcome rate finished the financial year at 14.3%, "
        "3.0ppt higher than the 2019/20 year-end level of 11.3%, an improvement."
    )


def test_survey_figures_carry_n() -> None:
    f = facts(measure="Victim satisfaction", unit="pct", rolling_12m=81.7, baseline=77.2, change_ppt=4.5,
              rolling_12m_denominator=1320.0, baseline_denominator=1257.0, verdict="Improved",
              verdict_direction="up", polarity="up_is_good", method="non_shared_months_survey_proportion")  # fmt: skip
    assert "81.7% (n=1,320)" in S.headline(f) and "77.2% (n=1,257)" in S.headline(f)


def test_records_trend_and_spc_sentences() -> None:
    assert S.record(facts(value=246.0, twelve_month_high=True, month=date(2021, 1, 1))) == (
        "January's figure of 246 was the highest single month figure of the last 12 months."
    )
    assert S.record(facts(record_high_since=date(2018, 3, 1), data_start=date(2016, 4, 1))) == (
        "March's figure of 96 was the highest monthly total since March 2018."
    )
    assert S.trend(facts(rolling_direction_3m="down", trend_direction="down")) == (
        "The rolling 12-month figure decreased to 1,242, continuing the recent downward trend."
    )
    assert S.trend(facts(rolling_direction_3m="up")) is None  # would contradict the verdict
    assert S.spc(facts(spc_rule="shift", spc_side="high", spc_class="special_cause_concern")) == (
        "The March 2021 figure is part of a sustained shift: a run of months above the average (special cause concern)."
    )


def test_a_record_since_the_first_month_held_is_the_edge_of_the_data_and_not_said() -> None:
    # Data from January 2024: "lowest since January 2024" in March 2025 is where the data starts.
    f = facts(
        month=date(2025, 3, 1), data_start=date(2024, 1, 1), record_low_since=date(2024, 1, 1)
    )
    assert S.record(f) is None
    assert S.record(replace(f, twelve_month_low=True)) == (
        "March's figure of 96 was the lowest single month figure of the last 12 months."
    )
    assert S.record(replace(f, record_low_since=date(2024, 2, 1))) == (
        "March's figure of 96 was the lowest monthly total since February 2024."
    )


def test_a_record_since_fewer_than_12_months_ago_is_not_news() -> None:
    f = facts(month=date(2021, 3, 1), data_start=date(2016, 4, 1))
    assert S.record(replace(f, record_high_since=date(2020, 12, 1))) is None
    assert S.record(replace(f, record_high_since=date(2020, 4, 1))) is None  # 11 months
    assert S.record(replace(f, record_high_since=date(2020, 3, 1))) == (  # 12 months
        "March's figure of 96 was the highest monthly total since March 2020."
    )
    assert S.record(replace(f, record_high_since=date(2020, 3, 1), data_start=None)) is None


def areas(**changes: object) -> tuple[Facts, Facts]:
    """North 15.0% and South 13.0%, tested: North significantly higher, not so in 2019/20."""
    common = dict(unit="pct", kind="outcome_rate", polarity="up_is_good", measure="Outcome rate",
                  area_level="area", comparison_method="places_two_proportion",
                  baseline_comparison_direction="none")  # fmt: skip
    north = facts(area="North", rolling_12m=15.0, baseline=12.0, compared_with="South",
                  comparison="Higher", comparison_direction="up", **common)  # fmt: skip
    south = facts(area="South", rolling_12m=13.0, baseline=11.0, compared_with="North",
                  comparison="Lower", comparison_direction="down", **common)  # fmt: skip
    return replace(north, **changes), replace(south, **changes)  # type: ignore[arg-type]


def test_an_area_outperforms_another_only_with_a_significant_test_which_it_names() -> None:
    assert S.area_comparison(*areas()) == (
        "For outcome rate, North (15.0%) outperforms South (13.0%); the difference is "
        "statistically significant (two-proportion z test)."
    )
    north, south = areas(baseline_comparison_direction="up")
    assert S.area_comparison(north, replace(south, baseline_comparison_direction="down")) == (
        "For outcome rate, North (15.0%) continues to outperform South (13.0%) as in 2019/20; "
        "the difference is statistically significant (two-proportion z test)."
    )
    north, south = areas(polarity="down_is_good")
    assert S.area_comparison(north, south).startswith("For outcome rate, South (13.0%) outperforms")
    assert S.area_comparison(*areas(polarity="neutral")) == (
        "For outcome rate, North (15.0%) is higher than South (13.0%); the difference is "
        "statistically significant (two-proportion z test)."
    )


def test_areas_without_a_significant_test_are_given_plainly() -> None:
    plain = "Outcome rate in the 12 months to March 2021: North 15.0%, South 13.0%"
    assert S.area_comparison(*areas(comparison="Comparable", comparison_direction="none")) == (
        f"{plain}; the difference is not statistically significant (two-proportion z test)."
    )
    untested = areas(comparison=None, comparison_direction=None, comparison_method=None)
    assert S.area_comparison(*untested) == f"{plain}."
    few = areas(comparison="Insufficient data", comparison_direction="none")
    assert S.area_comparison(*few) == f"{plain}; there are too few cases to compare them."
    north, south = areas()
    # A test whose result disagrees with the figures shown is not believed.
    assert S.area_comparison(replace(north, rolling_12m=12.0), south) == (
        "Outcome rate in the 12 months to March 2021: North 12.0%, South 13.0%."
    )
    # A test of North against the other areas combined is not a test against South.
    assert S.area_comparison(replace(north, compared_with="the other 2 areas combined"), south) == (
        f"{plain}."
    )


def test_no_area_sentence_of_the_demo_compares_without_a_significant_named_test(
    results: pd.DataFrame,
) -> None:
    now = results[(results["month"] == MONTH) & (results["area_level"] == "area")]
    seen = 0
    for items in commentary(results, MONTH).values():
        for p in items:
            if p.kind != "areas":
                continue
            seen += 1
            pair = now[now["measure_id"] == p.measure_ids[0]]
            significant = set(pair["comparison"]) == {"Higher", "Lower"}
            comparative = re.search(r"outperform|higher than|lower than|better|worse", p.text)
            assert bool(comparative) == significant, p.text
            assert "now outperforms" not in p.text
            if significant:
                assert "(two-proportion z test" in p.text or "(two-rate Poisson test" in p.text
    assert seen >= 10


def test_suppressed_figures_are_not_described() -> None:
    assert "suppressed" in S.headline(facts(suppressed=True))
    assert S.record(facts(value=N.SUPPRESSED)) is None


def test_an_unavailable_measure_is_said_to_be_unavailable_and_why_and_nothing_else() -> None:
    from policeperf.narrative.commentary import measure_paragraph

    f = facts(status="no_data", reason="no outcomes data for Dec 2021", rolling_12m=None,
              baseline=None, verdict=None, trend_direction="up", highest_on_record=True,
              spc_class="special_cause_concern", spc_rule="astronomical")  # fmt: skip
    paragraph = measure_paragraph(f)
    assert paragraph.text == (
        "Dwelling burglary: not available, because no outcomes data for Dec 2021."
    )
    assert paragraph.kind == "unavailable" and paragraph.directional == ()


def test_a_figure_without_a_complete_baseline_is_given_without_a_comparison() -> None:
    f = facts(status="incomplete_baseline", reason="the baseline year has months without data: "
              "Jun 2019", baseline=None, verdict=None)  # fmt: skip
    assert S.headline(f) == (
        "Dwelling burglary: 1,242 in the 12 months to March 2021; no comparison with 2019/20 is "
        "made because the baseline year has months without data: Jun 2019."
    )
