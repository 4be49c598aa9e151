"""Median: the middle value (response minutes, answer seconds) of the records matching the
filters. Medians do not add up: they are worked out per area level and window in the backend."""

from __future__ import annotations

from typing import TYPE_CHECKING

from policeperf.framework.kinds.base import CASES_BASIS, MEDIAN_METHOD, Kind
from policeperf.framework.kinds.values import VALUES, value_problems

if TYPE_CHECKING:
    from policeperf.framework.models import Measure


class Median(Kind):
    name = "median"
    description = "the median of a value (response_minutes, answer_seconds)"
    computation = "windowed"
    uses = frozenset({"value"})
    basis = CASES_BASIS
    method = MEDIAN_METHOD

    def check(self, m: Measure) -> list[str]:
        return value_problems(m.value, m.table, self.name)

    def value_columns(self, m: Measure) -> tuple[str, ...]:
        return VALUES[str(m.value)].columns

    def unit(self, m: Measure) -> str:
        return VALUES[str(m.value)].unit.name


KIND = Median()
