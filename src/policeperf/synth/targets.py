"""The published annual figures the demo force reproduces.

Figures are those of a real Police and Crime Commissioner's year-end performance report for
2020/21 against 2019/20 (counts exact; rates and percentages to one decimal). Rates are
prosecution-possible (positive) outcomes dated in the year divided by crimes recorded in the year.
"""

from __future__ import annotations

from dataclasses import dataclass

FY_BASELINE = "2019/20"
FY_CURRENT = "2020/21"


@dataclass(frozen=True)
class Published:
    """One published pair of figures: count (or n) and percentage for both years."""

    count: dict[str, int]
    rate_pct: dict[str, float] | None = None


CRIME_TARGETS: dict[str, Published] = {
    "all_crime": Published(
        {"2020/21": 59_883, "2019/20": 67_882}, {"2020/21": 13.0, "2019/20": 10.8}
    ),
    "domestic_abuse": Published(
        {"2020/21": 12_196, "2019/20": 10_660}, {"2020/21": 11.5, "2019/20": 10.3}
    ),
    "csa": Published({"2020/21": 843, "2019/20": 778}, {"2020/21": 19.9, "2019/20": 11.6}),
    "serious_sexual": Published(
        {"2020/21": 1_589, "2019/20": 1_620}, {"2020/21": 8.4, "2019/20": 6.4}
    ),
    "rape": Published({"2020/21": 819, "2019/20": 777}, {"2020/21": 7.0, "2019/20": 3.5}),
    "modern_slavery": Published({"2020/21": 91, "2019/20": 68}),
    "dwelling_burglary": Published(
        {"2020/21": 1_242, "2019/20": 2_058}, {"2020/21": 14.3, "2019/20": 11.3}
    ),
    "theft_of_motor_vehicle": Published(
        {"2020/21": 893, "2019/20": 1_145}, {"2020/21": 6.7, "2019/20": 7.2}
    ),
    "hate": Published({"2020/21": 1_368, "2019/20": 1_330}, {"2020/21": 15.9, "2019/20": 13.7}),
    "sharp_instrument": Published(
        {"2020/21": 1_372, "2019/20": 1_577}, {"2020/21": 24.4, "2019/20": 22.9}
    ),
    "possession_of_weapons": Published(
        {"2020/21": 563, "2019/20": 670}, {"2020/21": 47.8, "2019/20": 40.9}
    ),
    "drugs": Published({"2020/21": 2_160, "2019/20": 1_649}, {"2020/21": 66.3, "2019/20": 60.6}),
}

CALL_TARGETS_PCT = {
    ("999", 10): {"2020/21": 94.5, "2019/20": 92.6},
    ("101", 30): {"2020/21": 87.1, "2019/20": 83.3},
}
"""Share of calls answered within the threshold (seconds), by line."""

SURVEY_TARGETS: dict[str, dict[str, tuple[float, int]]] = {
    "public_confidence": {"2020/21": (64.7, 3_791), "2019/20": (56.4, 1_557)},
    "victim_satisfaction": {"2020/21": (81.7, 1_320), "2019/20": (77.2, 1_257)},
    "victim_satisfaction_dwelling_burglary": {"2020/21": (90.4, 509), "2019/20": (86.0, 544)},
    "victim_satisfaction_hate": {"2020/21": (73.2, 198), "2019/20": (81.6, 98)},
}
"""(percentage satisfied, n). Burglary and hate victims are part of all victims."""

DA_PROMPT_MEDIAN_MINUTES = {
    "2019/20": {10: 261, 11: 311, 12: 249, 1: 285, 2: 241, 3: 174},
    "2020/21": {10: 187, 11: 192, 12: 123, 1: 77, 2: 73, 3: 85},
}
"""Median minutes to attend prompt-graded domestic incidents, October to March, by month number."""

COVID_MONTH_CHANGE_PCT = {
    "dwelling_burglary": {4: -58.0, 1: -65.8, 2: -66.2},
}
"""Published month-on-same-month-last-year changes for 2020/21 (April, January, February)."""
