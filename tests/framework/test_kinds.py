"""The kind registry: each kind's fields and rules, units and formats, and references between
measures, each rule fed broken measures and its messages checked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from policeperf.framework import Framework, load_framework
from policeperf.framework.kinds import KINDS, UNITS, kind, unit
from policeperf.framework.models import Measure
from policeperf.yamlconf import ConfigError
from tests.frameworks import framework_yaml


def _measure(**fields: Any) -> Measure:
    return Measure.model_validate({"id": "m", "name": "M"} | fields)


def _framework(measures: list[dict[str, Any]]) -> Framework:
    return Framework.model_validate(yaml.safe_load(framework_yaml(measures)))


def test_every_kind_module_is_found_and_names_a_unit_the_outputs_know() -> None:
    assert set(KINDS) == {"count", "harm", "mean", "median", "outcome_count", "outcome_rate",
                          "proportion", "rate_per_population", "ratio", "sum"}  # fmt: skip
    for k in KINDS.values():
        assert all(u.name in UNITS for u in k.units), k.name


def test_an_unknown_kind_is_named_with_the_kinds_there_are() -> None:
    with pytest.raises(ValidationError, match="got 'average'; expected one of count, harm"):
        _measure(kind="average")
    with pytest.raises(KeyError, match="no measure kind 'average'; kinds: count"):
        kind("average")


def test_a_field_of_another_kind_is_refused() -> None:
    with pytest.raises(ValidationError, match="outcome_set is not a field of count measures"):
        _measure(kind="count", outcome_set="positive")
    with pytest.raises(ValidationError, match="success is not a field of mean measures"):
        _measure(kind="mean", table="incidents", value="response_minutes",
                 success={"field": "satisfied"})  # fmt: skip


def test_each_kind_says_what_it_needs() -> None:
    cases = [
        ({"kind": "outcome_rate"}, "an outcome_rate needs outcome_set"),
        ({"kind": "outcome_count"}, "an outcome_count needs outcome_set"),
        ({"kind": "proportion"}, "a proportion needs success"),
        ({"kind": "mean", "table": "incidents"}, "a mean needs value"),
        ({"kind": "sum", "table": "crimes", "value": "answer_seconds"},
         "answer_seconds is measured in calls, not crimes"),
        ({"kind": "ratio", "numerator": "a"}, "a ratio needs numerator and denominator"),
        ({"kind": "ratio", "numerator": "m", "denominator": "b"}, "cannot reference itself"),
        ({"kind": "harm", "table": "calls"}, "a harm measure counts crimes"),
        ({"kind": "proportion", "table": "calls", "success": {"field": "satisfied"}},
         "this success does not apply to calls"),
        ({"kind": "proportion", "success": {"filters": {}}}, "give at least one filter"),
    ]  # fmt: skip
    for fields, message in cases:
        with pytest.raises(ValidationError, match=message):
            _measure(**fields)


def test_success_is_exactly_one_of_a_flag_a_time_or_filters() -> None:
    with pytest.raises(ValidationError, match="give exactly one of field"):
        _measure(kind="proportion", table="survey_responses",
                 success={"field": "satisfied", "filters": {"markers": ["hate"]}})  # fmt: skip


def test_units_write_figures_as_board_papers_do() -> None:
    assert unit("pct").cell_text(14.3317) == "14.3%"
    assert unit("count").cell_text(1242.0) == "1,242"
    assert unit("minutes").sentence_text(9.6) == "10 minutes"
    assert unit("per_population").sentence_text(62.04) == "62.0 per 1,000"
    assert unit("harm_days").sentence_text(538640.4) == "538,640 days"
    assert unit("ratio").cell_text(0.254) == "0.25"
    assert unit("total_minutes").axis == "minutes per month"
    assert (unit("count").per_month, unit("pct").per_month, unit("pct").upper) == (12, 1, 100)
    assert unit("no such unit") is unit("count")


def test_a_measure_built_on_another_takes_its_table_and_filters() -> None:
    f = _framework([
        {"id": "waits", "name": "W", "kind": "count", "table": "calls", "filters": {"lines": ["999"]}},
        {"id": "share", "name": "S", "kind": "proportion", "of": "waits",
         "success": {"answered_within_seconds": 10}},
    ])  # fmt: skip
    share = f.measure("share")
    assert share.table == "calls" and share.filters.lines == ("999",)


def test_references_between_measures_are_checked() -> None:
    base = {"id": "c", "name": "C", "kind": "count"}
    cases = [
        ([{"id": "r", "name": "R", "kind": "rate_per_population", "of": "nope"}],
         "of names 'nope', which is not a measure"),
        ([base, {"id": "r", "name": "R", "kind": "rate_per_population", "of": "c",
                 "filters": {"markers": ["hate"]}}], "give of or table and filters, not both"),
        ([base, {"id": "p", "name": "P", "kind": "outcome_rate", "outcome_set": "positive",
                 "of": "c"}, {"id": "q", "name": "Q", "kind": "count", "of": "p"}],
         "which is itself built on another"),
        ([base, {"id": "p", "name": "P", "kind": "outcome_rate", "outcome_set": "positive"},
          {"id": "r", "name": "R", "kind": "ratio", "numerator": "p", "denominator": "c"}],
         "p is of kind outcome_rate; a ratio divides totals"),
        ([base, {"id": "r", "name": "R", "kind": "ratio", "numerator": "x", "denominator": "c"}],
         "'x' is not a measure"),
        ([{"id": "w", "name": "W", "kind": "count", "table": "calls"},
          {"id": "m", "name": "M", "kind": "mean", "of": "w", "value": "response_minutes"}],
         "response_minutes is measured in incidents, not calls"),
    ]  # fmt: skip
    for measures, message in cases:
        with pytest.raises(ValidationError, match=message):
            _framework(measures)


def test_the_loader_reports_each_broken_reference_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text(framework_yaml([
        {"id": "c", "name": "C", "kind": "count"},
        {"id": "r", "name": "R", "kind": "ratio", "numerator": "c", "denominator": "nope"},
        {"id": "s", "name": "S", "kind": "rate_per_population", "of": "gone"},
    ]))  # fmt: skip
    with pytest.raises(ConfigError) as caught:
        load_framework(path)
    text = str(caught.value)
    lines = path.read_text().splitlines()
    line = {key: lines.index(next(t for t in lines if t.strip() == key)) + 1
            for key in ("denominator: nope", "of: gone")}  # fmt: skip
    assert (
        f"f.yaml:{line['denominator: nope']} " in text
        and "measures[1].denominator: 'nope' is not a measure" in text
    )
    assert f"f.yaml:{line['of: gone']} " in text and "measures[2].of: of names 'gone'" in text


def test_the_framework_docs_list_every_kind() -> None:
    text = (Path(__file__).parents[2] / "docs" / "frameworks.md").read_text()
    for name in KINDS:
        assert f"\n| {name} " in text, name
