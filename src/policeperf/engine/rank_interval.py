"""Ranks of forces, shown only with their uncertainty.

A league table hides how little separates most places: Marshall & Spiegelhalter (1998)
"Reliability of league tables of in vitro fertilisation clinics", BMJ 316:1701-1705, and
Goldstein & Spiegelhalter (1996) "League tables and their limitations", JRSS A 159(3):385-443,
show rank intervals that span half the table. Each force's count is redrawn many times from the
distribution it was observed under (Poisson for crimes over a population, binomial for outcomes
over crimes), every redraw is ranked, and the 2.5th and 97.5th percentiles of a force's ranks are
its 95% rank interval. The generator is seeded, so the same data give the same intervals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

SIMULATIONS = 2000
"""Redraws per comparison: the interval ends move by less than one rank between seeds."""
SEED = 20050401
"""Default seed, so that an output can be reproduced exactly."""
LEVEL = 0.95


@dataclass(frozen=True)
class RankInterval:
    """A force's rank (1 = lowest value) among `of` forces and its interval."""

    rank: int
    low: int
    high: int
    of: int

    def label(self) -> str:
        return f"{self.rank} of {self.of} (95% interval {self.low}-{self.high})"


def rank_intervals(
    numerators: Sequence[float],
    denominators: Sequence[float],
    *,
    kind: Literal["rate", "proportion"],
    simulations: int = SIMULATIONS,
    seed: int = SEED,
    level: float = LEVEL,
) -> list[RankInterval]:
    """Observed rank and simulated interval of each unit, ranks ascending (1 = lowest value).

    Ties take the lowest rank they span (`min`), in the observed and in every redraw.

    >>> [r.label() for r in rank_intervals([10, 1000], [100, 100], kind="rate")]
    ['1 of 2 (95% interval 1-1)', '2 of 2 (95% interval 2-2)']
    """
    # Imported here: scipy.stats takes most of a second to load, and every board report imports
    # this module whether or not it compares forces.
    from scipy.stats import rankdata

    counts = np.maximum(np.asarray(numerators, dtype=float), 0)
    sizes = np.asarray(denominators, dtype=float)
    n = len(counts)
    if n == 0:
        return []
    observed = rankdata(counts / sizes, method="min")
    rng = np.random.default_rng(seed)
    if kind == "rate":
        drawn = rng.poisson(counts, size=(simulations, n))
    else:
        whole = np.round(sizes).astype(np.int64)
        drawn = rng.binomial(whole, np.clip(counts / sizes, 0, 1), size=(simulations, n))
    ranks = rankdata(drawn / sizes, method="min", axis=1)
    tail = (1 - level) / 2
    low = np.quantile(ranks, tail, axis=0, method="inverted_cdf")
    high = np.quantile(ranks, 1 - tail, axis=0, method="inverted_cdf")
    return [
        RankInterval(int(r), int(lo), int(hi), n)
        for r, lo, hi in zip(observed, low, high, strict=True)
    ]


def method(simulations: int = SIMULATIONS, seed: int = SEED) -> str:
    """The method as outputs name it."""
    return (
        f"rank 1 = lowest; 95% interval from {simulations:,} redraws of each force's count "
        f"(Poisson for rates, binomial for proportions; seed {seed}), Marshall & "
        "Spiegelhalter 1998"
    )
