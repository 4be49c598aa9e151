"""Numeric values of a record that medians, means and sums are taken of."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from policeperf.framework.kinds.base import MINUTES, SECONDS, Kind, Unit

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from policeperf.framework.models import Measure


def _response_minutes(t: ir.Table) -> ir.NumericValue:
    return (t.arrived_at.epoch_seconds() - t.created_at.epoch_seconds()) / 60


def _answer_seconds(t: ir.Table) -> ir.NumericValue:
    return t.answered_seconds


@dataclass(frozen=True)
class Value:
    table: str
    """The record table holding it."""
    unit: Unit
    expr: Callable[[ir.Table], ir.NumericValue]
    """The value of each record (NULL where the record has none)."""
    columns: tuple[str, ...]
    """The record columns it is worked out from."""


VALUES: dict[str, Value] = {
    "response_minutes": Value("incidents", MINUTES, _response_minutes, ("arrived_at",)),
    "answer_seconds": Value("calls", SECONDS, _answer_seconds, ("answered_seconds",)),
}


def value_problems(m_value: str | None, table: str, kind: str) -> list[str]:
    """A median, mean or sum names a value of its own table."""
    if m_value is None:
        return [f"a {kind} needs value ({' or '.join(VALUES)})"]
    found = VALUES.get(m_value)
    if found is None:
        return [f"got value {m_value!r}; expected one of {', '.join(sorted(VALUES))}"]
    if found.table != table:
        return [f"{m_value} is measured in {found.table}, not {table}"]
    return []


class ValueKind(Kind):
    """A kind taken of one value of each record (median, mean, sum): the measure names the value,
    which must be of its own table, and the figure reads that value's columns in its unit."""

    uses = frozenset({"value"})

    def check(self, m: Measure) -> list[str]:
        return value_problems(m.value, m.table, self.name)

    def value_columns(self, m: Measure) -> tuple[str, ...]:
        return VALUES[str(m.value)].columns

    def unit(self, m: Measure) -> str:
        return VALUES[str(m.value)].unit.name
