"""The results table's columns, declared once: name, dtype, unit and meaning of each.

The engine writes its columns in this order (`results.COLUMN_ORDER` and `compare.COLUMNS` are
read from here), `typed` gives a results table the declared dtypes (what `evaluate(typed=True)`
returns to a notebook) and docs/results-schema.md is `markdown()`, checked by a test.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

from policeperf.engine import availability as A
from policeperf.engine import spc as spc_mod
from policeperf.engine import verdict as V
from policeperf.framework.kinds import KINDS, UNITS

Dtype = Literal["string", "category", "datetime64[ns]", "Int64", "Float64", "boolean"]
"""pandas dtypes: text, a category of known values, a month (first day), a count, a number,
a flag; every one nullable (a figure that is not available is missing, never 0)."""

MEASURE_UNIT = "measure"
"""The unit of the row's measure (its `unit` column): count, pct, minutes, ..."""


@dataclass(frozen=True)
class Column:
    name: str
    dtype: Dtype
    unit: str
    """MEASURE_UNIT, 'count', 'pct', 'ppt', 'p' (a probability), 'date' or '' (text)."""
    meaning: str
    by: Literal["results", "compare"] = "results"
    """The engine step that writes it: the results table, or the comparison between areas."""
    values: tuple[str, ...] = ()
    """A category's values (others met are kept after them)."""


VERDICTS = ("Improved", "Deteriorated", "Higher", "Lower", V.COMPARABLE, V.INSUFFICIENT)
DIRECTIONS = ("up", "down", "none")
S: Dtype = "string"
C: Dtype = "category"
D: Dtype = "datetime64[ns]"
N: Dtype = "Int64"
F: Dtype = "Float64"
B: Dtype = "boolean"
M = MEASURE_UNIT

RESULTS: tuple[Column, ...] = (
    Column("framework", S, "", "framework name"),
    Column("framework_version", S, "", "framework version"),
    Column("force", S, "", "the force evaluated"),
    Column("pillar", S, "", "pillar name"),
    Column("pillar_id", S, "", "pillar id"),
    Column("priority", S, "", "priority name"),
    Column("focus_area", S, "", "focus area name"),
    Column("focus_area_id", S, "", "focus area id"),
    Column("measure_id", S, "", "measure id"),
    Column("measure", S, "", "measure name"),
    Column("kind", C, "", "the measure's kind (framework.kinds)", values=tuple(KINDS)),
    Column("unit", C, "", "the unit of the measure's figures", values=tuple(UNITS)),
    Column("polarity", C, "", "whether up is good, bad or neither",
           values=("up_is_good", "down_is_good", "neutral")),
    Column("target", F, M, "the measure's target, for SPC assurance"),
    Column("as_at", S, "", "when the store was read (UTC, ISO 8601)"),
    Column("store_state", S, "", "the store's batches and rows when read"),
    Column("area_level", C, "", "force, area or district", values=("force", "area", "district")),
    Column("area", S, "", "the place: 'all' for the force, else the area or district"),
    Column("month", D, "date", "the month of the row (first day)"),
    Column("value", F, M, "the month's figure"),
    Column("rolling_12m", F, M, "the 12 months ending with the month"),
    Column("baseline", F, M, "the baseline financial year's figure"),
    Column("baseline_period", S, "", "the baseline year, e.g. 2019/20"),
    Column("rolling_12m_monthly", F, M, "rolling 12 months on the months' scale (totals / 12)"),
    Column("baseline_monthly", F, M, "baseline on the months' scale (totals / 12)"),
    Column("change", F, M, "rolling 12 months minus baseline"),
    Column("change_pct", F, "pct", "change as % of the baseline"),
    Column("change_ppt", F, "ppt", "change in percentage points (percentage measures)"),
    Column("same_month_last_year", F, M, "the month's figure a year before"),
    Column("same_month_last_year_change_pct", F, "pct", "change on the same month last year"),
    Column("previous_month", F, M, "the month before's figure"),
    Column("status", C, "", "whether the figure stands, or why not", values=A.STATUSES),
    Column("reason", S, "", "why a figure does not stand, in words"),
    Column("numerator", F, "count", "the month's numerator (records, or a total of a value)"),
    Column("denominator", F, "count", "the month's denominator (rates, proportions, means)"),
    Column("n", F, "count", "the cases behind the month's figure"),
    Column("rolling_12m_numerator", F, "count", "numerator of the rolling 12 months"),
    Column("rolling_12m_denominator", F, "count", "denominator of the rolling 12 months"),
    Column("baseline_numerator", F, "count", "numerator of the baseline year"),
    Column("baseline_denominator", F, "count", "denominator of the baseline year"),
    Column("fytd", F, M, "the financial year to date"),
    Column("fytd_label", S, "", "the financial year of fytd"),
    Column("spc_class", C, "", "SPC point type", values=spc_mod.POINT_TYPES),
    Column("spc_rule", S, "", "SPC rules the point breaks, comma-separated"),
    Column("spc_mean", F, M, "SPC centre line"),
    Column("spc_lower", F, M, "SPC lower process limit"),
    Column("spc_upper", F, M, "SPC upper process limit"),
    Column("spc_lower_near", F, M, "SPC lower two-sigma line"),
    Column("spc_upper_near", F, M, "SPC upper two-sigma line"),
    Column("spc_locked", B, "", "SPC limits held from earlier points"),
    Column("spc_side", C, "", "side of the mean of a special cause", values=("high", "low")),
    Column("spc_assurance", C, "", "SPC assurance against the target",
           values=(spc_mod.PASS, spc_mod.FAIL, spc_mod.HIT_OR_MISS)),
    Column("spc_restarted", D, "date", "the month SPC restarted after a gap"),
    Column("record_high_since", D, "date", "highest since this month"),
    Column("record_low_since", D, "date", "lowest since this month"),
    Column("highest_on_record", B, "", "highest of the whole series"),
    Column("lowest_on_record", B, "", "lowest of the whole series"),
    Column("twelve_month_high", B, "", "highest of the last 12 months"),
    Column("twelve_month_low", B, "", "lowest of the last 12 months"),
    Column("rolling_direction_3m", C, "", "rolling 12 months over 3 months: up, down or mixed",
           values=("up", "down", "mixed")),
    Column("trend_direction", C, "", "significant Mann-Kendall trend", values=DIRECTIONS),
    Column("trend_p", F, "p", "Mann-Kendall p-value"),
    Column("trend_halted", B, "", "a trend of the month before is no longer significant"),
    Column("previous_trend_direction", C, "", "the month before's trend", values=DIRECTIONS),
    Column("data_start", D, "date", "first month of the unbroken run of data"),
    Column("verdict", C, "", "Perf v Benchmark: rolling 12 months vs baseline", values=VERDICTS),
    Column("method", C, "", "the verdict's test (docs/methods.md)"),
    Column("verdict_direction", C, "", "direction of a significant difference", values=DIRECTIONS),
    Column("statistic", F, "", "the test statistic (z or t)"),
    Column("p_value", F, "p", "the verdict's p-value"),
    Column("ci_low", F, M, "interval for the change: low (percentage measures: ppt)"),
    Column("ci_high", F, M, "interval for the change: high (percentage measures: ppt)"),
    Column("verdict_note", S, "", "how the verdict was reached, or why none"),
    Column("confidence", F, "p", "confidence level of verdicts"),
    Column("dispersion", F, "", "over-dispersion phi, or month-level variance, used"),
    Column("adjustment", C, "", "multiple-testing adjustment",
           values=("none", "benjamini_hochberg")),
    Column("p_adjusted", F, "p", "the p-value the verdict is judged by"),
    Column("month_verdict", C, "", "the current month vs the baseline year's months",
           values=VERDICTS),
    Column("month_method", C, "", "the current month's test"),
    Column("month_lower", F, M, "the current month's test: lower bound"),
    Column("month_upper", F, M, "the current month's test: upper bound"),
    Column("month_note", S, "", "why the current month's test gives no verdict"),
    Column("rolling_12m_ci_low", F, "pct", "Wilson interval of a proportion: low"),
    Column("rolling_12m_ci_high", F, "pct", "Wilson interval of a proportion: high"),
    Column("rolling_12m_n", N, "count", "cases behind a median's rolling 12 months"),
    Column("baseline_n", N, "count", "cases behind a median's baseline"),
    Column("crime_count", N, "count", "records behind a weighted total (harm, sum)"),
    Column("rolling_12m_crime_count", N, "count", "records behind the rolling 12 months' total"),
    Column("baseline_crime_count", N, "count", "records behind the baseline's total"),
    Column("compared_with", S, "", "the places an area is compared with", by="compare"),
    Column("comparison", C, "", "the area vs the places compared with", by="compare",
           values=VERDICTS),
    Column("comparison_direction", C, "", "direction of a significant difference",
           by="compare", values=DIRECTIONS),
    Column("comparison_method", C, "", "the comparison's test", by="compare"),
    Column("comparison_statistic", F, "", "the comparison's statistic", by="compare"),
    Column("comparison_p_value", F, "p", "the comparison's p-value", by="compare"),
    Column("comparison_ci_low", F, M, "interval for the difference: low", by="compare"),
    Column("comparison_ci_high", F, M, "interval for the difference: high", by="compare"),
    Column("baseline_comparison_direction", C, "", "the same comparison in the baseline year",
           by="compare", values=DIRECTIONS),
)  # fmt: skip
"""Every column the engine writes, in order."""

BY_NAME = {c.name: c for c in RESULTS}


def names(by: Literal["results", "compare"]) -> tuple[str, ...]:
    """The columns written by one engine step, in order."""
    return tuple(c.name for c in RESULTS if c.by == by)


def _typed_column(values: pd.Series, column: Column) -> pd.Series:
    if column.dtype == "category":
        seen = [v for v in pd.unique(values.dropna()) if v not in column.values]
        return values.astype(pd.CategoricalDtype([*column.values, *seen]))
    if column.dtype == "datetime64[ns]":
        return pd.to_datetime(values.astype(object).where(values.notna(), None)).astype(
            "datetime64[ns]"
        )
    if column.dtype == "string":
        return values.astype(object).where(values.notna(), None).astype("string")
    if column.dtype == "boolean":
        return values.astype(object).where(values.notna(), None).astype("boolean")
    numbers = pd.to_numeric(values.astype(object).where(values.notna(), None), errors="raise")
    return numbers.astype(column.dtype)


def typed(results: pd.DataFrame) -> pd.DataFrame:
    """`results` with every declared column in its declared dtype (others as they are).

    >>> frame = typed(pd.DataFrame({"month": [pd.Timestamp("2021-03-01").date()],
    ...                             "status": ["ok"], "crime_count": [12.0]}))
    >>> [str(t) for t in frame.dtypes]
    ['datetime64[ns]', 'category', 'Int64']
    """
    return results.assign(
        **{c: _typed_column(results[c], BY_NAME[c]) for c in results.columns if c in BY_NAME}
    )


def markdown() -> str:
    """The schema as the docs page lists it."""
    lines = [
        "# The results table",
        "",
        "Every column the engine writes, in order, with its dtype as `policeperf.evaluate` (typed by default)",
        "returns it, its unit and its meaning. `measure` as a unit means the unit of the row's",
        "measure (its `unit` column: count, pct, minutes, ...). This page is generated from",
        "`policeperf.engine.schema` and a test checks it. A public version (`--suppress-below`)",
        "adds `suppressed` and `month_suppressed` (booleans: figures of the row hidden).",
        "",
        "| column | dtype | unit | meaning | written by |",
        "|---|---|---|---|---|",
    ]
    for c in RESULTS:
        values = f" ({', '.join(c.values)})" if c.values else ""
        lines.append(f"| `{c.name}` | {c.dtype} | {c.unit} | {c.meaning}{values} | {c.by} |")
    return "\n".join(lines) + "\n"
