"""Sum: the total of a value over the records matching the filters (e.g. minutes spent on
responses; amounts recovered once an activity table holds them).

Default verdict: the quasi-Poisson test of counts. A sum of values is a compound Poisson whose
variance is a constant times its mean; the over-dispersion factor phi estimates that constant
from the series, and the test is unchanged by the value's scale (pence or pounds).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from policeperf.framework.kinds.base import (
    RECORDS_BASIS,
    Unit,
    Where,
    both,
    count_where,
    total_where,
)
from policeperf.framework.kinds.values import VALUES, ValueKind

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from policeperf.framework.models import Measure


def _total(unit: Unit) -> Unit:
    word = unit.text_suffix.strip()
    return Unit(
        f"total_{unit.name}",
        ",.0f",
        text_suffix=f" {word}",
        axis=f"{word} per month",
        per_month=12.0,
    )


TOTALS = {name: _total(v.unit) for name, v in VALUES.items()}


class Sum(ValueKind):
    name = "sum"
    description = "the total of a value over the records matching the filters"
    basis = RECORDS_BASIS
    units = tuple(TOTALS.values())

    def unit(self, m: Measure) -> str:
        return TOTALS[str(m.value)].name

    def aggregates(self, t: ir.Table, m: Measure, where: Where) -> dict[str, ir.Value]:
        value = VALUES[str(m.value)].expr(t)
        cond = where(m.filters)
        return {
            f"{m.id}__num": total_where(value, cond),
            f"{m.id}__crimes": count_where(t, both(cond, value.notnull())),
        }


KIND = Sum()
