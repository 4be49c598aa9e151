"""Every sentence says only what was tested: for any results row, of every measure kind, with any
verdict and any figures, the direction words agree with the verdict; areas are compared only by a
named significant test; a record is claimed only where the data reaches back past it."""

from __future__ import annotations

import re
from dataclasses import asdict, replace
from datetime import date

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from policeperf.calendar import add_months, month_index
from policeperf.narrative import Facts, commentary
from policeperf.narrative import sentences as S
from policeperf.narrative.commentary import measure_paragraph

KINDS = [
    # (kind, unit, verdict method)
    ("count", "count", "rolling_12m_vs_baseline_overdispersed"),
    ("rate_per_population", "per_population", "rolling_12m_vs_baseline_overdispersed"),
    ("outcome_rate", "pct", "places_two_proportion"),
    ("proportion", "pct", "places_two_proportion"),
    ("proportion", "pct", "places_survey_proportion"),  # a survey, with n
    ("median", "minutes", "monthly_medians_mann_whitney"),
    ("median", "seconds", "monthly_medians_mann_whitney"),
    ("harm", "harm_days", "rolling_12m_vs_baseline_overdispersed"),
]
VERDICTS = ["Higher", "Lower", "Improved", "Deteriorated", "Comparable", "Insufficient data",
            "Suppressed", None]  # fmt: skip
DIRECTIONS = ["up", "down", "none", None]
POLARITIES = ["up_is_good", "down_is_good", "neutral"]
UP = {"rose", "risen", "increased", "increase", "higher", "up", "rising", "upward"}
DOWN = {"fell", "fallen", "decreased", "decrease", "lower", "down", "falling", "downward"}
COMPARATIVE = re.compile(r"outperform|higher than|lower than|better|worse")
MONTH = date(2021, 3, 1)

figures = st.floats(min_value=0.5, max_value=1e6, allow_nan=False)
changes = st.one_of(st.none(), st.floats(min_value=-100, max_value=300, allow_nan=False))


def implied(verdict: str | None, polarity: str) -> str | None:
    """The direction a verdict word says, written out independently of the narrative."""
    if verdict == "Higher":
        return "up"
    if verdict == "Lower":
        return "down"
    if verdict in ("Improved", "Deteriorated") and polarity != "neutral":
        return "up" if (verdict == "Improved") == (polarity == "up_is_good") else "down"
    return None


@st.composite
def measure_facts(draw: st.DrawFn) -> Facts:
    kind, unit, method = draw(st.sampled_from(KINDS))
    change = draw(changes)
    return Facts(
        measure_id="m", measure="Measure", focus_area_id="f", focus_area="Focus", pillar="P",
        kind=kind, unit=unit, polarity=draw(st.sampled_from(POLARITIES)), area_level="force",
        area="all", month=MONTH, value=draw(figures), rolling_12m=draw(figures),
        baseline=draw(figures), baseline_period="2019/20", change=change,
        change_pct=None if unit == "pct" else change, change_ppt=change if unit == "pct" else None,
        rolling_12m_denominator=draw(figures), baseline_denominator=draw(figures),
        verdict=draw(st.sampled_from(VERDICTS)), verdict_direction=draw(st.sampled_from(DIRECTIONS)),
        method=method, rolling_direction_3m=draw(st.sampled_from(["up", "down", "mixed", "none"])),
        trend_direction=draw(st.sampled_from(["up", "down", "none"])),
        trend_halted=draw(st.booleans()),
        previous_trend_direction=draw(st.sampled_from(["up", "down", "none"])),
    )  # fmt: skip


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


def check_directions(f: Facts, directional: tuple[str, ...]) -> None:
    said = words(" ".join(directional))
    direction = implied(f.verdict, f.polarity)
    if direction is None:
        assert not said & (UP | DOWN), (f.verdict, f.polarity, directional)
    else:
        against = DOWN if direction == "up" else UP
        assert not said & against, (f.verdict, f.polarity, directional)
        if said & (UP | DOWN):
            # A direction is stated only where the verdict's direction and the change agree.
            assert f.verdict_direction == direction
            assert f.change is not None and (f.change > 0) == (direction == "up")
    assert ("improvement" in said) <= (f.verdict == "Improved")
    assert ("deterioration" in said) <= (f.verdict == "Deteriorated")
    if "significant" in said:  # "not statistically significant": a test found no difference
        assert f.verdict == "Comparable" and f.verdict_direction in (None, "none")


@settings(max_examples=400, deadline=None)
@given(measure_facts())
def test_direction_words_agree_with_the_verdict_for_every_kind(f: Facts) -> None:
    check_directions(f, measure_paragraph(f).directional)


@st.composite
def area_pair(draw: st.DrawFn) -> tuple[Facts, Facts]:
    kind, unit, _ = draw(st.sampled_from([k for k in KINDS if k[1] in ("pct", "per_population")]))
    polarity = draw(st.sampled_from(POLARITIES))
    methods = st.sampled_from([*S.TEST_NAMES, "current_month_vs_baseline_months", None])

    def one(area: str, other: str) -> Facts:
        return Facts(
            measure_id="m", measure="Measure", focus_area_id="f", focus_area="Focus", pillar="P",
            kind=kind, unit=unit, polarity=polarity, area_level="area", area=area, month=MONTH,
            rolling_12m=draw(figures), baseline=draw(figures), baseline_period="2019/20",
            compared_with=draw(st.sampled_from([other, "the other 2 areas combined", None])),
            comparison=draw(st.sampled_from(VERDICTS)),
            comparison_direction=draw(st.sampled_from(DIRECTIONS)), comparison_method=draw(methods),
            baseline_comparison_direction=draw(st.sampled_from(DIRECTIONS)),
        )  # fmt: skip

    return one("North", "South"), one("South", "North")


def check_areas(text: str, first: Facts, second: Facts) -> None:
    assert "now outperform" not in text
    significant = "statistically significant" in text and "not statistically" not in text
    if significant or COMPARATIVE.search(text):
        assert first.comparison in ("Higher", "Lower") and first.compared_with == second.area
        up = first.comparison == "Higher"
        assert first.comparison_direction == ("up" if up else "down")
        assert second.comparison_direction == ("down" if up else "up")
        assert (first.rolling_12m > second.rolling_12m) == up
        assert S.TEST_NAMES[str(first.comparison_method)] in text
    if "outperform" in text:
        leader = re.match(r"For measure, (\w+) ", text)
        assert leader is not None and first.polarity != "neutral"
        best = first if leader.group(1) == first.area else second
        other = second if best is first else first
        assert (best.rolling_12m > other.rolling_12m) == (first.polarity == "up_is_good")
        if "continues" in text:
            assert best.baseline_comparison_direction == best.comparison_direction


@settings(max_examples=400, deadline=None)
@given(area_pair())
def test_areas_are_compared_only_by_a_significant_test_the_sentence_names(
    pair: tuple[Facts, Facts],
) -> None:
    check_areas(S.area_comparison(*pair) or "", *pair)


@settings(max_examples=150, deadline=None)
@given(measure_facts(), area_pair())
def test_the_commentary_of_results_rows_says_only_what_was_tested(
    force: Facts, pair: tuple[Facts, Facts]
) -> None:
    rows = pd.DataFrame([asdict(force), *(asdict(f) for f in pair)])
    paragraphs = commentary(rows, MONTH)["f"]
    kinds = [p.kind for p in paragraphs]
    assert kinds[0] == "measure" and set(kinds[1:]) <= {"areas"}
    check_directions(Facts.from_row(rows.iloc[0].to_dict()), paragraphs[0].directional)
    for p in paragraphs[1:]:
        first, second = (Facts.from_row(r) for r in rows.iloc[1:].to_dict(orient="records"))
        check_areas(p.text, first, second)


@st.composite
def record_facts(draw: st.DrawFn) -> Facts:
    held = draw(st.integers(min_value=1, max_value=60))  # months held up to the reporting month
    start = add_months(MONTH, 1 - held)
    earlier = st.integers(min_value=0, max_value=held - 1).map(lambda k: add_months(start, k))
    return Facts(
        measure_id="m", measure="Measure", focus_area_id="f", focus_area="Focus", pillar="P",
        kind="count", unit="count", polarity="down_is_good", area_level="force", area="all",
        month=MONTH, value=draw(figures), data_start=start,
        record_high_since=draw(st.one_of(st.none(), earlier)),
        record_low_since=draw(st.one_of(st.none(), earlier)),
        twelve_month_high=draw(st.booleans()), twelve_month_low=draw(st.booleans()),
    )  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(record_facts())
def test_a_record_since_a_month_is_claimed_only_where_the_data_reaches_back_past_it(
    f: Facts,
) -> None:
    text = S.record(f) or ""
    found = re.search(r"since (\w+) (\d{4})", text)
    if found:
        named = f"{found.group(1)} {found.group(2)}"
        since = next(
            d for d in (f.record_high_since, f.record_low_since) if d and f"{d:%B %Y}" == named
        )
        assert f.data_start is not None and since > f.data_start
        assert month_index(f.month) - month_index(since) >= S.RECORD_MIN_MONTHS


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["astronomical", "shift", "trend", "two_of_three", "shift,trend"]),
    st.sampled_from(["high", "low", None]),
)
def test_an_spc_sentence_names_only_the_side_the_signal_is_on(rule: str, side: str | None) -> None:
    f = Facts(measure_id="m", measure="Measure", focus_area_id="f", focus_area="Focus", pillar="P",
              kind="count", unit="count", polarity="neutral", area_level="force", area="all",
              month=MONTH, spc_rule=rule, spc_side=side)  # fmt: skip
    said = words(S.spc(f) or "")
    if said & {"above", "higher"}:
        assert side == "high"
    if said & {"below", "lower"}:
        assert side == "low"
    assert S.spc(replace(f, suppressed=True)) is None


def test_every_test_the_engine_compares_areas_by_has_a_name_in_sentences() -> None:
    from policeperf.engine import compare

    assert {compare.POISSON_RATES, *compare.PROPORTION_METHODS} == set(S.TEST_NAMES)
    assert set(compare.METHOD_TEXT) == set(S.TEST_NAMES)
