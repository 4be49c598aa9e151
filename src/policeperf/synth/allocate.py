"""Whole numbers that add up exactly and round to the published figure."""

from __future__ import annotations

import numpy as np


def count_for_rate(rate_pct: float, n: int) -> int:
    """The whole count k nearest rate x n with round(100 k / n, 1) == rate.

    >>> count_for_rate(11.5, 12196)
    1403
    """
    guess = round(rate_pct * n / 100)
    for k in sorted(range(max(0, guess - 3), guess + 4), key=lambda k: abs(k - rate_pct * n / 100)):
        if abs(100 * k / n - rate_pct) < 0.05 - 1e-9:
            return k
    raise ValueError(f"no whole count of {n} gives {rate_pct}%")


def largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    """Split `total` into whole parts proportional to `weights` that sum exactly to `total`."""
    w = np.asarray(weights, dtype=float)
    if total == 0 or w.sum() == 0:
        return np.zeros(len(w), dtype=np.int64)
    raw = total * w / w.sum()
    parts = np.floor(raw).astype(np.int64)
    short = total - int(parts.sum())
    order = np.argsort(-(raw - parts), kind="stable")
    parts[order[:short]] += 1
    return parts


def pin_change(base_guess: int, change_pct: float, spread: int = 40) -> tuple[int, int]:
    """A base count near `base_guess` and a new count whose change rounds to `change_pct`
    (one decimal): (base, new)."""
    for delta in sorted(range(-spread, spread + 1), key=abs):
        base = base_guess + delta
        if base <= 0:
            continue
        new = round(base * (1 + change_pct / 100))
        if (
            round(100 * (new / base - 1), 1) == change_pct
            and abs(100 * (new / base - 1) - change_pct) < 0.05 - 1e-9
        ):
            return base, new
    raise ValueError(f"no base near {base_guess} gives {change_pct}%")


def count_near_rate(rate_pct: float, n: int) -> int:
    """`count_for_rate` where one exists, else the nearest whole count (for unpublished years)."""
    try:
        return count_for_rate(rate_pct, n)
    except ValueError:
        return round(rate_pct * n / 100)
