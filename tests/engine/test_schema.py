"""The results schema: declared once, written in its order, documented, typed on request."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from policeperf.engine import compare, evaluate, schema
from policeperf.engine.results import ALWAYS_PRESENT, COLUMN_ORDER
from policeperf.store import Store

DOC = Path(__file__).parents[2] / "docs" / "results-schema.md"


def test_the_docs_page_is_the_declared_schema() -> None:
    assert DOC.read_text() == schema.markdown()


def test_the_engine_writes_the_declared_columns_in_order() -> None:
    assert (*COLUMN_ORDER, *compare.COLUMNS) == tuple(c.name for c in schema.RESULTS)
    assert set(ALWAYS_PRESENT) <= set(COLUMN_ORDER)
    assert len(schema.BY_NAME) == len(schema.RESULTS)


def test_typed_gives_each_column_its_dtype_and_keeps_missing_figures_missing() -> None:
    frame = pd.DataFrame(
        {
            "month": [pd.Timestamp("2021-03-01").date(), None],
            "status": ["ok", "no_data"],
            "verdict": ["Higher", None],
            "crime_count": [12.0, float("nan")],
            "highest_on_record": [True, None],
            "value": [1.5, None],
            "measure": ["A", "B"],
        }
    )
    out = schema.typed(frame)
    assert str(out["month"].dtype) == "datetime64[ns]" and pd.isna(out["month"].iloc[1])
    assert list(out["status"].cat.categories[:2]) == ["ok", "no_data"]
    assert out["crime_count"].tolist()[0] == 12 and out["crime_count"].isna().iloc[1]
    assert str(out["crime_count"].dtype) == "Int64"
    assert str(out["highest_on_record"].dtype) == "boolean"
    assert out["value"].isna().iloc[1] and str(out["value"].dtype) == "Float64"
    assert str(out["measure"].dtype) == "string"


def test_a_category_value_not_declared_is_kept() -> None:
    out = schema.typed(pd.DataFrame({"status": ["ok", "new_status"]}))
    assert out["status"].tolist() == ["ok", "new_status"]


@pytest.mark.slow
def test_evaluate_typed_returns_the_declared_dtypes_with_the_same_figures(
    demo_store: Store,
) -> None:
    plain = evaluate(demo_store, "pcp", "2021-03", row_months=None)
    typed = evaluate(demo_store, "pcp", "2021-03", typed=True)
    for column in typed.columns:
        declared = schema.BY_NAME.get(column)
        if declared is not None and declared.dtype != "category":
            assert str(typed[column].dtype) == declared.dtype, column
    assert isinstance(typed["status"].dtype, pd.CategoricalDtype)
    assert typed["value"].astype(float).equals(plain["value"].astype(float))
    assert (typed["month"].dt.date == plain["month"]).all()


def test_the_python_api_returns_the_typed_table_by_default(demo_store: Store) -> None:
    """`policeperf.evaluate`, the notebook entry, gives the declared dtypes without asking."""
    import policeperf

    public = policeperf.evaluate(demo_store, "pcp", "2021-03")
    assert str(public["month"].dtype).startswith("datetime64")
    assert isinstance(public["verdict"].dtype, pd.CategoricalDtype)
    plain = policeperf.evaluate(demo_store, "pcp", "2021-03", typed=False)
    assert plain["month"].map(type).eq(type(plain["month"].iloc[0])).all()
    assert (public["month"].dt.date == plain["month"]).all()
