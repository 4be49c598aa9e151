"""Who and where causes most harm: harm per offender, victim or place over a window, ranked, and
how concentrated it is ("the power few").

Harm of a person = the sum of the CHI weights of the crimes they are linked to in the window (an
offender linked to a crime carries its whole harm; several offenders of one crime each carry it).
Crimes with no linked person of the role are reported as unknown, not dropped. Ties share a rank
(competition ranking: 1, 2, 2, 4); the top k of a share is taken by harm, then id, so it is
reproducible, and the number of people tied at the boundary is reported.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

import ibis
import pandas as pd

from policeperf.calendar import add_months
from policeperf.engine.aggregate import with_harm
from policeperf.reference.harm_weights import HarmWeights

By = Literal["offender", "victim", "place"]
SHARES = (0.01, 0.05, 0.10, 0.20)


@dataclass(frozen=True)
class Window:
    """Crimes recorded from `start` to `end` inclusive."""

    start: date
    end: date

    @classmethod
    def months_to(cls, last_month: date, months: int) -> Window:
        """The `months` calendar months ending with `last_month`."""
        first = add_months(date(last_month.year, last_month.month, 1), -(months - 1))
        return cls(
            first, add_months(date(last_month.year, last_month.month, 1), 1) - timedelta(days=1)
        )

    @property
    def label(self) -> str:
        return f"{self.start:%d %B %Y} to {self.end:%d %B %Y}"


@dataclass
class Ranking:
    by: By
    window: Window
    weights: str
    table: pd.DataFrame
    """rank, key, harm, crimes, share_pct, cumulative_pct (all people/places with harm > 0)."""
    total_harm: float
    unknown_harm: float
    """Harm of crimes with no linked person of the role (or no place)."""
    concentration: list[dict[str, Any]] = field(default_factory=list)
    """Per share of people: people, harm share %, people tied at the boundary."""
    power_few_pct: float | None = None
    """The smallest % of people who account for half of the (known) harm."""


def crimes_in(backend: Any, force: str | None, window: Window, weights: HarmWeights) -> ibis.Table:
    """Crimes of the force (every force for None) recorded in the window, with their harm."""
    crimes = backend.table("crimes")
    if force is not None:
        crimes = crimes.filter(crimes.force == force)
    crimes = crimes.filter(
        (crimes.recorded_date >= window.start) & (crimes.recorded_date <= window.end)
    )
    return with_harm(crimes, weights).filter(lambda t: t.harm_weight.notnull())


def rank_expr(
    backend: Any,
    force: str | None,
    window: Window,
    weights: HarmWeights,
    by: By,
    place: str = "lsoa_code",
) -> tuple[ibis.Table, ibis.Table]:
    """(per key: harm and crimes, and the total harm), built in the backend."""
    crimes = crimes_in(backend, force, window, weights)
    total = crimes.aggregate(total=crimes.harm_weight.sum(), crimes=crimes.count())
    if by == "place":
        keyed = crimes.mutate(key=crimes[place].cast("string"))
    else:
        links = backend.table("person_links")
        links = links.filter(links.role == by).select(crime_id=links.crime_id, key=links.person_id)
        keyed = crimes.left_join(links, crimes.crime_id == links.crime_id)
    grouped = keyed.group_by("key").aggregate(harm=keyed.harm_weight.sum(), crimes=keyed.count())
    return grouped, total


def concentration(
    harm_sorted: pd.Series, shares: tuple[float, ...] = SHARES
) -> list[dict[str, Any]]:
    """For each share p: the top ceil(p x n) people and their % of harm.

    >>> concentration(pd.Series([50.0, 30.0, 10.0, 10.0]), (0.25, 0.5))[1]["harm_pct"]
    80.0
    """
    n = len(harm_sorted)
    total = float(harm_sorted.sum())
    out = []
    values = harm_sorted.to_numpy()
    for p in shares:
        k = max(1, math.ceil(p * n)) if n else 0
        top = float(values[:k].sum()) if k else 0.0
        boundary = values[k - 1] if k else None
        tied = int((values == boundary).sum()) if k else 0
        out.append({"share_of_people_pct": 100 * p, "people": k, "harm_pct": 100 * top / total if total else 0.0,
                    "tied_at_boundary": tied})  # fmt: skip
    return out


def power_few(harm_sorted: pd.Series) -> float | None:
    """The smallest % of people accounting for at least half of the harm."""
    total = float(harm_sorted.sum())
    if not total:
        return None
    cumulative = harm_sorted.cumsum().to_numpy()
    k = int((cumulative < total / 2).sum()) + 1
    return 100 * k / len(harm_sorted)


def rank(
    backend: Any,
    force: str | None,
    window: Window,
    weights: HarmWeights,
    by: By,
    *,
    place: str = "lsoa_code",
    salt: str | None = None,
) -> Ranking:
    grouped, total = rank_expr(backend, force, window, weights, by, place)
    frame = grouped.to_pandas()
    totals = total.to_pandas().iloc[0]
    total_harm = float(totals["total"] or 0.0)
    unknown = frame[frame["key"].isna()]
    known = frame[frame["key"].notna() & (frame["harm"] > 0)].copy()
    known = known.sort_values(
        ["harm", "key"], ascending=[False, True], kind="mergesort"
    ).reset_index(drop=True)
    known["rank"] = known["harm"].rank(method="min", ascending=False).astype(int)
    known_total = float(known["harm"].sum())
    known["share_pct"] = 100 * known["harm"] / known_total if known_total else 0.0
    known["cumulative_pct"] = known["share_pct"].cumsum()
    if salt:
        known["key"] = known["key"].map(lambda k: pseudonymise(str(k), salt))
    return Ranking(
        by=by, window=window, weights=weights.label,
        table=known[["rank", "key", "harm", "crimes", "share_pct", "cumulative_pct"]],
        total_harm=total_harm, unknown_harm=float(unknown["harm"].sum()) if len(unknown) else 0.0,
        concentration=concentration(known["harm"]), power_few_pct=power_few(known["harm"]),
    )  # fmt: skip


def pseudonymise(key: str, salt: str) -> str:
    """A salted hash: stable for one salt, unlinkable without it."""
    return hashlib.sha256(f"{salt}:{key}".encode()).hexdigest()[:16]
