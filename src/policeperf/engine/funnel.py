"""Funnel plot limits with over-dispersion, for comparing forces of different sizes.

Spiegelhalter, D. J. (2005) "Funnel plots for comparing institutional performance", Statistics in
Medicine 24(8):1185-1202, doi:10.1002/sim.1970, and "Handling over-dispersion of performance
indicators", Quality and Safety in Health Care 14:347-351. Each force's figure is put on a scale
where its standard error depends only on its size: a rate per population on the square-root
scale of its indirectly standardised ratio (observed / expected at the England and Wales rate),
a proportion on the arcsine-square-root scale. z-scores against the national target are
winsorised (10% at each end) before the dispersion ratio phi is estimated: the square-root
transformation and winsorisation of NHS-R FunnelPlotR's "CQC" method and of PHE funnel practice
(FunnelPlotR's "SHMI" method uses logs and truncation instead), so one extreme force cannot widen everyone's limits. Limits
are then widened either additively, by the between-force variance tau^2 (DerSimonian-Laird
random effects; the default) or multiplicatively by sqrt(phi).

Counts of recorded crime across 43 forces are far more variable than Poisson: without the
adjustment almost every force is "outside the 99.8% limit", which says nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

Z_95 = 1.959963984540054
"""Two-sided 95% normal quantile (Spiegelhalter 2005: the "warning" limit)."""
Z_998 = 3.090232306167813
"""Two-sided 99.8% normal quantile (Spiegelhalter 2005: the "control" limit)."""
WINSORISE_FRACTION = 0.1
"""Fraction winsorised at each end before phi is estimated (FunnelPlotR `trim_by` default)."""
Scale = Literal["rate", "proportion"]
Adjustment = Literal["additive", "multiplicative", "none"]
Floats = Sequence[float] | np.ndarray


@dataclass(frozen=True)
class FunnelPoint:
    """One force on the funnel: its z-score and the limits at its size, in the figure's units."""

    z: float
    """Unadjusted z-score on the transformed scale."""
    z_adjusted: float
    """z-score after the over-dispersion adjustment; the verdict reads this."""
    lower_95: float
    upper_95: float
    lower_998: float
    upper_998: float
    verdict: str
    """'above 99.8% limit', 'above 95% limit', 'within 95% limits', 'below 95% limit' or
    'below 99.8% limit'."""


@dataclass(frozen=True)
class Funnel:
    """Limits for every force, and the dispersion estimates that widened them."""

    target: float
    """The national figure, in the figure's units (rate per 1,000 or proportion)."""
    phi: float
    """Dispersion ratio: mean squared winsorised z-score (1 when the data are Poisson/binomial)."""
    tau2: float
    """Between-force variance on the transformed scale (0 when not over-dispersed)."""
    adjustment: Adjustment
    points: tuple[FunnelPoint, ...]

    def method(self) -> str:
        """The method as outputs name it (phi and tau2 are given as numbers beside it)."""
        how = {
            "additive": "over-dispersion by additive random effects (tau2)",
            "multiplicative": "over-dispersion by multiplying the variance by phi",
            "none": "no over-dispersion adjustment",
        }[self.adjustment]
        return (
            f"funnel plot (Spiegelhalter 2005), {how}; phi from z-scores winsorised "
            f"{WINSORISE_FRACTION:.0%} each end; limits 95% and 99.8%"
        )


def transform(
    numerator: float, denominator: float, target: float, scale: Scale
) -> tuple[float, float, float]:
    """(y, s, target) on the variance-stabilised scale (Spiegelhalter 2005, table I).

    rate: y = sqrt(O / E) with E = denominator x target (a rate per head), s = 1 / (2 sqrt(E)), target 1.
    proportion: y = asin(sqrt(p)), s = 1 / (2 sqrt(n)), target asin(sqrt(p0)).

    >>> transform(100, 1000, 0.1, "rate")
    (1.0, 0.05, 1.0)
    """
    if scale == "rate":
        expected = denominator * target
        return math.sqrt(numerator / expected), 1 / (2 * math.sqrt(expected)), 1.0
    p = numerator / denominator
    return math.asin(math.sqrt(p)), 1 / (2 * math.sqrt(denominator)), math.asin(math.sqrt(target))


def back(y: float, target: float, scale: Scale) -> float:
    """A value on the transformed scale in the figure's units (clipped to the scale's range):
    a rate is the standardised ratio y^2 times the national rate `target`.

    >>> back(1.1, 50.0, "rate"), round(back(math.asin(math.sqrt(0.25)), 0.0, "proportion"), 12)
    (60.50000000000001, 0.25)
    """
    if scale == "rate":
        return max(y, 0.0) ** 2 * target
    return math.sin(min(max(y, 0.0), math.pi / 2)) ** 2


def winsorise(z: Floats, fraction: float = WINSORISE_FRACTION) -> np.ndarray:
    """z-scores with those below the `fraction` quantile raised to it and those above the
    1 - `fraction` quantile lowered to it (quantiles interpolated linearly, as R's default).

    >>> winsorise([float(i) for i in range(11)]).tolist()
    [1.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 9.0]
    """
    values = np.asarray(z, dtype=float)
    low, high = np.quantile(values, [fraction, 1 - fraction])
    clipped: np.ndarray = np.clip(values, low, high)
    return clipped


def dispersion_ratio(z_winsorised: Floats) -> float:
    """phi = mean of squared winsorised z-scores (Spiegelhalter 2005, section 3.3)."""
    values = np.asarray(z_winsorised, dtype=float)
    return float(np.mean(values**2))


def between_variance(phi: float, s: Floats) -> float:
    """tau^2 = (n phi - (n - 1)) / (sum w - sum w^2 / sum w), w = 1 / s^2; 0 when n phi <= n - 1
    (DerSimonian & Laird 1986 as Spiegelhalter 2005 section 3.4 uses it)."""
    w = 1 / np.asarray(s, dtype=float) ** 2
    n = len(w)
    if n * phi <= n - 1:
        return 0.0
    return float((n * phi - (n - 1)) / (w.sum() - (w**2).sum() / w.sum()))


def funnel(
    numerators: Sequence[float],
    denominators: Sequence[float],
    *,
    target: float,
    scale: Scale,
    per: float = 1.0,
    adjustment: Adjustment = "additive",
) -> Funnel:
    """Funnel limits and verdicts for every unit (force) against `target` (in units per `per`).

    Args:
        numerators: counts (crimes, positive outcomes), one per force.
        denominators: population (rate) or crimes (proportion), one per force, all > 0.
        target: the national figure: rate per `per` people, or a proportion.
        scale: "rate" (Poisson counts over population) or "proportion" (binomial).
        adjustment: "additive" (tau^2), "multiplicative" (phi, only when phi > 1) or "none".
    """
    rate_target = target / per if scale == "rate" else target
    pairs = zip(numerators, denominators, strict=True)
    parts = [transform(o, d, rate_target, scale) for o, d in pairs]
    y = np.array([p[0] for p in parts])
    s = np.array([p[1] for p in parts])
    centre = parts[0][2] if parts else 0.0
    z = (y - centre) / s
    phi = dispersion_ratio(winsorise(z)) if len(z) else 1.0
    tau2 = between_variance(phi, s) if adjustment == "additive" and len(z) > 1 else 0.0
    points = []
    for yi, si, zi in zip(y, s, z, strict=True):
        if adjustment == "additive":
            sd = math.sqrt(si**2 + tau2)
        elif adjustment == "multiplicative":
            sd = si * math.sqrt(max(phi, 1.0))
        else:
            sd = si
        z_adj = float((yi - centre) / sd)
        points.append(
            FunnelPoint(
                z=float(zi),
                z_adjusted=z_adj,
                lower_95=back(centre - Z_95 * sd, target, scale),
                upper_95=back(centre + Z_95 * sd, target, scale),
                lower_998=back(centre - Z_998 * sd, target, scale),
                upper_998=back(centre + Z_998 * sd, target, scale),
                verdict=funnel_verdict(z_adj),
            )
        )
    return Funnel(target, phi, tau2, adjustment, tuple(points))


def funnel_verdict(z_adjusted: float) -> str:
    """Where an adjusted z-score lies against the 95% and 99.8% limits."""
    side = "above" if z_adjusted > 0 else "below"
    if abs(z_adjusted) > Z_998:
        return f"{side} 99.8% limit"
    if abs(z_adjusted) > Z_95:
        return f"{side} 95% limit"
    return "within 95% limits"
