"""Comparisons between areas (and between districts): is one place's rolling 12-month figure
significantly different from the others'?

A board paper's "South continues to outperform North" is a claim about a difference; the report
makes it only where a test says the difference is real, and names the test. Each area (district)
row is compared with the other areas (districts) of its level combined: with two areas, North is
compared with South. The tests are those of the baseline verdicts (`engine/verdict.py`), applied
to two places instead of two periods:

- rates and proportions (outcome rates, call handling, surveys): two proportions, Newcombe's
  hybrid score interval for the difference (`verdict.proportion_vs_baseline`);
- rates per population: two Poisson rates with their populations as exposure, each count's
  variance scaled by its over-dispersion factor from its own 12 months (`verdict.dispersion`).

Counts, harm and medians are not compared between places: areas differ in size, so their counts
say nothing about performance, and a median of the other places combined is not held. Their
figures are given plainly. Formulas: docs/methods.md "Comparisons between areas".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from policeperf.calendar import month_index
from policeperf.engine import verdict as V
from policeperf.framework.models import Framework

POISSON_RATES = "poisson_rates_overdispersed"
"""Two rates per population: z = (r1 - r0) / sqrt(phi1 X1 / t1^2 + phi0 X0 / t0^2)."""
PROPORTION_METHODS = ("two_proportion_newcombe", "wilson_newcombe")

METHOD_TEXT = {
    POISSON_RATES: (
        "Areas compared, rates per population: z = (X1/t1 - X0/t0) / sqrt(phi1 X1/t1^2 + "
        "phi0 X0/t0^2), X the rolling 12-month counts, t the populations, phi each place's "
        "over-dispersion factor from its 12 months"
    ),
    "two_proportion_newcombe": (
        "Areas compared, rates and proportions: Newcombe hybrid score interval for the "
        "difference between the two places' rolling 12-month proportions"
    ),
    "wilson_newcombe": (
        "Areas compared, survey proportions: Newcombe hybrid score interval (from the Wilson "
        "intervals) for the difference between the two places' rolling 12-month proportions"
    ),
}

COLUMNS = (
    "compared_with",
    "comparison",
    "comparison_direction",
    "comparison_method",
    "comparison_statistic",
    "comparison_p_value",
    "comparison_ci_low",
    "comparison_ci_high",
    "baseline_comparison_direction",
)
"""Results columns this module adds (empty where a row is not compared)."""

LEVELS = ("area", "district")
COMPARED_KINDS = ("outcome_rate", "proportion", "rate_per_population")
FIGURE_STANDS = (None, "ok", "incomplete_baseline")
"""Statuses whose rolling 12-month figure stands (None: results made before statuses)."""


def rates_compare(
    x1: float,
    t1: float,
    months1: list[float],
    x0: float,
    t0: float,
    months0: list[float],
    *,
    confidence: float,
) -> V.Verdict:
    """Two Poisson rates, counts `x` over exposures `t` (residents), each count's variance
    phi x with phi from its own monthly counts (quasi-Poisson, as the baseline verdict's).

    >>> v = rates_compare(150, 1000, [], 100, 1000, [], confidence=0.95)
    >>> v.verdict, v.direction, round(v.statistic, 3)
    ('Higher', 'up', 3.162)
    """
    method = POISSON_RATES
    if t1 <= 0 or t0 <= 0:
        return V.Verdict(V.INSUFFICIENT, method, "none", note="no population")
    if x1 + x0 == 0:
        return V.Verdict(V.COMPARABLE, method, "none", statistic=0.0, p_value=1.0)
    phi1, phi0 = V.dispersion(months1), V.dispersion(months0)
    se = math.sqrt(phi1 * x1 / t1**2 + phi0 * x0 / t0**2)
    z = (x1 / t1 - x0 / t0) / se
    crit = V.z_for(confidence)
    direction: V.Direction = "none" if abs(z) < crit else ("up" if z > 0 else "down")
    return V.Verdict(
        V.words(direction, "neutral", rate=False), method, direction, statistic=z,
        p_value=V.two_sided_p(z), note=f"phi = {phi1:.2f}, {phi0:.2f}",
    )  # fmt: skip


@dataclass(frozen=True)
class _Place:
    """One place's figures for one measure and month, as the tests need them."""

    area: str
    numerator: float | None
    denominator: float | None
    months: list[float]
    baseline_numerator: float | None
    baseline_denominator: float | None
    baseline_months: list[float]
    baseline_period: str
    stands: bool
    baseline_stands: bool

    @property
    def now(self) -> Figures:
        return (self.numerator, self.denominator, self.months)

    @property
    def before(self) -> Figures:
        return (self.baseline_numerator, self.baseline_denominator, self.baseline_months)


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, str):
        return None
    number = float(value)
    return None if math.isnan(number) else number


def _test(
    method: str,
    mine: tuple[float | None, float | None, list[float]],
    others: tuple[float | None, float | None, list[float]],
    *,
    confidence: float,
    minimum_n: int,
) -> V.Verdict:
    x1, n1, m1 = mine
    x0, n0, m0 = others
    if method == POISSON_RATES:
        if x1 is None or n1 is None or x0 is None or n0 is None:
            return V.Verdict(V.INSUFFICIENT, method, "none", note="a figure is missing")
        return rates_compare(x1, n1, m1, x0, n0, m0, confidence=confidence)
    return V.proportion_vs_baseline(
        x1, n1, x0, n0, confidence=confidence, polarity="neutral", minimum_n=minimum_n,
        method=method,
    )  # fmt: skip


def _sum(values: Iterable[float | None]) -> float | None:
    items = list(values)
    return None if any(v is None for v in items) else float(sum(v for v in items if v is not None))


def _month_sums(series: list[list[float]]) -> list[float]:
    if not series or any(len(s) != len(series[0]) for s in series):
        return []
    return [float(sum(values)) for values in zip(*series, strict=True)]


Figures = tuple[float | None, float | None, list[float]]
"""A place's count (numerator), its denominator or population, and its monthly counts."""


def _each_against_rest(
    figures: list[Figures], method: str, *, confidence: float, minimum_n: int
) -> list[V.Verdict]:
    """Each place's figures tested against the sum of the others' (the total less its own)."""
    total_x, total_n = _sum(f[0] for f in figures), _sum(f[1] for f in figures)
    total_months = _month_sums([f[2] for f in figures])
    out = []
    for x, n, months in figures:
        others: Figures = (
            None if total_x is None or x is None else total_x - x,
            None if total_n is None or n is None else total_n - n,
            [t - m for t, m in zip(total_months, months, strict=True)] if total_months else [],
        )
        out.append(_test(method, (x, n, months), others, confidence=confidence,
                         minimum_n=minimum_n))  # fmt: skip
    return out


def _compare_group(
    places: list[_Place],
    level: str,
    method: str,
    before: dict[tuple[str, ...], list[str | None]],
    *,
    confidence: float,
    minimum_n: int,
) -> dict[str, dict[str, Any]]:
    """Each place against the others of its level combined, now and in the baseline year (the
    baseline's tests are kept in `before`, by baseline year and places: one per year)."""
    out: dict[str, dict[str, Any]] = {}
    if len(places) < 2 or not all(p.stands for p in places):
        return out
    now = _each_against_rest([p.now for p in places], method, confidence=confidence,
                             minimum_n=minimum_n)  # fmt: skip
    then: list[str | None] = [None] * len(places)
    if all(p.baseline_stands for p in places):
        key = (places[0].baseline_period, *(p.area for p in places))
        if key not in before:
            tests = _each_against_rest([p.before for p in places], method,
                                       confidence=confidence, minimum_n=minimum_n)  # fmt: skip
            before[key] = [b.direction if b.verdict != V.INSUFFICIENT else None for b in tests]
        then = before[key]
    for k, (place, v, direction) in enumerate(zip(places, now, then, strict=True)):
        named = (
            places[1 - k].area
            if len(places) == 2
            else f"the other {len(places) - 1} {level}s combined"
        )
        out[place.area] = {
            "compared_with": named, "comparison": v.verdict, "comparison_direction": v.direction,
            "comparison_method": v.method, "comparison_statistic": v.statistic,
            "comparison_p_value": v.p_value, "comparison_ci_low": v.ci_low,
            "comparison_ci_high": v.ci_high, "baseline_comparison_direction": direction,
        }  # fmt: skip
    return out


_READ = ("measure_id", "area_level", "area", "month", "status", "numerator",
         "rolling_12m_numerator", "rolling_12m_denominator", "baseline_numerator",
         "baseline_denominator", "baseline_period", "baseline")  # fmt: skip
"""The results columns the comparisons read."""


def _monthly(rows: pd.DataFrame) -> dict[tuple[str, str, str], dict[int, float | None]]:
    """(measure, level, area) -> month index -> the month's numerator (the counts phi is
    taken from)."""
    out: dict[tuple[str, str, str], dict[int, float | None]] = {}
    for measure, level, area, month, numerator in zip(
        rows["measure_id"], rows["area_level"], rows["area"], rows["month"], rows["numerator"],
        strict=True,
    ):  # fmt: skip
        key = (str(measure), str(level), str(area))
        out.setdefault(key, {})[month_index(month)] = _number(numerator)
    return out


def _window(by_month: dict[int, float | None], last: date) -> list[float]:
    """The 12 monthly counts ending `last`; empty unless all are held."""
    end = month_index(last)
    values = [by_month.get(k) for k in range(end - 11, end + 1)]
    return [float(v) for v in values if v is not None] if None not in values else []


def _baseline_last(label: Any) -> date | None:
    text = str(label or "")
    return date(int(text[:4]) + 1, 3, 1) if text[:4].isdigit() else None


def methods_for(framework: Framework) -> dict[str, str]:
    """Measure id -> the test comparing places, for the kinds compared (`COMPARED_KINDS`)."""
    out: dict[str, str] = {}
    for *_, m in framework.measures():
        if m.kind == "rate_per_population":
            out[m.id] = POISSON_RATES
        elif m.kind in COMPARED_KINDS:
            survey = m.kind == "proportion" and m.table == "survey_responses"
            out[m.id] = PROPORTION_METHODS[1] if survey else PROPORTION_METHODS[0]
    return out


def compare_areas(
    results: pd.DataFrame,
    methods: Mapping[str, str],
    *,
    confidence: float,
    minimum_n: int,
    since: date,
) -> pd.DataFrame:
    """`results` with the comparison columns (`COLUMNS`) for area and district rows from month
    `since` on. `methods` maps each measure compared to its test: `POISSON_RATES` or one of
    `PROPORTION_METHODS`; measures not in it are not compared."""
    out = results.assign(**dict.fromkeys(COLUMNS))
    if results.empty:
        return out
    wanted = results["area_level"].isin(LEVELS) & results["measure_id"].isin(methods)
    places = results.loc[wanted, list(_READ)]
    if places.empty:
        return out
    rates = places[places["measure_id"].map(methods) == POISSON_RATES]
    monthly = _monthly(rates)  # only rates per population need the months (phi)
    chosen = places[[m >= since for m in places["month"]]]
    groups: dict[tuple[str, str, date], list[tuple[Any, _Place]]] = {}
    for index, row in zip(chosen.index, chosen.itertuples(index=False), strict=True):
        status = None if pd.isna(row.status) else str(row.status)
        key = (str(row.measure_id), str(row.area_level), str(row.area))
        counts = monthly.get(key, {})
        last_base = _baseline_last(row.baseline_period)
        place = _Place(
            area=str(row.area), numerator=_number(row.rolling_12m_numerator),
            denominator=_number(row.rolling_12m_denominator),
            months=_window(counts, row.month) if counts else [],
            baseline_numerator=_number(row.baseline_numerator),
            baseline_denominator=_number(row.baseline_denominator),
            baseline_months=_window(counts, last_base) if counts and last_base else [],
            baseline_period=str(row.baseline_period),
            stands=status in FIGURE_STANDS and _number(row.rolling_12m_numerator) is not None,
            baseline_stands=status in (None, "ok") and _number(row.baseline) is not None,
        )  # fmt: skip
        groups.setdefault((key[0], key[1], row.month), []).append((index, place))
    filled: dict[Any, dict[str, Any]] = {}
    before: dict[tuple[str, str], dict[tuple[str, ...], list[str | None]]] = {}
    for (measure, level, _), members in groups.items():
        found = _compare_group([p for _, p in members], level, methods[measure],
                               before.setdefault((measure, level), {}),
                               confidence=confidence, minimum_n=minimum_n)  # fmt: skip
        for index, place in members:
            if place.area in found:
                filled[index] = found[place.area]
    if filled:
        frame = pd.DataFrame.from_dict(filled, orient="index", columns=list(COLUMNS))
        out.loc[frame.index, list(COLUMNS)] = frame.astype(object)
    return out
