"""Reading the national tables into per-force figures, with absence kept as absence.

A force is *held* for a measure and financial year only when coverage shows all twelve months of
that year for the measure's table; a force with some months, or none, is absent with its reason,
and is left out of every national total, peer average and rank rather than counted as zero.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from policeperf.calendar import add_months, month_range
from policeperf.reference import outcome_sets
from policeperf.reference.national_forces import ForceRef
from policeperf.store import Store

Kind = Literal["rate", "proportion"]
PER = 1000.0
"""Rates are per 1,000 population, as the Home Office and ONS publish them."""


@dataclass(frozen=True)
class NationalMeasure:
    """A figure every force has in the national tables."""

    id: str
    label: str
    kind: Kind
    table: str
    """National table the numerator comes from (its coverage decides absence)."""
    offence_group: str | None = None
    """Rates: the PRC offence group counted; None for all offence groups."""
    outcome_set: str | None = None
    """Proportions: the outcome set (reference `outcome_sets.yaml`) over all offences."""
    crime_type: str | None = None
    """Street counts: the data.police.uk category counted; None for every crime (ASB apart)."""

    @property
    def unit(self) -> str:
        if self.table == STREET:
            return "per 1,000 population over the months"
        return "per 1,000 population" if self.kind == "rate" else "% of offences recorded"

    @property
    def feature(self) -> bool:
        """One part of the crime mix (a group or category), used to find similar forces."""
        return self.kind == "rate" and (
            self.offence_group is not None
            or (self.crime_type is not None and self.crime_type != ASB)
        )


OFFENCE_GROUPS = (
    "Violence against the person",
    "Sexual offences",
    "Robbery",
    "Theft offences",
    "Criminal damage and arson",
    "Drug offences",
    "Possession of weapons offences",
    "Public order offences",
    "Miscellaneous crimes",
)
"""The PRC offence groups of the territorial forces (fraud is recorded nationally)."""

STREET = "national_street_counts"
ASB = "Anti-social behaviour"
STREET_CATEGORIES = (
    "Bicycle theft", "Burglary", "Criminal damage and arson", "Drugs", "Other crime",
    "Other theft", "Possession of weapons", "Public order", "Robbery", "Shoplifting",
    "Theft from the person", "Vehicle crime", "Violence and sexual offences",
)  # fmt: skip
"""The 13 data.police.uk crime categories (anti-social behaviour is counted apart)."""

MEASURES: tuple[NationalMeasure, ...] = (
    NationalMeasure("recorded_crime", "Recorded crime (excluding fraud)", "rate", "national_crime"),
    *(
        NationalMeasure(
            "recorded_" + g.lower().replace(" ", "_"), g, "rate", "national_crime", offence_group=g
        )
        for g in OFFENCE_GROUPS
    ),
    NationalMeasure(
        "charge_summons_rate",
        "Charge/summons outcome rate",
        "proportion",
        "national_outcomes",
        outcome_set="charge",
    ),
    NationalMeasure(
        "positive_outcome_rate",
        "Positive outcome rate",
        "proportion",
        "national_outcomes",
        outcome_set="positive",
    ),
)

STREET_MEASURES: tuple[NationalMeasure, ...] = (
    NationalMeasure("street_crime", "Street-level crime (police.uk)", "rate", STREET),
    *(
        NationalMeasure("street_" + c.lower().replace(" ", "_"), c, "rate", STREET, crime_type=c)
        for c in STREET_CATEGORIES
    ),
    NationalMeasure(
        "street_asb", "Anti-social behaviour (police.uk)", "rate", STREET, crime_type=ASB
    ),
)
"""Measures of data.police.uk street counts over a span of months (`--months`)."""


@dataclass(frozen=True)
class Figure:
    """One force's counts for one measure and year."""

    numerator: float
    denominator: float

    def value(self, kind: Kind) -> float:
        return self.numerator / self.denominator * (PER if kind == "rate" else 100.0)


@dataclass(frozen=True)
class MeasureFigures:
    """Every force's figure for one measure and year, and why the others have none."""

    measure: NationalMeasure
    year: str
    held: dict[str, Figure]
    """Force code -> figure, for forces held in full."""
    absent: dict[str, str]
    """Force code -> reason it has no figure."""
    basis: str
    """The sources and years the figures come from."""


FINANCIAL_YEAR = re.compile(r"(\d{4})/(\d{2})")
MONTH_SPAN = re.compile(r"(\d{4})-(\d{2})\.\.(\d{4})-(\d{2})")


def period_months(period: str) -> list[date]:
    """The months of a financial year ('2019/20': April 2019 to March 2020) or of a span of
    months ('2022-01..2022-11').

    >>> [f"{m:%Y-%m}" for m in period_months("2022-01..2022-03")]
    ['2022-01', '2022-02', '2022-03']
    """
    fy = FINANCIAL_YEAR.fullmatch(period)
    if fy:
        start = date(int(fy.group(1)), 4, 1)
        return [add_months(start, i) for i in range(12)]
    span = MONTH_SPAN.fullmatch(period)
    if span is None:
        raise ValueError(f"got {period!r}; expected 2019/20 or 2022-01..2022-11")
    first = date(int(span.group(1)), int(span.group(2)), 1)
    last = date(int(span.group(3)), int(span.group(4)), 1)
    return month_range(first, last)


def _tables(store: Store) -> set[str]:
    rows = store.fetchall("SELECT table_name FROM information_schema.tables")
    return {str(r[0]) for r in rows}


def _covered(store: Store, table: str, year: str) -> dict[str, int]:
    """Force name -> months of `year` covered for `table`."""
    months = period_months(year)
    rows = store.fetchall(
        "SELECT force, count(DISTINCT month) FROM coverage WHERE table_name = ? "
        "AND month BETWEEN ? AND ? GROUP BY force",
        [table, months[0], months[-1]],
    )
    return {str(f): int(n) for f, n in rows}


def held_text(store: Store, table: str) -> str:
    """What `table` holds, for a reason: its financial years, or its first and last month."""
    if table not in _tables(store):
        return "none"
    if table == STREET:
        first, last = store.fetchall(f"SELECT min(period_start), max(period_end) FROM {table}")[0]
        return f"months held: {first:%Y-%m}..{last:%Y-%m}" if first else "months held: none"
    years = store.fetchall(f"SELECT DISTINCT financial_year FROM {table} ORDER BY 1")
    return "years held: " + (", ".join(str(r[0]) for r in years) or "none")


def population(store: Store, year: str) -> tuple[dict[str, float], str]:
    """Force code -> population from the estimate nearest the middle of `year`, and its label."""
    if "national_population" not in _tables(store):
        return {}, "no population held"
    held = [int(r[0]) for r in store.fetchall("SELECT DISTINCT year FROM national_population")]
    if not held:
        return {}, "no population held"
    target = int(year[:4])
    chosen = min(held, key=lambda y: (abs(y - target), -y))
    rows = store.fetchall(
        "SELECT force_code, max(population) FROM national_population WHERE year = ? GROUP BY 1",
        [chosen],
    )
    note = f"ONS mid-{chosen} population" + (
        "" if chosen == target else f" (nearest held to {year})"
    )
    return {str(c): float(p) for c, p in rows}, note


def measure_figures(
    store: Store, measure: NationalMeasure, year: str, forces: Sequence[ForceRef]
) -> MeasureFigures:
    """Each force's numerator and denominator for `measure` in financial year `year`."""
    absent: dict[str, str] = {}
    tables = _tables(store)
    if measure.table not in tables:
        reason = f"no {measure.table} held; run 'policeperf national ingest'"
        return MeasureFigures(measure, year, {}, {f.code: reason for f in forces}, "")
    held_years = held_text(store, measure.table)
    need = len(period_months(year))
    covered = _covered(store, measure.table, year)
    numerators = _numerators(store, measure, year)
    if measure.table == STREET:
        denominators, basis = population(store, year)
        basis = f"data.police.uk street counts {year} (rows with a Crime ID, ASB all rows); {basis}"
    elif measure.kind == "rate":
        denominators, basis = population(store, year)
        basis = f"Home Office PRC PFA table {year}; {basis}"
    else:
        denominators = _offences(store, year)
        basis = f"Home Office crime outcomes open data {year}"
    held: dict[str, Figure] = {}
    for force in forces:
        months = covered.get(force.name, 0)
        if months == 0:
            absent[force.code] = (
                f"{force.short_name} absent from {measure.table} for {year} ({held_years})"
            )
        elif months < need:
            absent[force.code] = (
                f"{force.short_name} has {months} of {need} months of {year} in {measure.table}"
            )
        elif force.code not in denominators or denominators[force.code] <= 0:
            what = "population" if measure.kind == "rate" else "offences recorded"
            absent[force.code] = f"no {what} held for {force.short_name}"
        else:
            held[force.code] = Figure(numerators.get(force.code, 0.0), denominators[force.code])
    return MeasureFigures(measure, year, held, absent, basis)


def _numerators(store: Store, measure: NationalMeasure, year: str) -> dict[str, float]:
    """Force code -> count; a force held with no row for a group has recorded none (covered)."""
    if measure.table == STREET:
        months = period_months(year)
        kind = "crime_type <> ?" if measure.crime_type is None else "crime_type = ?"
        rows = store.fetchall(
            f"SELECT force_code, sum(crimes) FROM {STREET} WHERE period_start BETWEEN ? AND ? "
            f"AND {kind} GROUP BY 1",
            [months[0], months[-1], measure.crime_type or ASB],
        )
    elif measure.kind == "rate":
        where = "" if measure.offence_group is None else " AND offence_group = ?"
        params: list[object] = (
            [year] if measure.offence_group is None else [year, measure.offence_group]
        )
        rows = store.fetchall(
            f"SELECT force_code, sum(offences) FROM national_crime WHERE financial_year = ?{where} GROUP BY 1",
            params,
        )
    else:
        types = sorted(outcome_sets()[measure.outcome_set or "positive"].types)
        rows = store.fetchall(
            "SELECT force_code, sum(offences) FROM national_outcomes WHERE financial_year = ? "
            "AND list_contains(?, outcome_type) GROUP BY 1",
            [year, types],
        )
    return {str(c): float(n) for c, n in rows}


def _offences(store: Store, year: str) -> dict[str, float]:
    """Offences recorded per force: the outcomes table's counts over every outcome type, 0
    (none yet) included, equal the PRC table's offences."""
    rows = store.fetchall(
        "SELECT force_code, sum(offences) FROM national_outcomes WHERE financial_year = ? GROUP BY 1",
        [year],
    )
    return {str(c): float(n) for c, n in rows}
