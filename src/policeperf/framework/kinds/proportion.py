"""Proportion: the share of the records matching the filters that also count as a success.

Success is a flag (survey `satisfied`, investigation `compliant`, call `abandoned`), a time
limit (answered within n seconds, attended within n minutes) or further filters over the same
record table: the weapon share of violence is crimes with the sharp_instrument marker over
violence crimes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from policeperf.framework.kinds.base import (
    PCT,
    PROPORTION_METHOD,
    RATE_BASIS,
    SURVEY_METHOD,
    Kind,
    Where,
    both,
    count_where,
)
from policeperf.store.schema import STANDARD_FLAGS

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from policeperf.framework.models import Filters, Measure

FIELD_TABLES = {
    "satisfied": "survey_responses",
    "compliant": "investigations",
    "abandoned": "calls",
    **{flag: "investigations" for flag in STANDARD_FLAGS if not flag.endswith("_due")},
}
"""Each success flag and the record table that holds it: an investigation standard met is a
success, its `_due` flag the filter that picks the investigations it was due on."""


def success_expr(t: ir.Table, m: Measure, where: Where) -> ir.BooleanValue:
    """Whether each record counts towards the numerator."""
    s = m.success
    assert s is not None
    if s.filters is not None:
        cond = where(s.filters)
        assert cond is not None
        return cond
    if s.field is not None:
        return t[s.field].fill_null(False)
    if s.answered_within_seconds is not None:
        return (t.answered_seconds <= s.answered_within_seconds).fill_null(False)
    minutes = (t.arrived_at.epoch_seconds() - t.created_at.epoch_seconds()) / 60
    return (minutes <= s.attended_within_minutes).fill_null(False)


class Proportion(Kind):
    name = "proportion"
    description = "the share of the records matching the filters that count as a success"
    uses = frozenset({"success"})
    has_denominator = binomial = compared = True
    daily = True
    units = (PCT,)
    basis = RATE_BASIS
    method = PROPORTION_METHOD

    def check(self, m: Measure) -> list[str]:
        s = m.success
        if s is None:
            return ["a proportion needs success (e.g. {field: satisfied} or {filters: {...}})"]
        if s.filters is not None:
            return (
                [] if s.filters.model_fields_set else ["success filters: give at least one filter"]
            )
        fits = {
            "calls": s.answered_within_seconds is not None or s.field == "abandoned",
            "incidents": s.attended_within_minutes is not None,
        }.get(m.table, s.field is not None and FIELD_TABLES.get(s.field) == m.table)
        return [] if fits else [f"this success does not apply to {m.table}"]

    def filters(self, m: Measure) -> tuple[Filters, ...]:
        extra = m.success.filters if m.success is not None else None
        return (m.filters,) if extra is None else (m.filters, extra)

    def value_columns(self, m: Measure) -> tuple[str, ...]:
        s = m.success
        if s is None or s.filters is not None:
            return ()
        if s.field is not None:
            return (s.field,)
        return ("answered_seconds",) if s.answered_within_seconds is not None else ("arrived_at",)

    def unit(self, m: Measure) -> str:
        return PCT.name

    def default_method(self, m: Measure) -> str:
        # Survey responses carry their own n: the two-proportion test as the survey reports it.
        return SURVEY_METHOD if m.table == "survey_responses" else PROPORTION_METHOD

    def aggregates(self, t: ir.Table, m: Measure, where: Where) -> dict[str, ir.Value]:
        cond = where(m.filters)
        return {
            f"{m.id}__num": count_where(t, both(cond, success_expr(t, m, where))),
            f"{m.id}__den": count_where(t, cond),
        }


KIND = Proportion()
