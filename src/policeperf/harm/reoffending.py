"""Proven reoffending, the Ministry of Justice way (METHODS.md §2.5).

Cohort: offenders with a qualifying disposal in a 3-month period (here: charge/summons as the
conviction proxy, or a caution: Home Office outcome types 1, 2, 3). Index date: each offender's
first qualifying disposal in the period. A proven reoffence is an offence committed after the
index date and within a 12-month follow-up (the last day counts), proven by a qualifying
disposal within the follow-up or a further 6-month waiting period (a day later does not count).
Binary rate: reoffenders / offenders; frequency: reoffences per offender and per reoffender.
A cohort is refused until its follow-up and waiting period have elapsed in the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd

from policeperf.calendar import add_months
from policeperf.errors import PolicePerfError

QUALIFYING = (1, 2, 3)
FOLLOW_UP_MONTHS = 12
WAITING_MONTHS = 6


@dataclass(frozen=True)
class Cohort:
    label: str
    start: date
    end: date

    @classmethod
    def parse(cls, text: str) -> Cohort:
        """'2019Q1' is January to March 2019 (calendar quarters, as MoJ publishes)."""
        try:
            year, quarter = int(text[:4]), int(text.upper().split("Q")[1])
            if len(text) != 6 or not 1 <= quarter <= 4:
                raise ValueError
        except (ValueError, IndexError):
            raise PolicePerfError(
                f"--cohort: got {text!r}; expected a quarter such as 2019Q1"
            ) from None
        start = date(year, 3 * quarter - 2, 1)
        return cls(text.upper(), start, add_months(start, 3) - timedelta(days=1))


def follow_up_end(index: date) -> date:
    """The last day of the 12-month follow-up from the index date (inclusive)."""
    return _months_after(index, FOLLOW_UP_MONTHS) - timedelta(days=1)


def waiting_end(index: date) -> date:
    """The last day a reoffence may be proven: 6 months after the follow-up ends."""
    return _months_after(follow_up_end(index) + timedelta(days=1), WAITING_MONTHS) - timedelta(
        days=1
    )


def _months_after(day: date, months: int) -> date:
    first = add_months(date(day.year, day.month, 1), months)
    last = (add_months(first, 1) - timedelta(days=1)).day
    return date(first.year, first.month, min(day.day, last))


def first_measurable(cohort: Cohort) -> date:
    """The first date by which every member's follow-up and waiting period has elapsed."""
    return waiting_end(cohort.end) + timedelta(days=1)


@dataclass
class Reoffending:
    cohort: Cohort
    offenders: int
    reoffenders: int
    reoffences: int

    @property
    def binary_rate_pct(self) -> float | None:
        return 100 * self.reoffenders / self.offenders if self.offenders else None

    @property
    def per_offender(self) -> float | None:
        return self.reoffences / self.offenders if self.offenders else None

    @property
    def per_reoffender(self) -> float | None:
        return self.reoffences / self.reoffenders if self.reoffenders else None

    @property
    def why_no_rate(self) -> str | None:
        """Why the binary rate and reoffences per offender are not available (None: they are)."""
        if self.offenders:
            return None
        return (
            f"no offender had a qualifying disposal (charge/summons or caution) from "
            f"{self.cohort.start:%d %B %Y} to {self.cohort.end:%d %B %Y}"
        )

    @property
    def why_no_frequency(self) -> str | None:
        """Why reoffences per reoffender is not available (None: it is)."""
        if self.reoffenders:
            return None
        return self.why_no_rate or "no offender of the cohort reoffended"

    def as_dict(self) -> dict[str, Any]:
        """Undefined rates are null with a reason (`*_not_available`), never 0."""
        return {"cohort": self.cohort.label, "period": f"{self.cohort.start} to {self.cohort.end}",
                "offenders": self.offenders, "reoffenders": self.reoffenders, "reoffences": self.reoffences,
                "binary_rate_pct": self.binary_rate_pct, "reoffences_per_offender": self.per_offender,
                "reoffences_per_reoffender": self.per_reoffender,
                "binary_rate_not_available": self.why_no_rate,
                "per_offender_not_available": self.why_no_rate,
                "per_reoffender_not_available": self.why_no_frequency}  # fmt: skip


def disposals(backend: Any, force: str) -> pd.DataFrame:
    """Per offender and crime: offence date and first qualifying disposal date."""
    outcomes = backend.table("outcomes")
    outcomes = outcomes.filter(
        (outcomes.force == force) & outcomes.outcome_type.isin(list(QUALIFYING))
    )
    proven = outcomes.group_by("crime_id").aggregate(disposed=outcomes.outcome_date.min())
    crimes = backend.table("crimes")
    crimes = crimes.filter(crimes.force == force).select("crime_id", "recorded_date")
    links = backend.table("person_links")
    links = links.filter(links.role == "offender").select("crime_id", "person_id")
    joined = links.join(crimes, "crime_id").left_join(proven, links.crime_id == proven.crime_id)
    frame = joined.select(person_id=joined.person_id, crime_id=joined.crime_id, offence=joined.recorded_date,
                          disposed=joined.disposed).to_pandas()  # fmt: skip
    for column in ("offence", "disposed"):
        frame[column] = pd.to_datetime(frame[column]).dt.date
    return frame


def measure(frame: pd.DataFrame, cohort: Cohort, data_end: date) -> Reoffending:
    """The measure on a frame of (person_id, crime_id, offence, disposed) rows."""
    ready = first_measurable(cohort)
    if ready > data_end + timedelta(days=1):
        raise PolicePerfError(
            f"cohort {cohort.label} cannot be measured yet: its follow-up (12 months) and waiting "
            f"period (6 months) end {ready - timedelta(days=1):%d %B %Y}, so the first date it can be "
            f"measured is {ready:%d %B %Y}; the data ends {data_end:%d %B %Y}"
        )
    disposed = frame[frame["disposed"].notna()]
    in_period = disposed[
        (disposed["disposed"] >= cohort.start) & (disposed["disposed"] <= cohort.end)
    ]
    index = in_period.groupby("person_id")["disposed"].min()
    reoffences = 0
    reoffenders = 0
    by_person = {
        k: g for k, g in disposed[disposed["person_id"].isin(index.index)].groupby("person_id")
    }
    for person, day in index.items():
        mine = by_person[person]
        proven = mine[
            (mine["offence"] > day)
            & (mine["offence"] <= follow_up_end(day))
            & (mine["disposed"] <= waiting_end(day))
        ]
        count = int(proven["crime_id"].nunique())
        reoffences += count
        reoffenders += count > 0
    return Reoffending(cohort, len(index), int(reoffenders), int(reoffences))
