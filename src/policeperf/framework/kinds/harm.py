"""Harm: crimes weighted by their Crime Harm Index days."""

from __future__ import annotations

from typing import TYPE_CHECKING

from policeperf.framework.kinds.base import (
    RECORDS_BASIS,
    Kind,
    Unit,
    Where,
    both,
    count_where,
    total_where,
)

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from policeperf.framework.models import Measure

HARM_DAYS = Unit("harm_days", ",.0f", text_suffix=" days", axis="days per month", per_month=12.0)


class Harm(Kind):
    name = "harm"
    description = "the Crime Harm Index days of the crimes matching the filters"
    tables = ("crimes",)
    weighs_harm = True
    units = (HARM_DAYS,)
    basis = RECORDS_BASIS
    # The dispersion factor absorbs the extra variance of weighted sums (a compound Poisson), as
    # it does over-dispersion in counts: the quasi-Poisson test of counts applies.

    def unit(self, m: Measure) -> str:
        return HARM_DAYS.name

    def aggregates(self, t: ir.Table, m: Measure, where: Where) -> dict[str, ir.Value]:
        cond = where(m.filters)
        return {
            f"{m.id}__num": total_where(t.harm_weight, cond),
            # The crimes behind the harm: public versions suppress harm by this count, not days.
            f"{m.id}__crimes": count_where(t, both(cond, t.harm_weight.notnull())),
        }


KIND = Harm()
