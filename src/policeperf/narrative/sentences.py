"""Sentences in the register of a board paper, one fact each.

Direction words follow the verdict, never the raw sign: a Comparable measure "remained broadly
stable" or "was comparable", whatever its change. Records and SPC signals describe the month;
headline and trend sentences describe the comparison with the baseline and must agree with it.
"""

from __future__ import annotations

from datetime import date

from policeperf.calendar import month_index
from policeperf.framework import kinds as units
from policeperf.narrative import numbers as N
from policeperf.narrative.facts import Facts

RULE_WORDS = {
    "astronomical": "outside the control limits, the expected range of variation",
    "shift": "part of a sustained shift: a run of months {side} the average",
    "trend": "part of a run of months each {step} than the one before",
    "two_of_three": "one of two in three recent months close to the control limit {side} the average",
}
CLASS_WORDS = {
    "special_cause_improvement": "special cause improvement",
    "special_cause_concern": "special cause concern",
    "special_cause_neutral_high": "special cause variation",
    "special_cause_neutral_low": "special cause variation",
}


def _name(f: Facts) -> str:
    return (
        f.measure[0].lower() + f.measure[1:]
        if f.measure[:2] != f.measure[:2].upper()
        else f.measure
    )


def _window(f: Facts) -> str:
    return f"the 12 months to {N.month(f.month)}"


def _figure(f: Facts, v: object) -> str:
    if v == N.SUPPRESSED:
        return N.SUPPRESSED
    return "-" if N.is_missing(v) else units.unit(f.unit).sentence_text(v)  # type: ignore[arg-type]


def _with_n(f: Facts, v: object, n: object) -> str:
    text = _figure(f, v)
    return f"{text} ({N.n(n)})" if f.is_survey and not N.is_missing(n) else text


def _year_end(f: Facts, before: str) -> str:
    if f.month.month == 3:
        return f"the {f.baseline_period} year-end level of {before}"
    return f"{before} at the end of {f.baseline_period}"


def unavailable(f: Facts) -> str:
    """What is said of a measure whose figure the data cannot support: that, and why."""
    why = f.reason or "the data does not cover this period"
    if f.status == "incomplete_baseline" and not N.is_missing(f.rolling_12m):
        now = _with_n(f, f.rolling_12m, f.rolling_12m_denominator)
        return (
            f"{f.measure}: {now} in {_window(f)}; no comparison with "
            f"{f.baseline_period or 'a baseline'} is made because {why}."
        )
    return f"{f.measure}: not available, because {why}."


def headline(f: Facts) -> str:
    """The rolling 12 months against the baseline, in the verdict's words."""
    if not f.available:
        return unavailable(f)
    if f.suppressed:
        return (
            f"{f.measure}: figures for {_window(f)} are suppressed because the numbers are small."
        )
    if N.is_missing(f.rolling_12m):
        return f"{f.measure}: there are not yet 12 months of data to {N.month(f.month)}."
    now = _with_n(f, f.rolling_12m, f.rolling_12m_denominator)
    if f.verdict == "Insufficient data" or N.is_missing(f.baseline):
        return (
            f"{f.measure}: {now} in {_window(f)}; there is not enough data for a comparison "
            f"with {f.baseline_period or 'a baseline'}."
        )
    before = _with_n(f, f.baseline, f.baseline_denominator)
    direction = f.direction
    if direction is None:
        # The verdict, its direction and the change disagree: the figures, and no direction.
        return f"{f.measure}: {now} in {_window(f)} against {before} in {f.baseline_period}."
    if direction == "none":
        subject = (
            f"The 12-month {_name(f)}"
            if f.is_rate or f.unit in ("minutes", "seconds")
            else f.measure
        )
        return (
            f"{subject} remained broadly stable: {now} in {_window(f)} against {before} in "
            f"{f.baseline_period}; the difference is not statistically significant."
        )
    up = direction == "up"
    judged = (
        f", {'an improvement' if f.verdict == 'Improved' else 'a deterioration'}"
        if f.verdict in ("Improved", "Deteriorated")
        else ""
    )
    if f.is_rate:
        finish = "finished the financial year at" if f.month.month == 3 else "stood at"
        return (
            f"The 12-month {_name(f)} {finish} {now}, {N.ppt(f.change_ppt)} "
            f"{'higher' if up else 'lower'} than {_year_end(f, before)}{judged}."
        )
    if f.unit in ("minutes", "seconds"):
        return (
            f"The {_name(f)} was {now} over {_window(f)}, {'up' if up else 'down'} from {before} "
            f"in {f.baseline_period}{judged}."
        )
    verb = "rose" if up else "fell"
    return (
        f"{f.measure} {verb} by {N.change_pct(f.change_pct)} in {_window(f)} compared with the "
        f"{f.baseline_period} baseline ({now} against {before}){judged}."
    )


RECORD_MIN_MONTHS = 12
"""A "highest since" month must be at least this many months before the reporting month: a
record over fewer months is at most the 12-month high, said in its own words."""


def record_since_is_news(f: Facts, since: date | None) -> bool:
    """A "highest since X" is news only when the series reaches back past X: X is later than the
    first month of the unbroken run of data held (a record that stops at the first month held
    is the edge of the data, not an earlier peak) and at least `RECORD_MIN_MONTHS` before the
    reporting month (so the claim says more than the 12-month high). docs/methods.md."""
    if since is None:
        return False
    if f.data_start is None or since <= f.data_start:
        return False
    return month_index(f.month) - month_index(since) >= RECORD_MIN_MONTHS


def record(f: Facts) -> str | None:
    """Where this month stands against earlier months."""
    if f.suppressed or N.is_missing(f.value) or f.value == N.SUPPRESSED or f.unit != "count":
        return None
    what = f"{N.month_only(f.month)}'s figure of {N.count(f.value)} was"
    high, low = f.record_high_since, f.record_low_since
    if high is not None and record_since_is_news(f, high):
        return f"{what} the highest monthly total since {N.month(high)}."
    if low is not None and record_since_is_news(f, low):
        return f"{what} the lowest monthly total since {N.month(low)}."
    if f.twelve_month_high:
        return f"{what} the highest single month figure of the last 12 months."
    if f.twelve_month_low:
        return f"{what} the lowest single month figure of the last 12 months."
    return None


def trend(f: Facts) -> str | None:
    """The rolling series' recent movement, only where it agrees with the verdict."""
    if f.suppressed or f.comparable:
        if f.trend_halted and f.previous_trend_direction in ("up", "down") and not f.suppressed:
            return "The long-term trend in monthly figures has halted."
        return None
    direction = f.direction
    if direction not in ("up", "down") or f.rolling_direction_3m != direction:
        return None
    moved = "increased" if direction == "up" else "decreased"
    figure = _figure(f, f.rolling_12m)
    if f.trend_direction == direction:
        word = "upward" if direction == "up" else "downward"
        return (
            f"The rolling 12-month figure {moved} to {figure}, continuing the recent {word} trend."
        )
    return f"The rolling 12-month figure has {moved} in each of the last three months, to {figure}."


def spc(f: Facts) -> str | None:
    """A special-cause signal in the reporting month, in plain words."""
    if f.suppressed or not f.spc_rule:
        return None
    first = f.spc_rule.split(",")[0]
    label = CLASS_WORDS.get(f.spc_class or "", "special cause variation")
    if first != "astronomical" and f.spc_side not in ("high", "low"):
        return f"The {N.month(f.month)} figure is a special cause signal ({label})."
    side = "above" if f.spc_side == "high" else "below"
    step = "higher" if f.spc_side == "high" else "lower"
    words = RULE_WORDS.get(first, first).format(side=side, step=step)
    return f"The {N.month(f.month)} figure is {words} ({label})."


TEST_NAMES = {
    "places_two_proportion": "two-proportion z test",
    "places_survey_proportion": "two-proportion z test",
    "poisson_rates_overdispersed": "two-rate Poisson test with over-dispersion",
}
"""How a sentence names the engine's test behind a comparison between places (the
`comparison_method` column; formulas in engine/compare.py and docs/methods.md)."""


def _tested(first: Facts, second: Facts) -> str | None:
    """The tested direction of `first` against `second` ('up', 'down', 'none'), or None when no
    test of these two places stands or its result disagrees with the figures shown."""
    if first.comparison_method not in TEST_NAMES or first.compared_with != second.area:
        return None
    said = first.comparison_direction
    if first.comparison == "Comparable" and said == "none":
        return "none"
    if (first.comparison, said) not in (("Higher", "up"), ("Lower", "down")):
        return None
    if second.comparison_direction != ("down" if said == "up" else "up"):
        return None
    if _figure(first, first.rolling_12m) == _figure(second, second.rolling_12m):
        return None  # equal as written: no order to state
    if (first.rolling_12m > second.rolling_12m) != (said == "up"):
        return None
    return said


def area_comparison(first: Facts, second: Facts) -> str | None:
    """Two areas' rolling 12-month figures; a comparative word only where the engine's test of
    the two found a significant difference, and the sentence names that test. "Continues to
    outperform" only where the same test of the baseline year found the same difference."""
    if first.suppressed or second.suppressed:
        return None
    if any(N.is_missing(x) for x in (first.rolling_12m, second.rolling_12m)):
        return None
    name = _name(first)
    a, b = _figure(first, first.rolling_12m), _figure(second, second.rolling_12m)
    plain = f"{first.measure} in {_window(first)}: {first.area} {a}, {second.area} {b}"
    tested = _tested(first, second)
    if tested is None:
        if first.comparison == "Insufficient data":
            return f"{plain}; there are too few cases to compare them."
        return f"{plain}."
    test = TEST_NAMES[str(first.comparison_method)]
    if tested == "none":
        return f"{plain}; the difference is not statistically significant ({test})."
    high, low = (first, second) if tested == "up" else (second, first)
    hi, lo = _figure(high, high.rolling_12m), _figure(low, low.rolling_12m)
    if first.polarity == "neutral":
        return (
            f"For {name}, {high.area} ({hi}) is higher than {low.area} ({lo}); the difference "
            f"is statistically significant ({test})."
        )
    leader, other = (high, low) if first.polarity == "up_is_good" else (low, high)
    still = leader.baseline_comparison_direction == leader.comparison_direction
    verb = "continues to outperform" if still else "outperforms"
    since = f" as in {leader.baseline_period}" if still else ""
    return (
        f"For {name}, {leader.area} ({_figure(leader, leader.rolling_12m)}) {verb} {other.area} "
        f"({_figure(other, other.rolling_12m)}){since}; the difference is statistically "
        f"significant ({test})."
    )


def month_label(day: date) -> str:
    return N.month(day)
