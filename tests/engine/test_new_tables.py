"""Measures over activities and per-standard investigations, and filters on any filterable
column, against hand-counted records."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import yaml

from policeperf.engine.aggregate import Scope
from policeperf.engine.cube import build_cube
from policeperf.framework import Framework
from policeperf.store import Store
from policeperf.store.database import ibis_backend
from tests.frameworks import framework_yaml

JAN, FEB = date(2021, 1, 1), date(2021, 2, 1)
FORCE = "Test Force"
DISTRICTS = pd.DataFrame({"district": ["A", "B"], "area": ["North", "South"]}, dtype="object")


def cube_of(store: Store, measures: list[dict[str, Any]]) -> dict[tuple[str, date], tuple]:
    """(measure, month) -> (numerator, denominator) for the force."""
    framework = Framework.model_validate(yaml.safe_load(framework_yaml(measures, force=FORCE)))
    scope = Scope(force=FORCE, last_month=FEB)
    cube = build_cube(ibis_backend(store), framework, scope, DISTRICTS)
    force = cube.additive[cube.additive["level"] == "force"]
    return {
        (m, p): (n, None if pd.isna(d) else d)
        for m, p, n, d in zip(force["measure_id"], force["period"], force["num"], force["den"],
                              strict=True)
    }  # fmt: skip


def add_activities(store: Store) -> None:
    rows = [
        # id, date, type, outcome, gang, age band, district
        ("a1", date(2021, 1, 3), "dispersal_authorisation", "granted", True, "under_18", "A"),
        ("a2", date(2021, 1, 9), "dispersal_authorisation", "granted", None, None, "B"),
        ("a3", date(2021, 1, 20), "criminal_behaviour_order", "granted", True, "18_24", "A"),
        ("a4", date(2021, 2, 1), "criminal_behaviour_order", "refused", False, "under_18", "B"),
        ("a5", date(2021, 2, 14), "criminal_behaviour_order", "granted", True, "under_18", "A"),
        ("a6", date(2021, 2, 28), "arrest", "charged", False, "25_34", None),
        ("a7", date(2021, 3, 1), "dispersal_authorisation", "granted", True, "under_18", "A"),
    ]
    for row in rows:
        store.execute(
            "INSERT INTO activities (activity_id, activity_date, activity_type, outcome, "
            "gang_related, age_band, district, force) VALUES (?, ?, ?, ?, ?, ?, ?, 'Test Force')",
            list(row),
        )


def test_activities_are_counted_by_type_outcome_flag_and_age_band(store: Store) -> None:
    """January: two dispersal authorisations, one CBO granted; February: one CBO granted and one
    refused, one arrest. March is after the reporting month. Gang-flagged under-18s: a1 in
    January, a5 in February (a2's flag is unknown, a4 is not gang work)."""
    add_activities(store)
    got = cube_of(store, [
        {"id": "dispersal", "name": "D", "kind": "count", "table": "activities",
         "filters": {"activity_type": "dispersal_authorisation"}},
        {"id": "cbo_granted", "name": "C", "kind": "count", "table": "activities",
         "filters": {"activity_type": ["criminal_behaviour_order"], "outcome": "granted"}},
        {"id": "youth_gang", "name": "Y", "kind": "count", "table": "activities",
         "filters": {"gang_related": True, "age_band": ["under_18"]}},
        {"id": "not_gang", "name": "N", "kind": "count", "table": "activities",
         "filters": {"gang_related": False}},
        {"id": "all_activity", "name": "A", "kind": "count", "table": "activities"},
    ])  # fmt: skip
    assert got[("dispersal", JAN)] == (2, None) and got[("dispersal", FEB)] == (0, None)
    assert got[("cbo_granted", JAN)] == (1, None) and got[("cbo_granted", FEB)] == (1, None)
    assert got[("youth_gang", JAN)] == (1, None) and got[("youth_gang", FEB)] == (1, None)
    # An unknown flag is neither true nor false: a2 is in no gang count.
    assert got[("not_gang", JAN)] == (0, None) and got[("not_gang", FEB)] == (2, None)
    # The arrest of no district still counts for the force.
    assert got[("all_activity", JAN)] == (3, None) and got[("all_activity", FEB)] == (3, None)


def add_investigations(store: Store) -> None:
    for crime_id, subgroup, district in (("c1", "Rape offences", "A"), ("c2", "Robbery", "B")):
        store.execute(
            "INSERT INTO crimes (crime_id, force, recorded_date, offence_category, "
            "offence_subgroup, district) VALUES (?, 'Test Force', '2020-12-01', 'x', ?, ?)",
            [crime_id, subgroup, district],
        )
    rows = [
        # crime, date, compliant, vcc due, vcc made, own force, own subgroup
        ("c1", date(2021, 1, 4), True, True, True, None, None),
        ("c1", date(2021, 1, 25), False, True, False, None, None),
        ("c2", date(2021, 1, 7), True, False, None, None, None),
        # A rape investigation whose crime is not held: its own force and offence count.
        ("c9", date(2021, 1, 8), False, True, False, FORCE, "Rape offences"),
        # The event's own offence wins over its crime's.
        ("c2", date(2021, 2, 2), True, True, True, None, "Rape offences"),
        ("c1", date(2021, 2, 9), None, True, None, None, None),
        # No crime held and no force of its own: not the force's.
        ("c8", date(2021, 2, 10), True, True, True, None, "Rape offences"),
    ]
    for row in rows:
        store.execute(
            "INSERT INTO investigations (crime_id, snapshot_date, compliant, vcc_contact_due, "
            "vcc_contact_made, force, offence_subgroup) VALUES (?, ?, ?, ?, ?, ?, ?)",
            list(row),
        )


def test_a_standard_is_a_proportion_of_the_events_it_was_due_on_filtered_by_offence(
    store: Store,
) -> None:
    """Rape, VCC due: January c1 (made), c1 (late), c9 (late) -> 1 of 3; February c2 (own
    offence, made), c1 (not recorded: not made) -> 1 of 2. Compliance, every event: January
    2 of 4; February 1 of 2 (c1's unknown flag is not compliant, c8 is not the force's)."""
    add_investigations(store)
    got = cube_of(store, [
        {"id": "rape_vcc", "name": "R", "kind": "proportion", "table": "investigations",
         "success": {"field": "vcc_contact_made"},
         "filters": {"offence_subgroups": ["Rape offences"], "vcc_contact_due": True}},
        {"id": "compliance", "name": "C", "kind": "proportion", "table": "investigations",
         "success": {"field": "compliant"}},
    ])  # fmt: skip
    assert got[("rape_vcc", JAN)] == (1, 3) and got[("rape_vcc", FEB)] == (1, 2)
    assert got[("compliance", JAN)] == (2, 4) and got[("compliance", FEB)] == (1, 2)


def test_incidents_filter_on_their_domestic_abuse_flag_by_name_or_as_a_marker(
    store: Store,
) -> None:
    for i, (day, flag) in enumerate(
        ((date(2021, 1, 2), True), (date(2021, 1, 3), False), (date(2021, 1, 4), None),
         (date(2021, 2, 5), True), (date(2021, 2, 6), True))
    ):  # fmt: skip
        store.execute(
            "INSERT INTO incidents (incident_id, force, created_at, grade, domestic_abuse, "
            "district) VALUES (?, 'Test Force', ?, 'prompt', ?, 'A')",
            [f"i{i}", day, flag],
        )
    got = cube_of(store, [
        {"id": "by_name", "name": "N", "kind": "count", "table": "incidents",
         "filters": {"domestic_abuse": True}},
        {"id": "as_marker", "name": "M", "kind": "count", "table": "incidents",
         "filters": {"markers": ["domestic_abuse"], "grades": ["prompt"]}},
        {"id": "not_domestic", "name": "X", "kind": "count", "table": "incidents",
         "filters": {"domestic_abuse": False}},
    ])  # fmt: skip
    for measure in ("by_name", "as_marker"):
        assert got[(measure, JAN)] == (1, None) and got[(measure, FEB)] == (2, None)
    assert got[("not_domestic", JAN)] == (1, None) and got[("not_domestic", FEB)] == (0, None)
