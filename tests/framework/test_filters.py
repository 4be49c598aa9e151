"""Filters on any filterable column: names and values checked against the store schema, each
problem reported with the framework file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from policeperf.framework import load_framework
from policeperf.framework.models import Filters
from policeperf.yamlconf import ConfigError

HEAD = """\
name: mine
title: My framework
version: "1"
pillars:
  - id: p
    name: P
    priorities:
      - id: q
        name: Q
        focus_areas:
          - id: f
            name: F
            measures:
"""
LOC = "pillars[0].priorities[0].focus_areas[0].measures"


def load(tmp_path: Path, measures: str) -> list[str]:
    path = tmp_path / "framework.yaml"
    path.write_text(HEAD + measures)
    with pytest.raises(ConfigError) as info:
        load_framework(path)
    return [p.removeprefix(str(path)) for p in info.value.problems]


def test_an_unknown_column_and_a_value_not_allowed_are_named_with_their_line(
    tmp_path: Path,
) -> None:
    problems = load(tmp_path, """\
              - id: orders
                name: Orders
                table: activities
                kind: count
                filters:
                  activity_typ: [dispersal_authorisation]
                  activity_type: [dispersal_authorization]
                  gang_related: "yes"
                  age_band: 17
""")  # fmt: skip
    assert problems == [
        f":19 {LOC}[0].filters.activity_typ: activity_typ is not a filterable column of "
        "activities; filters for activities: markers, activity_type, outcome, unit, age_band, "
        "domestic_abuse, gang_related",
        f":20 {LOC}[0].filters.activity_type: got 'dispersal_authorization'; expected one of "
        "arrest, voluntary_interview, dispersal_authorisation, dispersal_direction, "
        "criminal_behaviour_order, community_protection_warning, community_protection_notice, "
        "closure_order, injunction, gang_injunction, knife_crime_prevention_order, "
        "stalking_protection_order, domestic_violence_protection_notice, "
        "domestic_violence_protection_order, sexual_harm_prevention_order, warrant, seizure, "
        "asset_recovery, fraud_referral, non_crime_investigation, sex_offender_visit, "
        "casefile_submission, pre_charge_submission, data_quality_audit, custody_detention, other",
        f":21 {LOC}[0].filters.gang_related: got 'yes'; expected true or false",
        f":22 {LOC}[0].filters.age_band: got 17; expected text (quote it, e.g. '17')",
    ]


def test_named_filters_and_markers_are_checked_against_the_table_too(tmp_path: Path) -> None:
    problems = load(tmp_path, """\
              - {id: a, name: A, kind: count, table: incidents, filters: {grades: [urgent]}}
              - id: b
                name: B
                kind: count
                table: investigations
                filters:
                  markers: [domestic_abuse, gang_related]
                  categories: [Robbery]
                  offence_category: [Burglary]
              - {id: c, name: C, kind: count, table: calls, filters: {categories: [Robbery]}}
""")  # fmt: skip
    assert problems[0] == (
        f":14 {LOC}[0].filters.grades: got 'urgent'; expected one of emergency, priority, "
        "prompt, scheduled, no_attendance"
    )
    assert problems[1].startswith(
        f":20 {LOC}[1].filters.markers[1]: 'gang_related' is not a flag of investigations; "
        "filters for investigations: categories, offence_codes, offence_groups, "
        "offence_subgroups, markers, status, compliant, allocated"
    )
    assert problems[2] == (
        f":22 {LOC}[1].filters.offence_category: offence_category is filtered twice (also by "
        "categories); give it once"
    )
    assert problems[3] == (
        f":23 {LOC}[2].filters.categories: categories does not apply to calls; filters for "
        "calls: lines, line"
    )
    assert len(problems) == 4


def test_an_empty_or_malformed_column_filter_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    problems = load(tmp_path, """\
              - {id: a, name: A, kind: count, table: activities, filters: {outcome: }}
              - {id: b, name: B, kind: count, table: activities, filters: {columns: 5}}
""")  # fmt: skip
    assert problems[0] == (
        f":14 {LOC}[0].filters: outcome: no value given; expected a value or a list of values"
    )
    assert problems[1].startswith(f":15 {LOC}[1].filters.columns: ")
    assert len(problems) == 2


def test_every_filter_of_the_shipped_frameworks_fits_its_table() -> None:
    for name in ("pcp", "police-uk", "operations"):
        framework = load_framework(name)
        assert any(m.filters.by_column() for *_, m in framework.measures()), name


def test_a_filter_is_a_column_name_or_a_named_filter_with_its_column() -> None:
    filters = Filters.model_validate(
        {"categories": ["Robbery"], "markers": ["hate"], "vcc_contact_due": True,
         "activity_type": ["arrest", "seizure"], "survey": "victim_satisfaction"}
    )  # fmt: skip
    assert filters.by_column() == [
        ("categories", "offence_category", ("Robbery",)),
        ("survey", "survey", ("victim_satisfaction",)),
        ("markers", "hate", (True,)),
        ("vcc_contact_due", "vcc_contact_due", (True,)),
        ("activity_type", "activity_type", ("arrest", "seizure")),
    ]
    assert Filters().by_column() == []
    # The same filters given by column name in Python are the same model.
    assert Filters(columns={"vcc_contact_due": True}) == Filters.model_validate(
        {"vcc_contact_due": [True]}
    )


def test_the_docs_list_every_filterable_column_of_every_table() -> None:
    import re

    from policeperf.store.schema import RECORD_TABLES

    text = (Path(__file__).parents[2] / "docs" / "frameworks.md").read_text()
    section = text.split("### Filters", 1)[1].split("\n\n- ", 1)[0]
    listed = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if line.startswith("| ") and cells[0] in RECORD_TABLES:
            listed[cells[0]] = set(re.findall(r"`([a-z_0-9]+)`", cells[1] + cells[2]))
    for name in ("crimes", "incidents", "calls", "survey_responses", "stop_searches",
                 "investigations", "activities", "asb_incidents"):  # fmt: skip
        assert listed[name] == set(RECORD_TABLES[name].filterable), name
