"""The results table's split of the cube into series: the series and rows a pandas group-by per
measure gave, read from numpy arrays; and the months of a series given rows."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from policeperf.engine.results import _AdditiveSeries, _row_positions

JAN, FEB, MAR = date(2021, 1, 1), date(2021, 2, 1), date(2021, 3, 1)


def _cube_rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "measure_id": ["a", "b", "a", "a", "b", "a", "a"],
            "level": ["force", "force", "area", "force", "force", "area", "area"],
            "area": ["all", "all", "North", "all", "all", None, "North"],
            "period": [JAN, JAN, JAN, FEB, FEB, JAN, FEB],
            "num": [1.0, 2.0, 3.0, np.nan, 5.0, 6.0, 7.0],
            "den": [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0],
        }
    )


def test_series_come_in_the_order_they_first_appear_with_their_rows_in_order() -> None:
    split = _AdditiveSeries(_cube_rows())
    columns = split.columns()
    series = {key: columns.take(index) for key, index in split.series("a")}
    assert list(series) == [("force", "all"), ("area", "North")]
    force, north = series["force", "all"], series["area", "North"]
    assert list(force["period"]) == [JAN, FEB]
    np.testing.assert_array_equal(force["num"], [1.0, np.nan])
    assert list(north["period"]) == [JAN, FEB]
    assert north["den"].tolist() == [30.0, 70.0]
    assert len(north) == 2 and "den" in north and "lag0" not in north


def test_a_row_without_an_area_is_in_no_series_and_a_measure_without_rows_has_none() -> None:
    split = _AdditiveSeries(_cube_rows())
    rows = sum(len(index) for _, index in split.series("a"))
    assert rows == 4  # five rows of measure a, one without an area
    assert [key for key, _ in split.series("b")] == [("force", "all")]
    assert split.series("c") == []


def test_rows_are_given_to_the_months_asked_at_the_level_asked() -> None:
    months = [JAN, FEB, MAR]

    def ctx(row_months: Any) -> Any:
        return SimpleNamespace(row_months=row_months)

    assert _row_positions(ctx(None), months, "area") == [0, 1, 2]
    asked = {"force": frozenset({MAR, JAN}), "area": frozenset({FEB})}
    assert _row_positions(ctx(asked), months, "force") == [0, 2]
    assert _row_positions(ctx(asked), months, "area") == [1]
    assert _row_positions(ctx(asked), months, "district") == []
