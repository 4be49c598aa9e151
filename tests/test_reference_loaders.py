"""Reference files are parsed once per process; callers still get mappings of their own."""

from __future__ import annotations

from policeperf.reference import catalogue, outcome_sets


def test_the_catalogue_is_parsed_once_and_each_caller_gets_its_own_mapping() -> None:
    first = catalogue()
    first.pop("outcome_sets")
    second = catalogue()
    assert "outcome_sets" in second and "outcome_sets" not in first
    assert second["outcome_sets"] is catalogue()["outcome_sets"]  # the same parsed entry


def test_outcome_sets_are_parsed_once_and_each_caller_gets_its_own_mapping() -> None:
    first = outcome_sets()
    first.clear()
    second = outcome_sets()
    assert "positive" in second and second["positive"].name == "positive"
    assert second["positive"] is outcome_sets()["positive"]
