"""Rate per population: a count per `per` residents of the area (annualised per month)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from policeperf.framework.kinds.base import Kind, Unit, Where, count_where

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from policeperf.framework.models import Measure

PER_POPULATION = Unit("per_population", ".1f", text_suffix=" per 1,000", xlsx="0.0")


class RatePerPopulation(Kind):
    name = "rate_per_population"
    description = "records per `per` residents; the denominator is the area's population"
    uses = frozenset({"per"})
    population_denominator = True
    compared = True
    units = (PER_POPULATION,)

    def unit(self, m: Measure) -> str:
        return PER_POPULATION.name

    def scale(self, m: Measure) -> float:
        return float(m.per)

    def aggregates(self, t: ir.Table, m: Measure, where: Where) -> dict[str, ir.Value]:
        # The test is on the counts: the denominator (residents) comes from the force profile.
        return {f"{m.id}__num": count_where(t, where(m.filters))}


KIND = RatePerPopulation()
