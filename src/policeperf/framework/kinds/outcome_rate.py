"""Outcome rate: crimes given an outcome in a named set, over crimes recorded.

Period method (how forces report rolling rates): outcomes dated in the window over crimes
recorded in it. Cohort method: crimes recorded in the window with an outcome in the set, as
known at the window's end.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from policeperf.framework.kinds.base import (
    PCT,
    PROPORTION_METHOD,
    RATE_BASIS,
    Kind,
    Where,
    count_where,
)

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from policeperf.framework.models import Measure


class OutcomeRate(Kind):
    name = "outcome_rate"
    description = "crimes given an outcome in the set, over crimes recorded (period or cohort)"
    uses = frozenset({"outcome_set", "method"})
    tables = ("crimes",)
    has_denominator = binomial = compared = True
    outcome_counts: ClassVar[Literal["", "period", "cohort"]] = "period"
    units = (PCT,)
    basis = RATE_BASIS
    method = PROPORTION_METHOD

    def check(self, m: Measure) -> list[str]:
        return [] if m.outcome_set else ["an outcome_rate needs outcome_set (e.g. positive)"]

    def unit(self, m: Measure) -> str:
        return PCT.name

    def aggregates(self, t: ir.Table, m: Measure, where: Where) -> dict[str, ir.Value]:
        # The numerator is counted by the outcome's month (period) or, for the cohort method,
        # by follow-up lag in the same scan (the engine adds those counts).
        return {f"{m.id}__den": count_where(t, where(m.filters))}


KIND = OutcomeRate()
