"""Rolling district figures up to areas and the force."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import yaml

from policeperf.engine import _unsupported
from policeperf.engine.aggregate import Scope, columns_held
from policeperf.engine.cube import _rollup, build_cube
from policeperf.framework import Framework
from policeperf.framework.models import Measure
from policeperf.store import Store
from policeperf.store.database import ibis_backend
from tests.frameworks import framework_yaml

JAN, FEB = date(2021, 1, 1), date(2021, 2, 1)


def measure(kind: str = "count") -> Measure:
    return Measure.model_validate(
        {"id": "m", "name": "M", "kind": kind, "table": "crimes", "polarity": "neutral"}
        | ({"outcome_set": "prosecution_possible"} if kind == "outcome_rate" else {})
    )


def test_districts_add_up_to_their_areas_and_the_force_in_sorted_order() -> None:
    frame = pd.DataFrame(
        {
            "period": [FEB, JAN, JAN, JAN, FEB, JAN],
            "district": ["Cambury", "Cambury", "Northam", "Southdale", "Southdale", None],
            "area": ["North", "North", "North", "South", "South", None],
            "num": [4, 1, 2, 3, 5, 10],
            "den": [8.0, 2.0, 4.0, 6.0, 10.0, 20.0],
        }
    )
    out = _rollup(frame, measure("outcome_rate"), has_den=True)
    got = list(zip(out["level"], out["area"], out["period"], out["num"], out["den"], strict=True))
    assert got == [
        # The force takes every record, those of no district included.
        ("force", "all", JAN, 16, 32), ("force", "all", FEB, 9, 18),
        ("area", "North", JAN, 3, 6), ("area", "South", JAN, 3, 6),
        ("area", "North", FEB, 4, 8), ("area", "South", FEB, 5, 10),
        ("district", "Cambury", JAN, 1, 2), ("district", "Northam", JAN, 2, 4),
        ("district", "Southdale", JAN, 3, 6),
        ("district", "Cambury", FEB, 4, 8), ("district", "Southdale", FEB, 5, 10),
    ]  # fmt: skip
    assert set(out["measure_id"]) == {"m"}


def test_a_count_has_no_denominator_and_a_harm_measure_keeps_its_crimes() -> None:
    frame = pd.DataFrame(
        {"period": [JAN, JAN], "district": ["Cambury", "Fenmoor"], "area": ["North", None],
         "num": [365.0, 30.5], "crimes": [2, 1]}
    )  # fmt: skip
    out = _rollup(frame, measure(), has_den=False)
    force = out[out["level"] == "force"].iloc[0]
    assert (force["num"], force["crimes"]) == (395.5, 3)
    assert math.isnan(force["den"])
    # A district of no area is counted for the force and itself, not for an area.
    assert list(out.loc[out["level"] == "area", "area"]) == ["North"]
    assert list(out.loc[out["level"] == "district", "area"]) == ["Cambury", "Fenmoor"]


def test_no_rows_roll_up_to_no_rows() -> None:
    frame = pd.DataFrame({"period": [], "district": [], "area": [], "num": []})
    assert _rollup(frame, measure(), has_den=False).empty


def test_the_additive_scan_counts_the_values_the_unsupported_check_needs(store: Store) -> None:
    """Three crimes up to March (domestic-abuse marker true, missing, false; no hate marker) and
    one in April, after the reporting month: the crimes scan counts 3 records, 2 with a value
    for the domestic-abuse marker, 0 for the hate marker, as a scan of its own would, so the
    hate measure is the one not configured."""
    for crime_id, day, domestic in (
        ("a", date(2021, 1, 5), True), ("b", date(2021, 2, 5), None),
        ("c", date(2021, 3, 5), False), ("d", date(2021, 4, 5), True),
    ):  # fmt: skip
        store.execute(
            "INSERT INTO crimes (crime_id, force, recorded_date, district, domestic_abuse) "
            "VALUES (?, 'Test Force', ?, 'A', ?)",
            [crime_id, day, domestic],
        )
    text = framework_yaml([
        {"id": "domestic", "name": "D", "kind": "count", "filters": {"markers": ["domestic_abuse"]}},
        {"id": "hate", "name": "H", "kind": "count", "filters": {"markers": ["hate"]}},
    ])  # fmt: skip
    framework = Framework.model_validate(yaml.safe_load(text))
    backend = ibis_backend(store)
    scope = Scope(force="Test Force", last_month=date(2021, 3, 1))
    districts = pd.DataFrame({"district": ["A"], "area": ["North"]}, dtype="object")
    cube = build_cube(backend, framework, scope, districts)
    assert cube.held == {"crimes": {"*": 3, "domestic_abuse": 2, "hate": 0}}
    assert cube.held["crimes"] == columns_held(backend, "crimes", scope, ["domestic_abuse", "hate"])
    assert cube.additive["measure_id"].tolist().count("domestic") > 0
    assert "__held_rows" not in cube.additive
    unsupported = _unsupported(backend, framework, scope, cube.held)
    assert list(unsupported) == ["hate"]
    assert "none of the 3 recorded crime records" in unsupported["hate"]
    assert unsupported == _unsupported(backend, framework, scope, {})
