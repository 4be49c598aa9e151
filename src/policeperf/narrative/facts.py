"""A results row as the typed facts narrative reads. Narrative never computes a figure: it chooses
words for the facts the engine put in the results table."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from datetime import date
from typing import Any


def _clean(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is not None and type(value).__name__ == "NaTType":
        return None
    return value


@dataclass(frozen=True)
class Facts:
    measure_id: str
    measure: str
    focus_area_id: str
    focus_area: str
    pillar: str
    kind: str
    unit: str
    polarity: str
    area_level: str
    area: str
    month: date
    value: Any = None
    rolling_12m: Any = None
    baseline: Any = None
    baseline_period: str = ""
    change: Any = None
    change_pct: Any = None
    change_ppt: Any = None
    rolling_12m_denominator: Any = None
    baseline_denominator: Any = None
    verdict: str | None = None
    verdict_direction: str | None = None
    method: str | None = None
    record_high_since: date | None = None
    record_low_since: date | None = None
    highest_on_record: bool = False
    lowest_on_record: bool = False
    twelve_month_high: bool = False
    twelve_month_low: bool = False
    rolling_direction_3m: str | None = None
    trend_direction: str | None = None
    trend_halted: bool = False
    previous_trend_direction: str | None = None
    spc_rule: str | None = None
    spc_side: str | None = None
    spc_class: str | None = None
    data_start: date | None = None
    suppressed: bool = False
    status: str | None = None
    reason: str | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Facts:
        names = {f.name for f in fields(cls)}
        values = {k: _clean(v) for k, v in row.items() if k in names}
        for flag in (
            "highest_on_record",
            "lowest_on_record",
            "twelve_month_high",
            "twelve_month_low",
            "trend_halted",
            "suppressed",
        ):
            values[flag] = bool(values.get(flag) or False)
        for day in ("month", "record_high_since", "record_low_since", "data_start"):
            if hasattr(values.get(day), "to_pydatetime"):  # a pandas Timestamp
                values[day] = values[day].date()
        return cls(**values)

    @property
    def available(self) -> bool:
        """The headline figure and its comparison stand (results before statuses count as ok)."""
        return self.status in (None, "ok")

    @property
    def is_rate(self) -> bool:
        return self.unit == "pct"

    @property
    def is_survey(self) -> bool:
        return self.method == "non_shared_months_survey_proportion"

    @property
    def comparable(self) -> bool:
        return self.verdict in (
            "Comparable",
            "Insufficient data",
            None,
        ) or self.verdict_direction in (None, "none")
