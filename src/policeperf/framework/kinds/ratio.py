"""Ratio: one measure's figure over another's, each referenced by id (as a metric layer builds
derived metrics on base measures): e.g. calls per incident, charges per arrest.

Both measures are totals (counts, outcome counts, sums, harm); the ratio's numerator and
denominator are their monthly figures, so every window is a ratio of sums. Default verdict: the
monthly ratios tested as monthly medians are (mean log shift of the non-shared months against
the same calendar months, with the series' month-to-month variance): the numerator is not a
subset of the denominator, so no binomial model holds, and a quotient of two over-dispersed
totals has no Poisson one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from policeperf.framework.kinds.base import MEDIAN_METHOD, RATE_BASIS, Kind, Unit

if TYPE_CHECKING:
    from policeperf.framework.models import Measure

RATIO = Unit("ratio", ",.2f", xlsx="0.00", axis="ratio")


class Ratio(Kind):
    name = "ratio"
    description = "one total measure over another, referenced by id"
    computation = "derived"
    uses = frozenset({"numerator", "denominator"})
    has_denominator = True
    units = (RATIO,)
    basis = RATE_BASIS
    method = MEDIAN_METHOD

    def check(self, m: Measure) -> list[str]:
        if m.numerator is None or m.denominator is None:
            return ["a ratio needs numerator and denominator (measure ids)"]
        if m.id in (m.numerator, m.denominator):
            return ["a ratio cannot reference itself"]
        return []

    def unit(self, m: Measure) -> str:
        return RATIO.name

    def references(self, m: Measure) -> tuple[str, ...]:
        return (str(m.numerator), str(m.denominator))


KIND = Ratio()
