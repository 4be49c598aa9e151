"""Count: the records matching the filters, e.g. recorded crime."""

from __future__ import annotations

from typing import TYPE_CHECKING

from policeperf.framework.kinds.base import COUNT, Kind, Where, count_where

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from policeperf.framework.models import Measure


class Count(Kind):
    name = "count"
    description = "records matching the filters, by the month they were recorded"
    daily = True
    units = (COUNT,)

    def aggregates(self, t: ir.Table, m: Measure, where: Where) -> dict[str, ir.Value]:
        return {f"{m.id}__num": count_where(t, where(m.filters))}


KIND = Count()
