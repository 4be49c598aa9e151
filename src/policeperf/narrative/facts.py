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
    compared_with: str | None = None
    comparison: str | None = None
    comparison_direction: str | None = None
    comparison_method: str | None = None
    baseline_comparison_direction: str | None = None
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
    def direction(self) -> str | None:
        """The direction the headline may state: 'up' or 'down' when the verdict word, the
        verdict's direction and the change all agree; 'none' when the verdict finds no
        significant difference; None when they disagree, so no direction can be stated."""
        said = _verdict_direction(self.verdict, self.polarity)
        if said is None:
            return None
        if said == "none":
            return "none" if self.verdict_direction in (None, "none") else None
        if self.verdict_direction != said:
            return None
        change = _change(self)
        if change is None or (change > 0) != (said == "up") or change == 0:
            return None
        return said

    @property
    def comparable(self) -> bool:
        """The verdict finds no significant difference (or has too little data for one)."""
        return self.direction == "none"


VERDICT_UP = {"Higher": True, "Lower": False}
NO_DIFFERENCE = ("Comparable", "Insufficient data")


def _verdict_direction(verdict: str | None, polarity: str) -> str | None:
    """The direction a verdict word implies: Improved is up for a measure where up is good;
    None for no verdict or a word whose direction cannot be told (Improved for a neutral
    measure, Suppressed, an unknown word)."""
    if verdict in NO_DIFFERENCE:
        return "none"
    if verdict in VERDICT_UP:
        return "up" if VERDICT_UP[verdict] else "down"
    if verdict in ("Improved", "Deteriorated") and polarity in ("up_is_good", "down_is_good"):
        up = (verdict == "Improved") == (polarity == "up_is_good")
        return "up" if up else "down"
    return None


def _change(f: Facts) -> float | None:
    """The change the headline describes, from the results (ppt for rates, % for the rest)."""
    for value in (f.change_ppt if f.is_rate else f.change_pct, f.change):
        if isinstance(value, int | float) and not math.isnan(value):
            return float(value)
    return None
