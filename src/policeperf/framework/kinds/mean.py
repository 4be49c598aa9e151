"""Mean: the average value (response minutes, answer seconds) of the records matching the
filters that have one. A mean adds up as a sum and a count, so it is aggregated by district in
the record table's one scan like a proportion: numerator the sum, denominator the records.

Default verdict: the monthly means tested as monthly medians are (the mean log shift of the
non-shared months against the same calendar months, with the month-to-month variance of the
series): the test models a monthly summary of durations, not the medians' order statistic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from policeperf.framework.kinds.base import (
    DENOMINATOR_BASIS,
    MEDIAN_METHOD,
    Where,
    both,
    count_where,
    total_where,
)
from policeperf.framework.kinds.values import VALUES, ValueKind

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from policeperf.framework.models import Measure


class Mean(ValueKind):
    name = "mean"
    description = "the mean of a value (response_minutes, answer_seconds)"
    has_denominator = True
    basis = DENOMINATOR_BASIS
    method = MEDIAN_METHOD

    def aggregates(self, t: ir.Table, m: Measure, where: Where) -> dict[str, ir.Value]:
        value = VALUES[str(m.value)].expr(t)
        cond = both(where(m.filters), value.notnull())
        return {f"{m.id}__num": total_where(value, cond), f"{m.id}__den": count_where(t, cond)}


KIND = Mean()
