"""Statistical process control: XmR charts as NHS England's *Making Data Count* draws them,
reproducing NHSRplotthedots (`ptd_spc`) point for point.

Steps (each a small function, as in the reference's `ptd_spc_standard.R` and
`ptd_calculate_point_type.R`):

1. The series is cut into rebase groups; each group is a chart of its own: limits and rules
   never reach across a rebase.
2. Limits per group: mean of the group's points (or of its first `fix_after` points),
   moving ranges of those points, their mean (after screening out moving ranges of 3.267 x the
   mean or more, on by default as in the reference), process limits mean +/- 2.66 x mean moving
   range and near limits at two thirds of that.
3. Rules per group: astronomical point (outside the process limits), trend (7 points each
   strictly higher, or each strictly lower, than the one before: a tie breaks it), two of three
   points between the near and the process limit on one side (all three on that side of the
   mean), shift (7 points on one side of the mean: a point on the mean breaks it).
4. Point type: common cause, or special cause improvement / concern by the improvement
   direction, or neutral high / low. When rules disagree the reference's precedence decides the
   direction: astronomical, trend (its direction), two of three, shift.

The variation icon is the latest point's type; the assurance icon compares a target with the
latest limits. A named option is the only way to depart from the reference: `bounds` clips
limits to a measure's possible range (display only; no point changes type because of it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]

LIMIT_FACTOR = 2.66
"""3 / d2 with d2 = 1.128 for moving ranges of two points (Wheeler; NHSRplotthedots `limit`)."""
NEAR_FACTOR = 2 / 3
"""Near (2 sigma) limits as a share of the process limits (NHSRplotthedots `limitclose`)."""
SCREEN_FACTOR = 3.267
"""Moving ranges of 3.267 x their mean or more are dropped when screening (Nelson 1982;
NHSRplotthedots `screen_outliers`, kept only when strictly below)."""
SHIFT_POINTS = 7
TREND_POINTS = 7
"""Run lengths of the shift and trend rules (Making Data Count; NHSRplotthedots)."""
MIN_FIX_AFTER = 12
"""NHSRplotthedots refuses `fix_after_n_points` below 12."""

COMMON = "common_cause"
IMPROVEMENT = "special_cause_improvement"
CONCERN = "special_cause_concern"
NEUTRAL_HIGH = "special_cause_neutral_high"
NEUTRAL_LOW = "special_cause_neutral_low"
POINT_TYPES = (COMMON, IMPROVEMENT, CONCERN, NEUTRAL_HIGH, NEUTRAL_LOW)

RULES = ("astronomical", "trend", "two_of_three", "shift")
"""Rule names in the reference's order of precedence for a point's direction."""

IMPROVEMENT_OF_POLARITY = {
    "up_is_good": "increase",
    "down_is_good": "decrease",
    "neutral": "neutral",
}
"""A framework measure's polarity as the reference's improvement direction."""
_DIRECTION = {"increase": 1, "decrease": -1, "neutral": 0}

PASS = "consistently_pass"
FAIL = "consistently_fail"
HIT_OR_MISS = "hit_or_miss"
"""Assurance icons (the reference's consistent_pass, consistent_fail, inconsistent)."""


@dataclass(frozen=True)
class SpcOptions:
    """How to draw the chart. The defaults are NHSRplotthedots' own."""

    fix_after: int | None = None
    """Limits from the first `fix_after` points of each group, held after; None: all points."""
    shift_points: int = SHIFT_POINTS
    trend_points: int = TREND_POINTS
    screen_outliers: bool = True
    bounds: tuple[float | None, float | None] = (None, None)
    """Not in the reference: the possible range of the values (0..100 for a percentage); limits
    beyond it are clipped to it."""

    def __post_init__(self) -> None:
        if self.fix_after is not None and self.fix_after < MIN_FIX_AFTER:
            raise ValueError(f"fix_after: got {self.fix_after}; expected at least {MIN_FIX_AFTER}")
        if self.shift_points < 2 or self.trend_points < 2:
            raise ValueError("shift_points and trend_points: expected at least 2")


@dataclass(frozen=True)
class Limits:
    """One point's limits; lower and upper are NaN when its group has no moving range left."""

    mean: float
    lower: float
    upper: float
    lower_near: float
    upper_near: float
    locked: bool
    """True when the limits are held: computed from the first `fix_after` points of a group
    that has at least that many, or from a period the group has moved past, so later points do
    not move them."""


@dataclass(frozen=True)
class SpcResult:
    """Per point (NaN or '' where a point has none): limits, rules, side and type."""

    mean: Floats
    lower: Floats
    """Process limits (mean -/+ 2.66 mean moving range), NaN where a group has none."""
    upper: Floats
    lower_near: Floats
    upper_near: Floats
    group: npt.NDArray[np.int64]
    """Rebase group of each point, 0 for the first."""
    locked: Bools
    rules: tuple[str, ...]
    """Comma-separated rules that flagged each point, in order of precedence."""
    sides: tuple[str, ...]
    """'high', 'low' or '': the direction the deciding rule gives the point."""
    types: tuple[str | None, ...]
    """Point type; None for a missing value."""

    @property
    def variation(self) -> str | None:
        """The variation icon: the type of the latest point."""
        return self.types[-1] if self.types else None

    def limits(self, i: int) -> Limits | None:
        """Point `i`'s limits; None when its group has no mean (no values)."""
        if np.isnan(self.mean[i]):
            return None
        return Limits(
            float(self.mean[i]),
            float(self.lower[i]),
            float(self.upper[i]),
            float(self.lower_near[i]),
            float(self.upper_near[i]),
            bool(self.locked[i]),
        )


def group_limits(
    y: Floats, *, fix_after: int | None = None, screen_outliers: bool = True
) -> tuple[float, float]:
    """(mean, mean moving range) of one group: from its first `fix_after` points if given.
    Missing values are left out of the mean, and a moving range next to one is not taken.
    Screening drops moving ranges of 3.267 x their mean or more; when that leaves none (a
    constant series) the mean moving range is NaN, and so are the limits, as in the reference.

    >>> group_limits(np.array([12.0, 10.0] * 6))
    (11.0, 2.0)
    """
    base = y[:fix_after] if fix_after is not None else y
    present = base[~np.isnan(base)]
    mean = float(present.mean()) if present.size else float("nan")
    ranges = np.abs(np.diff(base))
    ranges = ranges[~np.isnan(ranges)]
    if not ranges.size:
        return mean, float("nan")
    amr = float(ranges.mean())
    if screen_outliers:
        kept = ranges[ranges < SCREEN_FACTOR * amr]
        amr = float(kept.mean()) if kept.size else float("nan")
    return mean, amr


_RULE_SETS = [",".join(r for k, r in enumerate(RULES) if code >> k & 1) for code in range(16)]
"""The rules flagging a point, by the bits of its code (1 astronomical, 2 trend, ...)."""
_SIDES = {1: "high", -1: "low", 0: ""}


def _signs(x: Floats) -> npt.NDArray[np.int64]:
    """-1, 0 or +1 for each number; 0 for a missing one (it is on no side and breaks runs)."""
    signs = np.sign(x)
    signs[np.isnan(signs)] = 0
    return signs.astype(np.int64)


def _runs(values: npt.NDArray[np.int64], length: int) -> Bools:
    """Points inside a run of at least `length` equal non-zero values. A plain loop: a chart
    has tens of points, where numpy's per-call cost was most of the chart's time."""
    v = values.tolist()
    n = len(v)
    out = np.zeros(n, dtype=bool)
    start = 0
    for k in range(1, n + 1):
        if k == n or v[k] != v[start]:
            if v[start] != 0 and k - start >= length:
                out[start:k] = True
            start = k
    return out


def shift(relative_to_mean: npt.NDArray[np.int64], points: int = SHIFT_POINTS) -> Bools:
    """`points` or more in a row on one side of the mean; a point on the mean (0) breaks the
    run. Every point of the run is flagged (`ptd_seven_point_one_side_mean`)."""
    return _runs(relative_to_mean, points)


def trend(y: Floats, points: int = TREND_POINTS) -> Bools:
    """`points` in a row each strictly higher (or each strictly lower) than the one before; a
    tie breaks the run. Every point of the run is flagged (`ptd_seven_point_trend`)."""
    flagged = np.zeros(y.size, dtype=bool)
    if y.size < 2:
        return flagged
    steps = _signs(np.diff(y))
    step_runs = _runs(steps, points - 1)
    flagged[:-1] |= step_runs
    flagged[1:] |= step_runs
    return flagged


def trend_direction(y: Floats, flagged: Bools) -> npt.NDArray[np.int64]:
    """Each trend point's direction as the reference reads it (`ptd_special_cause_type`): the
    step to the next point when that point is in a trend too, else the step from the previous
    point; +1 for a rise, -1 otherwise (a step of 0 reads as decreasing, as in the reference)."""
    steps = _signs(np.diff(y)) if y.size else np.zeros(0, dtype=np.int64)
    right = np.append(steps, 0)
    left = np.concatenate([[0], steps])
    use_right = flagged & np.append(flagged[1:], False)
    chosen = np.where(use_right, right, left)
    return np.where(chosen == 1, 1, -1).astype(np.int64)


def two_of_three(close: Bools, relative_to_mean: npt.NDArray[np.int64]) -> Bools:
    """Points between a near limit and the process limit that are, with at least one other such
    point, among three consecutive points all on the same side of the mean
    (`ptd_two_in_three`, `ptd_part_of_two_in_three`). Points beyond the process limits do not
    count: the reference's `close_to_limits` excludes them."""
    n = close.size
    out = np.zeros(n, dtype=bool)
    if n < 3:
        return out
    c = close.astype(np.int64)
    count = c[:-2] + c[1:-1] + c[2:]
    side = relative_to_mean[:-2] + relative_to_mean[1:-1] + relative_to_mean[2:]
    window = (count >= 2) & (np.abs(side) == 3)
    covered = np.zeros(n, dtype=bool)
    for k in range(3):
        covered[k : n - 2 + k] |= window
    return covered & close


def decide(
    outside: Bools,
    in_trend: Bools,
    trend_dir: npt.NDArray[np.int64],
    two_in_three: Bools,
    in_shift: Bools,
    relative_to_mean: npt.NDArray[np.int64],
) -> tuple[list[str], list[int]]:
    """The rules that flag each point (in order of precedence) and the direction the first of
    them gives it: +1 above / increasing, -1 below / decreasing, 0 for common cause. An
    astronomical, two-in-three or shift point is above only when strictly above the mean."""
    flags = np.vstack([outside, in_trend, two_in_three, in_shift])
    directions = np.vstack([relative_to_mean, trend_dir, relative_to_mean, relative_to_mean])
    deciding = directions[flags.argmax(axis=0), np.arange(outside.size)]
    dirs = np.where(flags.any(axis=0), np.where(deciding > 0, 1, -1), 0)
    codes = np.array([1, 2, 4, 8]) @ flags
    return [_RULE_SETS[c] for c in codes.tolist()], dirs.tolist()


def _rules(y: Floats, mean: float, amr: float, options: SpcOptions) -> tuple[list[str], list[int]]:
    """Rules and direction of each point of one group, given its mean and mean moving range."""
    with np.errstate(invalid="ignore"):
        upper, lower = mean + LIMIT_FACTOR * amr, mean - LIMIT_FACTOR * amr
        near_up = mean + NEAR_FACTOR * LIMIT_FACTOR * amr
        near_low = mean - NEAR_FACTOR * LIMIT_FACTOR * amr
        outside = (y > upper) | (y < lower)
        rtm = _signs(y - mean)
        close = ~outside & ((y < near_low) | (y > near_up))
    in_trend = trend(y, options.trend_points)
    return decide(
        outside,
        in_trend,
        trend_direction(y, in_trend),
        two_of_three(close, rtm),
        shift(rtm, options.shift_points),
        rtm,
    )


def point_type(direction: int, improvement: str) -> str:
    """The type of a point whose deciding rule points up (+1), down (-1) or nowhere (0)
    (`ptd_point_type`)."""
    if direction == 0:
        return COMMON
    sign = _DIRECTION[improvement]
    if sign == 0:
        return NEUTRAL_HIGH if direction > 0 else NEUTRAL_LOW
    return IMPROVEMENT if direction * sign > 0 else CONCERN


def group_starts(n: int, rebase_at: Sequence[int]) -> list[int]:
    """First index of each rebase group; positions outside the series are ignored."""
    return sorted({0, *[i for i in rebase_at if 0 < i < n]})


def evaluate_spc(
    values: Sequence[float] | Floats,
    *,
    improvement: str = "increase",
    rebase_at: Sequence[int] = (),
    options: SpcOptions = SpcOptions(),
    limits_from: Bools | None = None,
) -> SpcResult:
    """Limits, rules and point types of a series in time order. `improvement` is the
    reference's improvement direction: 'increase', 'decrease' or 'neutral'. `rebase_at` lists the
    positions that start a new group. Missing values (NaN) have no type, are left out of the
    limits and break every run.

    `limits_from` (not in the reference) marks the points a group's limits are taken from, e.g.
    the months of a named period; a group with none of them takes all its points. The limits are
    held once the group has moved past them.

    >>> evaluate_spc([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).types[-1]
    'common_cause'
    """
    if improvement not in _DIRECTION:
        raise ValueError(
            f"improvement: got {improvement!r}; expected increase, decrease or neutral"
        )
    y = np.asarray(values, dtype=float)
    n = y.size
    cols = {k: np.full(n, np.nan) for k in ("mean", "lower", "upper", "lower_near", "upper_near")}
    group = np.zeros(n, dtype=np.int64)
    locked = np.zeros(n, dtype=bool)
    rules: list[str] = []
    sides: list[str] = []
    types: list[str | None] = []
    low_bound, high_bound = options.bounds
    named = {d: point_type(d, improvement) for d in (-1, 0, 1)}
    starts = group_starts(n, rebase_at)
    for g, (start, end) in enumerate(zip(starts, [*starts[1:], n], strict=True)):
        part = slice(start, end)
        gy = y[part]
        base, held = gy, False
        if limits_from is not None and limits_from[part].any():
            base = np.where(limits_from[part], gy, np.nan)
            held = not limits_from[end - 1]
        mean, amr = group_limits(
            base, fix_after=options.fix_after, screen_outliers=options.screen_outliers
        )
        spread = LIMIT_FACTOR * amr
        for name, value in (
            ("mean", mean),
            ("lower", mean - spread),
            ("upper", mean + spread),
            ("lower_near", mean - NEAR_FACTOR * spread),
            ("upper_near", mean + NEAR_FACTOR * spread),
        ):
            if name != "mean" and not np.isnan(value):
                value = value if low_bound is None else max(value, low_bound)
                value = value if high_bound is None else min(value, high_bound)
            cols[name][part] = value
        group[part] = g
        locked[part] = held or (options.fix_after is not None and end - start >= options.fix_after)
        g_rules, g_dirs = _rules(gy, mean, amr, options)
        rules += g_rules
        sides += [_SIDES[d] for d in g_dirs]
        types += [
            None if m else named[d] for m, d in zip(np.isnan(gy).tolist(), g_dirs, strict=True)
        ]
    return SpcResult(
        cols["mean"],
        cols["lower"],
        cols["upper"],
        cols["lower_near"],
        cols["upper_near"],
        group,
        locked,
        tuple(rules),
        tuple(sides),
        tuple(types),
    )


def assurance(limits: Limits | None, target: float | None, improvement: str) -> str | None:
    """Will the process meet its target (`ptd_calculate_assurance_type`, on the latest limits)?
    A target above the upper limit fails when higher is better and passes when lower is, a target
    below the lower limit the other way round, anything else (a target on a limit, or no limits
    at all, as for a constant series) is hit or miss. None without a target or limits' mean,
    or when neither direction is better."""
    if target is None or limits is None or improvement == "neutral":
        return None
    increasing = improvement == "increase"
    if target > limits.upper:
        return FAIL if increasing else PASS
    if target < limits.lower:
        return PASS if increasing else FAIL
    return HIT_OR_MISS
