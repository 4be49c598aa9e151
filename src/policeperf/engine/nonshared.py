"""Rolling 12 months against the baseline year, tested on the months the two windows do not share.

The rolling 12 months and the baseline financial year overlap by 0 to 11 months. The shared
months appear in both totals and cancel in the difference, so they carry no information about a
change: X1 - X0 = A - B, A the sum of the rolling months outside the baseline and B the sum of
the baseline months outside the rolling 12. Both sets hold the same calendar months (any 12
consecutive months cover each calendar month once), so seasonality cancels too. The variance
comes from those non-shared months only; treating the two windows as independent samples counts
the shared months twice and makes the test blind from April to July.

Over-dispersion is estimated from residual month-to-month variation over the 36 months before the
reporting month, with seasonality and level removed by double differencing:
e_t = (x_t - x_{t-12}) - (x_{t-1} - x_{t-13}). Under a model with a stable seasonal pattern and
independent month-level noise of variance phi x v_t (v_t the Poisson or binomial variance),
E[e_t^2] = phi (v_t + v_{t-12} + v_{t-1} + v_{t-13}), so phi = sum e_t^2 / sum of those variances
(a ratio estimator; McCullagh & Nelder 1989, section 4.5, for the quasi-likelihood dispersion).
A level change moves one residual per year, not all of them, so a real change is not mistaken
for noise; the month reported is left out so that with one non-shared month its own difference
does not inflate the variance it is judged by.

Every function works on two-dimensional arrays (series x months), so the engine (one row at a
time) and the calibration simulation in the tests (thousands of series) run the same code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import special

from policeperf.engine.series import WINDOW

Array = np.ndarray

DISPERSION_MONTHS = 36
"""Months of history (before the reporting month) behind the over-dispersion estimate."""
DF_PER_RESIDUAL = 1 / 1.5
"""Effective degrees of freedom per residual: neighbouring residuals share months (lag-one
correlation -1/2), so n of them carry about n / (1 + 2 x 1/4) = n / 1.5 degrees of freedom."""


@dataclass(frozen=True)
class Windows:
    """Positions (in one series) of the months each window has alone, and of the shared ones:
    each is a run of consecutive months, so a slice."""

    current_only: slice
    baseline_only: slice
    shared: slice

    @property
    def months_not_shared(self) -> int:
        return int(self.current_only.stop - self.current_only.start)


@lru_cache(maxsize=4096)
def split_windows(end: int, baseline_first: int) -> Windows:
    """The rolling 12 months ending at position `end` and the 12 from `baseline_first`.

    >>> w = split_windows(14, 0)  # June of the year after an April-March baseline
    >>> w.current_only, w.baseline_only, w.shared
    (slice(12, 15, None), slice(0, 3, None), slice(3, 12, None))
    """
    first = end - WINDOW + 1
    low, high = max(first, baseline_first), min(end, baseline_first + WINDOW - 1) + 1
    if low >= high:  # no month shared
        return Windows(slice(first, end + 1), slice(baseline_first, baseline_first + WINDOW),
                       slice(0, 0))  # fmt: skip
    if first >= baseline_first:  # the rolling months run on past the baseline
        return Windows(slice(high, end + 1), slice(baseline_first, low), slice(low, high))
    return Windows(slice(first, low), slice(high, baseline_first + WINDOW), slice(low, high))


def dispersion(values: Array, variances: Array, end: int) -> tuple[Array, Array]:
    """Over-dispersion per series from the `DISPERSION_MONTHS` months before position `end`:
    (phi, number of residuals). `values` are the monthly figures, `variances` the model's
    variance of each (its count for Poisson counts, p(1 - p)/n for proportions, 1 for a figure
    with no model variance, where phi is then the residual variance itself). Months without
    data (NaN) drop the residuals that touch them; no residual gives phi NaN.

    A seasonal pattern that repeats exactly leaves no residual variation; a month 10 above its
    pattern gives residuals 10 and -10 (variances 54 and 52) and leaves the third at 0 (40):

    >>> x = np.array([[10.0, 12, 9, 11, 10, 12, 9, 11, 10, 12, 9, 11, 10, 12, 9, 11]])
    >>> phi, n = dispersion(x, x, 16)
    >>> n.tolist(), float(phi[0])
    ([3], 0.0)
    >>> x[0, 13] += 10
    >>> round(float(dispersion(x, x, 16)[0][0]), 4) == round(200 / (54 + 52 + 40), 4)
    True
    """
    first = max(0, end - DISPERSION_MONTHS)
    x, v = values[:, first:end], variances[:, first:end]
    e = x[:, 13:] - x[:, 1:-12] - x[:, 12:-1] + x[:, :-13]
    var = v[:, 13:] + v[:, 1:-12] + v[:, 12:-1] + v[:, :-13]
    ok = np.isfinite(e) & np.isfinite(var)
    squares = np.where(ok, e * e, 0.0).sum(axis=1)
    total = np.where(ok, var, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        phi = np.where(total > 0, squares / np.where(total > 0, total, 1.0), np.nan)
    return phi, ok.sum(axis=1)


@dataclass(frozen=True)
class Comparison:
    """One test per series: the difference, its standard error, and what follows from them."""

    difference: Array
    se: Array
    statistic: Array
    p_value: Array
    low: Array
    high: Array
    """Interval for the difference: difference +/- critical value x se (the test inverted)."""
    phi: Array
    residuals: Array
    df: Array
    """Degrees of freedom of the t reference distribution; inf where the normal is used."""


def _conclude(
    difference: Array, se: Array, phi: Array, residuals: Array, df: Array, confidence: float
) -> Comparison:
    """p-value and interval from the same statistic and reference distribution, so that
    p < 1 - confidence exactly when the interval excludes 0."""
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(se > 0, difference / np.where(se > 0, se, 1.0), 0.0)
    normal = ~np.isfinite(df)
    safe_df = np.where(normal, 1.0, np.maximum(df, 1e-9))
    p = np.where(
        normal, special.erfc(np.abs(z) / np.sqrt(2)), 2 * special.stdtr(safe_df, -np.abs(z))
    )
    q = 0.5 + confidence / 2
    distinct, where = np.unique(np.where(normal, np.inf, safe_df), return_inverse=True)
    critical = np.array([_critical(float(d), q) for d in distinct])[where.reshape(df.shape)]
    return Comparison(
        difference, se, z, np.where(se > 0, p, 1.0), difference - critical * se,
        difference + critical * se, phi, residuals, df,
    )  # fmt: skip


@lru_cache(maxsize=1024)
def _critical(df: float, q: float) -> float:
    """The `q` quantile of a t distribution with `df` degrees of freedom (the normal at inf);
    few distinct ones occur, and the t quantile is found by iteration, so each is kept."""
    return float(special.ndtri(q) if math.isinf(df) else special.stdtrit(df, q))


def _floored(phi_raw: Array) -> Array:
    """phi never below 1 (the model's own variance); 1 where there is nothing to estimate it."""
    return np.where(phi_raw > 1, phi_raw, 1.0)


def _reference_df(phi_raw: Array, residuals: Array) -> Array:
    """The normal where the Poisson or binomial variance stands (phi floored at 1: the
    variance is the model's, known); a t with the residuals' effective degrees of freedom where
    the estimated phi scales it."""
    return np.where(phi_raw > 1, residuals * DF_PER_RESIDUAL, np.inf)


def count_test(counts: Array, end: int, baseline_first: int, confidence: float) -> Comparison:
    """Counts (or harm days, or a rate per a fixed population's counts): X1 - X0 = A - B with
    variance phi (A + B), the quasi-Poisson variance of the non-shared months estimated under
    no change (McCullagh & Nelder 1989; Wheeler's Poisson z for two counts)."""
    w = split_windows(end, baseline_first)
    a = counts[:, w.current_only].sum(axis=1)
    b = counts[:, w.baseline_only].sum(axis=1)
    phi_raw, residuals = dispersion(counts, counts, end)
    phi = _floored(phi_raw)
    se = np.sqrt(phi * (a + b))
    return _conclude(a - b, se, phi, residuals, _reference_df(phi_raw, residuals), confidence)


def proportion_test(
    successes: Array, cases: Array, end: int, baseline_first: int, confidence: float
) -> Comparison:
    """p1 - p0 for two 12-month proportions that share months. With S, Ns the shared months'
    successes and cases, a, na and b, nb the non-shared months' and N1 = Ns + na, N0 = Ns + nb:
    p1 - p0 = (S + a)/N1 - (S + b)/N0, linear in independent binomial counts given the cases,
    so under no change (common p)
    Var = p(1 - p) [Ns (1/N1 - 1/N0)^2 + na/N1^2 + nb/N0^2], p pooled over both windows.
    With no shared months this is the pooled two-proportion z test; with equal cases the
    shared term vanishes. Scaled by phi from the monthly proportions' residuals."""
    x = np.minimum(successes, cases)  # period outcome rates can pass 100%; binomial needs p <= 1
    w = split_windows(end, baseline_first)
    s, ns = x[:, w.shared].sum(axis=1), cases[:, w.shared].sum(axis=1)
    a, na = x[:, w.current_only].sum(axis=1), cases[:, w.current_only].sum(axis=1)
    b, nb = x[:, w.baseline_only].sum(axis=1), cases[:, w.baseline_only].sum(axis=1)
    n1, n0 = ns + na, ns + nb
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = (s + a + b) / (ns + na + nb)
        shape = ns * (1 / n1 - 1 / n0) ** 2 + na / n1**2 + nb / n0**2
        difference = (s + a) / n1 - (s + b) / n0
        first = max(0, end - DISPERSION_MONTHS)
        held = np.isfinite(x[:, first:end]) & np.isfinite(cases[:, first:end])
        p_bar = np.where(held, x[:, first:end], 0).sum(axis=1) / np.where(
            held, cases[:, first:end], 0
        ).sum(axis=1)
        monthly = x / cases
        unit = (p_bar * (1 - p_bar))[:, None] / cases
    phi_raw, residuals = dispersion(monthly, unit, end)
    phi = _floored(phi_raw)
    se = np.sqrt(np.maximum(phi * pooled * (1 - pooled) * shape, 0.0))
    return _conclude(difference, se, phi, residuals, _reference_df(phi_raw, residuals), confidence)


def two_proportions(
    x1: float, n1: float, x0: float, n0: float, *, phi: float = 1.0, confidence: float
) -> Comparison:
    """Two independent proportions (two places over the same months): what `proportion_test`
    gives when no month is shared, p1 - p0 with Var = phi p(1 - p)(1/n1 + 1/n0), p pooled, phi
    given (over-dispersion estimated elsewhere, never below 1).

    >>> t = two_proportions(108, 360, 36, 360, confidence=0.95)
    >>> round(float(t.statistic[0]), 4)
    6.7082
    """
    a, b = min(x1, n1), min(x0, n0)
    pooled = (a + b) / (n1 + n0)
    se = math.sqrt(max(phi * pooled * (1 - pooled) * (1 / n1 + 1 / n0), 0.0))
    one = np.ones(1)
    return _conclude(np.array([a / n1 - b / n0]), np.array([se]), phi * one,
                     np.zeros(1), np.full(1, np.inf), confidence)  # fmt: skip


def median_test(medians: Array, end: int, baseline_first: int, confidence: float) -> Comparison:
    """Monthly medians, on the log scale (times are positive and vary in proportion to their
    level, so a seasonal or real change moves them by a factor): the mean log of the non-shared
    rolling months minus that of the same calendar months of the baseline year. Medians have no
    model variance, so the month-level variance sigma^2 = sum e_t^2 / (4 x residuals) is
    estimated outright (no floor) and the difference of two means of m months,
    Var = 2 sigma^2 / m, is referred to a t distribution. The difference and interval are
    returned as a percentage change of the monthly median, 100 (exp(d) - 1). A rank test on the
    non-shared months cannot reach 5% with fewer than four months each (smallest two-sided p of
    Mann-Whitney: 1, 0.33, 0.10 for one, two, three months each), so it is not used."""
    w = split_windows(end, baseline_first)
    m = w.months_not_shared
    with np.errstate(invalid="ignore", divide="ignore"):
        logs = np.log(np.where(medians > 0, medians, np.nan))
    a = logs[:, w.current_only].mean(axis=1) if m else np.zeros(len(logs))
    b = logs[:, w.baseline_only].mean(axis=1) if m else np.zeros(len(logs))
    sigma2, residuals = dispersion(logs, np.ones_like(logs), end)
    se = np.sqrt(np.nan_to_num(sigma2) * 2 / max(m, 1))
    df = np.where(residuals > 0, residuals * DF_PER_RESIDUAL, 0.0)
    t = _conclude(a - b, se, np.nan_to_num(sigma2, nan=0.0), residuals, df, confidence)
    return Comparison(
        _pct(t.difference), t.se, t.statistic, t.p_value, _pct(t.low), _pct(t.high),
        t.phi, t.residuals, t.df,
    )  # fmt: skip


def _pct(log_ratio: Array) -> Array:
    """A difference of logs as a percentage change."""
    return np.asarray(100 * np.expm1(log_ratio), dtype=float)


def benjamini_hochberg(p: Array) -> Array:
    """Benjamini-Hochberg (1995) adjusted p-values (step-up, monotone, capped at 1); NaN kept.

    >>> benjamini_hochberg(np.array([0.01, 0.04, 0.03, np.nan])).round(4).tolist()
    [0.03, 0.04, 0.04, nan]
    """
    out = np.full(p.shape, np.nan)
    held = np.flatnonzero(np.isfinite(p))
    if not len(held):
        return out
    order = held[np.argsort(p[held], kind="stable")]
    k = len(order)
    scaled = p[order] * k / np.arange(1, k + 1)
    out[order] = np.minimum(1.0, np.minimum.accumulate(scaled[::-1])[::-1])
    return out
