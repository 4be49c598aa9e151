"""Statistical process control: XmR charts the NHS "Making Data Count" way.

Limits: mean of the baseline points +/- 2.66 x mean moving range (about 3 sigma); "near" limits at
two thirds of that (about 2 sigma). Limits are computed from the first `baseline_points` points and
then locked; with fewer points they are trial limits, recomputed as points arrive. A rebase
restarts the calculation from a given point. Rules, one function each (NHSRplotthedots
`ptd_calculate_point_type.R`): astronomical point, shift, trend, two of three beyond 2 sigma.
Each point is then common cause or special cause improvement / concern / neutral by polarity,
and the latest point's class is the variation icon.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

LIMIT_FACTOR = 2.66
"""3 / d2 with d2 = 1.128 for moving ranges of two points (Wheeler)."""
NEAR_FACTOR = 2 / 3
"""Near (2 sigma) limits as a share of the process limits."""
SCREEN_FACTOR = 3.267
"""Moving ranges above 3.267 x their mean are dropped when screening (Nelson 1982)."""

COMMON = "common_cause"
IMPROVEMENT = "special_cause_improvement"
CONCERN = "special_cause_concern"
NEUTRAL_HIGH = "special_cause_neutral_high"
NEUTRAL_LOW = "special_cause_neutral_low"


@dataclass(frozen=True)
class Limits:
    mean: float
    lower: float
    upper: float
    lower_near: float
    upper_near: float
    locked: bool
    """False while fewer than the baseline points exist (trial limits)."""


@dataclass
class SpcResult:
    """Per point: limits, which rule fired (high or low side) and the class."""

    limits: list[Limits | None] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    """Comma-separated rules that fired at each point, e.g. 'astronomical,shift'."""
    sides: list[str] = field(default_factory=list)
    """'high', 'low' or '' for each point."""
    classes: list[str] = field(default_factory=list)

    @property
    def variation(self) -> str | None:
        """The variation icon: the class of the latest point."""
        return self.classes[-1] if self.classes else None


def compute_limits(values: Sequence[float], *, screen_outliers: bool = False) -> Limits | None:
    """Limits from `values`; None with fewer than two points (no moving range)."""
    if len(values) < 2:
        return None
    mean = sum(values) / len(values)
    ranges = [abs(b - a) for a, b in itertools.pairwise(values)]
    mr = sum(ranges) / len(ranges)
    if screen_outliers and mr > 0:
        kept = [r for r in ranges if r < SCREEN_FACTOR * mr]
        mr = sum(kept) / len(kept) if kept else mr
    spread = LIMIT_FACTOR * mr
    return Limits(
        mean,
        mean - spread,
        mean + spread,
        mean - NEAR_FACTOR * spread,
        mean + NEAR_FACTOR * spread,
        False,
    )


def limits_per_point(
    values: Sequence[float],
    *,
    baseline_points: int,
    rebase_at: Sequence[int] = (),
    screen_outliers: bool = False,
) -> list[Limits | None]:
    """Limits for each point: trial until `baseline_points` exist in the segment, then locked."""
    starts = sorted({0, *[i for i in rebase_at if 0 < i < len(values)]})
    ends = [*starts[1:], len(values)]
    out: list[Limits | None] = []
    for start, end in zip(starts, ends, strict=True):
        locked: Limits | None = None
        for i in range(start, end):
            seen = i - start + 1
            if locked is None:
                window = values[start : i + 1]
                limits = compute_limits(window, screen_outliers=screen_outliers)
                if limits is not None and seen >= baseline_points:
                    locked = Limits(**{**limits.__dict__, "locked": True})
                    limits = locked
                out.append(limits)
            else:
                out.append(locked)
    return out


def astronomical(values: Sequence[float], limits: Sequence[Limits | None]) -> list[str]:
    """Points outside the process limits: 'high', 'low' or ''."""
    out = []
    for x, lim in zip(values, limits, strict=True):
        out.append(
            "" if lim is None else "high" if x > lim.upper else "low" if x < lim.lower else ""
        )
    return out


def _runs(flags: Sequence[str], length: int) -> list[str]:
    """Mark every point in a run of at least `length` equal non-empty flags."""
    out = [""] * len(flags)
    i = 0
    while i < len(flags):
        j = i
        while j < len(flags) and flags[j] == flags[i]:
            j += 1
        if flags[i] and j - i >= length:
            for k in range(i, j):
                out[k] = flags[i]
        i = j
    return out


def shift(values: Sequence[float], limits: Sequence[Limits | None], points: int = 7) -> list[str]:
    """`points` or more consecutive points on one side of the mean (a point on the mean breaks it)."""
    sides = [
        "" if lim is None else "high" if x > lim.mean else "low" if x < lim.mean else ""
        for x, lim in zip(values, limits, strict=True)
    ]
    return _runs(sides, points)


def trend(values: Sequence[float], points: int = 7) -> list[str]:
    """`points` consecutive points each higher (or each lower) than the one before. An equal value
    neither breaks nor extends a trend (NHS run-chart guide)."""
    out = [""] * len(values)
    steps: list[tuple[int, str]] = []  # (index of the later point, direction) for non-equal steps
    for i in range(1, len(values)):
        if values[i] > values[i - 1]:
            steps.append((i, "high"))
        elif values[i] < values[i - 1]:
            steps.append((i, "low"))
        else:
            steps.append((i, "tie"))
    run_dir, run_start, count = "", 0, 0
    for i, d in steps:
        if d == "tie":
            continue
        if d == run_dir:
            count += 1
        else:
            run_dir, run_start, count = d, i - 1, 1
        if count + 1 >= points:
            for k in range(run_start, i + 1):
                out[k] = d
    return out


def two_of_three(values: Sequence[float], limits: Sequence[Limits | None]) -> list[str]:
    """Two of three consecutive points beyond the near (2 sigma) limit, all three on the same side
    of the mean. Points beyond 3 sigma count (MDC, Nov 2023). Only the points beyond 2 sigma are
    flagged."""
    out = [""] * len(values)
    for i in range(len(values) - 2):
        window = range(i, i + 3)
        lims = [limits[k] for k in window]
        if any(lim is None for lim in lims):
            continue
        for side in ("high", "low"):
            same_side = all(
                (values[k] > lims[n].mean) if side == "high" else (values[k] < lims[n].mean)  # type: ignore[union-attr]
                for n, k in enumerate(window)
            )
            beyond = [
                k for n, k in enumerate(window)
                if (values[k] > lims[n].upper_near if side == "high" else values[k] < lims[n].lower_near)  # type: ignore[union-attr]
            ]  # fmt: skip
            if same_side and len(beyond) >= 2:
                for k in beyond:
                    out[k] = side
    return out


def classify(side: str, polarity: str) -> str:
    if not side:
        return COMMON
    if polarity == "neutral":
        return NEUTRAL_HIGH if side == "high" else NEUTRAL_LOW
    good = (side == "high") == (polarity == "up_is_good")
    return IMPROVEMENT if good else CONCERN


def evaluate_spc(
    values: Sequence[float],
    *,
    polarity: str,
    baseline_points: int = 12,
    shift_points: int = 7,
    trend_points: int = 7,
    rebase_at: Sequence[int] = (),
    screen_outliers: bool = False,
) -> SpcResult:
    """Limits, rules and classes for a series. The side of the rule that fired decides the class
    (a downward trend above the mean is a decrease: NHSRplotthedots PR #180)."""
    limits = limits_per_point(
        values,
        baseline_points=baseline_points,
        rebase_at=rebase_at,
        screen_outliers=screen_outliers,
    )
    # Order is precedence when rules disagree on a point's side: a point outside the limits is
    # judged by that; otherwise a trend's direction beats the side of the mean (so a downward
    # trend above the mean is a decrease), then two-of-three, then shift.
    fired = {
        "astronomical": astronomical(values, limits),
        "trend": trend(values, trend_points),
        "two_of_three": two_of_three(values, limits),
        "shift": shift(values, limits, shift_points),
    }
    result = SpcResult(limits=limits)
    for i in range(len(values)):
        names = [name for name, flags in fired.items() if flags[i]]
        side = fired[names[0]][i] if names else ""
        result.rules.append(",".join(names))
        result.sides.append(side)
        result.classes.append(classify(side, polarity))
    return result


def assurance(limits: Limits | None, target: float | None, polarity: str) -> str | None:
    """Will the process meet its target? 'consistently_pass', 'consistently_fail' or 'hit_or_miss'
    (MDC assurance icon); None without a target or limits."""
    if target is None or limits is None or polarity == "neutral":
        return None
    if limits.lower <= target <= limits.upper:
        return "hit_or_miss"
    above = target < limits.lower  # the whole process is above the target
    return "consistently_pass" if above == (polarity == "up_is_good") else "consistently_fail"
