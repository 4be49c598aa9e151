"""What every measure kind says about itself, and the units figures are shown in.

A kind is one module of this package holding one `Kind`: which measure fields it needs, how the
backend aggregates it, which test gives its default verdict, its unit, and the counts a public
version suppresses it by. Engine and outputs ask the kind; nothing else branches on kind names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from policeperf.framework.models import Filters, Measure

COUNT_METHOD = "non_shared_months_quasi_poisson"
PROPORTION_METHOD = "non_shared_months_two_proportion"
SURVEY_METHOD = "non_shared_months_survey_proportion"
MEDIAN_METHOD = "non_shared_months_median_shift"
"""Verdict methods by name; the engine's verdict module implements each (same strings)."""

Computation = Literal["additive", "windowed", "derived"]
"""additive: numerators (and denominators) summed by district, month and area in the backend;
windowed: a statistic that does not add up, worked out per area level and window in the backend
(medians); derived: built from other measures' figures after aggregation (ratios)."""

Basis = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]
"""The counts behind (the month's figure, the rolling 12 months, the baseline)."""
COUNT_BASIS: Basis = (("numerator",), ("rolling_12m_numerator",), ("baseline_numerator",))
RATE_BASIS: Basis = (
    ("numerator", "denominator"),
    ("rolling_12m_numerator", "rolling_12m_denominator"),
    ("baseline_numerator", "baseline_denominator"),
)
RECORDS_BASIS: Basis = (("crime_count",), ("rolling_12m_crime_count",), ("baseline_crime_count",))
"""Weighted sums (harm days, sums of a value) are hidden by the records behind them."""
CASES_BASIS: Basis = (("n",), ("rolling_12m_n",), ("baseline_n",))
"""Medians: the cases the statistic is taken over."""
DENOMINATOR_BASIS: Basis = (
    ("denominator",),
    ("rolling_12m_denominator",),
    ("baseline_denominator",),
)
"""Means: the records averaged."""


@dataclass(frozen=True)
class Unit:
    """How a figure in this unit is written and drawn."""

    name: str
    cell: str
    """Format spec of a table cell (`format(value, cell)`), e.g. ',.0f'."""
    suffix: str = ""
    """After the number in a table cell (e.g. '%')."""
    text_suffix: str = ""
    """After the number in a sentence (e.g. ' minutes'); the cell's own suffix if empty."""
    xlsx: str = "#,##0"
    """The spreadsheet's number format."""
    axis: str = ""
    """The chart's y-axis title."""
    per_month: float = 1.0
    """Charts draw 12-month figures divided by this (12 for totals: a monthly average)."""
    change: Literal["ppt", "pct"] = "pct"
    """Changes against the baseline in percentage points (rates in %) or in %."""
    upper: float | None = None
    """The largest value the figure can take (SPC limits are clipped to it)."""

    def cell_text(self, value: float) -> str:
        return f"{format(float(value), self.cell)}{self.suffix}"

    def sentence_text(self, value: float) -> str:
        return f"{format(float(value), self.cell)}{self.text_suffix or self.suffix}"

    @property
    def is_pct(self) -> bool:
        return self.change == "ppt"

    @property
    def averaged(self) -> bool:
        """Whether 12-month figures are charted as monthly averages."""
        return self.per_month != 1.0


COUNT = Unit("count", ",.0f", axis="per month", per_month=12.0)
PCT = Unit("pct", ".1f", suffix="%", xlsx='0.0"%"', axis="%", change="ppt", upper=100.0)
MINUTES = Unit("minutes", ",.0f", text_suffix=" minutes", axis="minutes")
SECONDS = Unit("seconds", ",.0f", text_suffix=" seconds", axis="seconds")


MONTH_DATED = ("asb_incidents",)
"""Record tables dated by the month only (no daily figure can be given)."""

Where = Callable[["Filters"], "ir.BooleanValue | None"]
"""A measure's filters as a boolean expression over the table being aggregated."""


class Kind:
    """One measure kind. Subclasses set the class attributes and override what differs."""

    name: ClassVar[str]
    description: ClassVar[str]
    computation: ClassVar[Computation] = "additive"
    uses: ClassVar[frozenset[str]] = frozenset()
    """Kind-specific measure fields this kind reads; giving any other is an error."""
    has_denominator: ClassVar[bool] = False
    """value = numerator / denominator x scale (otherwise value = numerator)."""
    binomial: ClassVar[bool] = False
    """The numerator is a subset of the denominator's records (Wilson intervals apply)."""
    population_denominator: ClassVar[bool] = False
    """The denominator is the area's residents, not records."""
    outcome_counts: ClassVar[Literal["", "period", "cohort"]] = ""
    """Reads each crime's first outcome in the measure's outcome set (by the method given)."""
    weighs_harm: ClassVar[bool] = False
    """Reads each crime's harm weight (`harm_weight`, attached before the scan)."""
    tables: ClassVar[tuple[str, ...] | None] = None
    """Record tables the kind can count (None: any)."""
    compared: ClassVar[bool] = False
    """Areas are compared with each other on this kind's rolling 12-month figure."""
    units: ClassVar[tuple[Unit, ...]] = ()
    """Units this kind brings (registered with the kind)."""
    basis: ClassVar[Basis] = COUNT_BASIS
    """The counts a public version suppresses the figure by."""
    method: ClassVar[str] = COUNT_METHOD
    """The default verdict method (a framework may name another)."""
    daily: ClassVar[bool] = False
    """The kind may be tracked day by day (`grain: day`): its figure for one day is a total of
    that day's records, or a share of them."""

    @property
    def total(self) -> bool:
        """A figure that is a total of the month's records (a ratio may divide it)."""
        return self.computation == "additive" and not (
            self.has_denominator or self.population_denominator
        )

    def problems(self, m: Measure) -> list[str]:
        """What is wrong with `m` as a measure of this kind (its own fields only)."""
        out = [f"{field} is not a field of {self.name} measures" for field in self._foreign(m)]
        if self.tables is not None and m.table not in self.tables:
            out.append(
                f"a {self.name} measure counts {' or '.join(self.tables)}: table must be one of them"
            )
        return out + self.grain_problems(m) + self.check(m)

    def grain_problems(self, m: Measure) -> list[str]:
        """A daily grain needs a kind whose day is a figure and records dated by the day."""
        if m.grain != "day":
            return []
        if not self.daily:
            return [f"grain: day is for count and proportion measures, not {self.name}"]
        if m.table in MONTH_DATED:
            return [f"grain: day needs records dated by the day; {m.table} are dated by the month"]
        return []

    def _foreign(self, m: Measure) -> list[str]:
        from policeperf.framework.models import KIND_FIELDS

        return [f for f in sorted(KIND_FIELDS - self.uses) if f in m.model_fields_set]

    def check(self, m: Measure) -> list[str]:
        """Rules of this kind beyond the fields it uses."""
        return []

    def unit(self, m: Measure) -> str:
        return COUNT.name

    def scale(self, m: Measure) -> float:
        return 100.0 if self.binomial else 1.0

    def default_method(self, m: Measure) -> str:
        return self.method

    def tables_needed(self, m: Measure) -> tuple[str, ...]:
        """Record tables whose coverage the figure depends on."""
        if m.table == "investigations":
            return ("investigations", "crimes")
        return ("crimes", "outcomes") if self.outcome_counts else (m.table,)

    def aggregates(self, t: ir.Table, m: Measure, where: Where) -> dict[str, ir.Value]:
        """Additive kinds: the conditional aggregates of one scan of `t`, named `<id>__num`,
        `<id>__den` and `<id>__crimes` (records behind a weighted sum)."""
        raise NotImplementedError(f"{self.name} is not aggregated in the record table's scan")

    def filters(self, m: Measure) -> tuple[Filters, ...]:
        """Every set of filters the measure tests its records with."""
        return (m.filters,)

    def value_columns(self, m: Measure) -> tuple[str, ...]:
        """Record columns the measure's figure is taken from, beyond its filters: a force
        holding no value in one of them cannot give the figure (never a zero)."""
        return ()

    def references(self, m: Measure) -> tuple[str, ...]:
        """Measures this one is built from (derived kinds)."""
        return ()


def count_where(t: ir.Table, cond: ir.BooleanValue | None) -> ir.IntegerScalar:
    """Rows where `cond` holds (all rows for None), as a conditional aggregate."""
    return t.count() if cond is None else t.count(where=cond)


def both(a: ir.BooleanValue | None, b: ir.BooleanValue | None) -> ir.BooleanValue | None:
    if a is None:
        return b
    return a if b is None else a & b


def total_where(value: ir.NumericValue, cond: ir.BooleanValue | None) -> ir.NumericScalar:
    """The sum of `value` where `cond` holds, 0 where no row does."""
    return (value.sum() if cond is None else value.sum(where=cond)).fill_null(0)
