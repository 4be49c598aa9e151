"""Comparisons between areas (and between districts): is one place's rolling 12-month figure
significantly different from the others'?

A board paper's "South continues to outperform North" is a claim about a difference; the report
makes it only where a test says the difference is real, and names the test. Each area (district)
row is compared with the other areas (districts) of its level combined: with two areas, North is
compared with South. The tests are those of the baseline verdicts (`engine/verdict.py`), applied
to two places instead of two periods:

- rates and proportions (outcome rates, call handling, surveys): two independent proportions,
  the pooled z test with the interval inverted from the same standard error
  (`nonshared.two_proportions`, the verdict's proportion test when no month is shared);
- rates per population: two Poisson rates with their populations as exposure.

Both scale the variance by over-dispersion: each place's `dispersion`, the factor its own
verdict estimated from 36 months of residual variation; the larger of the places compared is
used (the test errs towards "not significant"), 1 where a place has none.

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

from policeperf.engine import nonshared as NS
from policeperf.engine import schema
from policeperf.engine import verdict as V
from policeperf.framework.kinds import kind
from policeperf.framework.kinds.base import SURVEY_METHOD
from policeperf.framework.models import Framework

POISSON_RATES = "poisson_rates_overdispersed"
"""Two rates per population: z = (r1 - r0) / sqrt(phi1 X1 / t1^2 + phi0 X0 / t0^2)."""
PROPORTION_METHODS = ("places_two_proportion", "places_survey_proportion")

METHOD_TEXT = {
    POISSON_RATES: (
        "Areas compared, rates per population: z = (X1/t1 - X0/t0) / sqrt(phi1 X1/t1^2 + "
        "phi0 X0/t0^2), X the rolling 12-month counts, t the populations, phi the larger "
        "over-dispersion factor of the places compared (their verdicts')"
    ),
    "places_two_proportion": (
        "Areas compared, rates and proportions: pooled two-proportion z test of the two places' "
        "rolling 12-month proportions, variance scaled by the larger over-dispersion factor; "
        "interval from the same standard error"
    ),
    "places_survey_proportion": (
        "Areas compared, survey proportions: pooled two-proportion z test of the two places' "
        "rolling 12-month proportions, variance scaled by the larger over-dispersion factor; "
        "interval from the same standard error"
    ),
}

COLUMNS = schema.names("compare")
"""Results columns this module adds (empty where a row is not compared)."""

LEVELS = ("area", "district")
FIGURE_STANDS = (None, "ok", "incomplete_baseline")
"""Statuses whose rolling 12-month figure stands (None: results made before statuses)."""


def rates_compare(
    x1: float,
    t1: float,
    x0: float,
    t0: float,
    *,
    phi: float = 1.0,
    confidence: float,
) -> V.Verdict:
    """Two Poisson rates, counts `x` over exposures `t` (residents), each count's variance
    phi x (quasi-Poisson, as the baseline verdict's).

    >>> v = rates_compare(150, 1000, 100, 1000, confidence=0.95)
    >>> v.verdict, v.direction, round(v.statistic, 3)
    ('Higher', 'up', 3.162)
    """
    method = POISSON_RATES
    if t1 <= 0 or t0 <= 0:
        return V.Verdict(V.INSUFFICIENT, method, "none", note="no population")
    if x1 + x0 == 0:
        return V.Verdict(V.COMPARABLE, method, "none", statistic=0.0, p_value=1.0)
    se = math.sqrt(phi * (x1 / t1**2 + x0 / t0**2))
    z = (x1 / t1 - x0 / t0) / se
    p = V.two_sided_p(z)
    direction: V.Direction = "none" if not p < 1 - confidence else ("up" if z > 0 else "down")
    half = V.z_for(confidence) * se
    return V.Verdict(
        V.words(direction, "neutral", rate=False), method, direction, statistic=z, p_value=p,
        ci_low=x1 / t1 - x0 / t0 - half, ci_high=x1 / t1 - x0 / t0 + half,
        note=f"phi = {phi:.2f}", dispersion=phi,
    )  # fmt: skip


def proportions_compare(
    x1: float,
    n1: float,
    x0: float,
    n0: float,
    *,
    phi: float = 1.0,
    confidence: float,
    minimum_n: int,
    method: str = PROPORTION_METHODS[0],
) -> V.Verdict:
    """Two independent proportions x/n (difference in percentage points).

    >>> v = proportions_compare(108, 360, 36, 360, confidence=0.95, minimum_n=30)
    >>> v.verdict, round(v.statistic, 4)
    ('Higher', 6.7082)
    """
    if n1 < minimum_n or n0 < minimum_n:
        return V.Verdict(V.INSUFFICIENT, method, "none", note=f"fewer than {minimum_n} cases")
    t = NS.two_proportions(x1, n1, x0, n0, phi=phi, confidence=confidence)
    p = float(t.p_value[0])
    direction: V.Direction = (
        "none" if not p < 1 - confidence else ("up" if t.difference[0] > 0 else "down")
    )
    return V.Verdict(
        V.words(direction, "neutral", rate=False), method, direction,
        statistic=float(t.statistic[0]), p_value=p, ci_low=100 * float(t.low[0]),
        ci_high=100 * float(t.high[0]), note=f"phi = {phi:.2f}", dispersion=phi,
    )  # fmt: skip


@dataclass(frozen=True)
class _Place:
    """One place's figures for one measure and month, as the tests need them."""

    area: str
    numerator: float | None
    denominator: float | None
    phi: float
    baseline_numerator: float | None
    baseline_denominator: float | None
    baseline_period: str
    stands: bool
    baseline_stands: bool

    @property
    def now(self) -> Figures:
        return (self.numerator, self.denominator, self.phi)

    @property
    def before(self) -> Figures:
        return (self.baseline_numerator, self.baseline_denominator, self.phi)


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, str):
        return None
    number = float(value)
    return None if math.isnan(number) else number


def _test(
    method: str,
    mine: Figures,
    others: Figures,
    *,
    confidence: float,
    minimum_n: int,
) -> V.Verdict:
    x1, n1, phi1 = mine
    x0, n0, phi0 = others
    if x1 is None or n1 is None or x0 is None or n0 is None:
        return V.Verdict(V.INSUFFICIENT, method, "none", note="a figure is missing")
    phi = max(phi1, phi0)
    if method == POISSON_RATES:
        return rates_compare(x1, n1, x0, n0, phi=phi, confidence=confidence)
    return proportions_compare(x1, n1, x0, n0, phi=phi, confidence=confidence,
                               minimum_n=minimum_n, method=method)  # fmt: skip


def _sum(values: Iterable[float | None]) -> float | None:
    items = list(values)
    return None if any(v is None for v in items) else float(sum(v for v in items if v is not None))


Figures = tuple[float | None, float | None, float]
"""A place's count (numerator), its denominator or population, and its over-dispersion."""


def _each_against_rest(
    figures: list[Figures], method: str, *, confidence: float, minimum_n: int
) -> list[V.Verdict]:
    """Each place's figures tested against the sum of the others' (the total less its own)."""
    total_x, total_n = _sum(f[0] for f in figures), _sum(f[1] for f in figures)
    out = []
    for k, (x, n, phi) in enumerate(figures):
        others: Figures = (
            None if total_x is None or x is None else total_x - x,
            None if total_n is None or n is None else total_n - n,
            max(f[2] for j, f in enumerate(figures) if j != k),
        )
        out.append(_test(method, (x, n, phi), others, confidence=confidence,
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
         "baseline_denominator", "baseline_period", "baseline", "dispersion")  # fmt: skip
"""The results columns the comparisons read."""


def methods_for(framework: Framework) -> dict[str, str]:
    """Measure id -> the test comparing places, for the kinds compared (`Kind.compared`):
    rates of residents by the Poisson rate test, proportions by their verdict's test."""
    out: dict[str, str] = {}
    for *_, m in framework.measures():
        k = kind(m.kind)
        if not k.compared:
            continue
        if k.population_denominator:
            out[m.id] = POISSON_RATES
        else:
            survey = k.default_method(m) == SURVEY_METHOD
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
    places = results.loc[wanted].reindex(
        columns=list(_READ)
    )  # results made before `dispersion` lack it
    if places.empty:
        return out
    chosen = places[[m >= since for m in places["month"]]]
    groups: dict[tuple[str, str, date], list[tuple[Any, _Place]]] = {}
    for index, row in zip(chosen.index, chosen.itertuples(index=False), strict=True):
        status = None if pd.isna(row.status) else str(row.status)
        key = (str(row.measure_id), str(row.area_level), str(row.area))
        phi = _number(row.dispersion)
        place = _Place(
            area=str(row.area), numerator=_number(row.rolling_12m_numerator),
            denominator=_number(row.rolling_12m_denominator),
            phi=phi if phi is not None and phi > 1 else 1.0,
            baseline_numerator=_number(row.baseline_numerator),
            baseline_denominator=_number(row.baseline_denominator),
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
