"""Rolling district figures up to areas and the force."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd

from policeperf.engine.cube import _rollup
from policeperf.framework.models import Measure

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
