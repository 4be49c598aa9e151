"""Outcome count: crimes given an outcome in a named set, counted in the month of that outcome.

This is the period outcome rate's numerator on its own (charges, community resolutions,
out-of-court disposals): each crime counts once, in the month of its first outcome in the set,
so a count and the rate built on the same set agree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from policeperf.framework.kinds.base import COUNT, Kind, Where

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from policeperf.framework.models import Measure


class OutcomeCount(Kind):
    name = "outcome_count"
    description = "crimes given an outcome in the set, by the month of that outcome"
    uses = frozenset({"outcome_set"})
    tables = ("crimes",)
    outcome_counts: ClassVar[Literal["", "period", "cohort"]] = "period"
    units = (COUNT,)

    def check(self, m: Measure) -> list[str]:
        return [] if m.outcome_set else ["an outcome_count needs outcome_set (e.g. charge)"]

    def aggregates(self, t: ir.Table, m: Measure, where: Where) -> dict[str, ir.Value]:
        return {}  # counted by the outcome's month, in the period numerators' query


KIND = OutcomeCount()
