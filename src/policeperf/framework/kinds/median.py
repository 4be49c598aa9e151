"""Median: the middle value (response minutes, answer seconds) of the records matching the
filters. Medians do not add up: they are worked out per area level and window in the backend."""

from __future__ import annotations

from policeperf.framework.kinds.base import CASES_BASIS, MEDIAN_METHOD
from policeperf.framework.kinds.values import ValueKind


class Median(ValueKind):
    name = "median"
    description = "the median of a value (response_minutes, answer_seconds)"
    computation = "windowed"
    basis = CASES_BASIS
    method = MEDIAN_METHOD


KIND = Median()
