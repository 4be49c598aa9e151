"""Managed cohorts (Integrated Offender Management): harm and offences before and after each
person's adoption, over equal windows, with a comparison group.

A before/after comparison cannot tell a programme's effect from regression to the mean: people
are adopted because their recent harm was unusually high, so it tends to fall anyway. The
comparison group (as many people as the cohort, ranked next below the cohort's lowest-ranked
member on harm in the same pre-adoption window, who were not adopted) shows how much harm fell
without the programme.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from policeperf.calendar import add_months
from policeperf.errors import PolicePerfError
from policeperf.harm.rank import Window, crimes_in
from policeperf.reference.harm_weights import HarmWeights

REGRESSION_NOTE = (
    "A before/after comparison cannot show what would have happened without adoption: people "
    "are adopted when their harm is unusually high, and such harm tends to fall anyway "
    "(regression to the mean). Compare the cohort's change with the comparison group's."
)


@dataclass
class CohortResult:
    months: int
    people: pd.DataFrame
    """person_id, adopted, before_harm, after_harm, before_offences, after_offences, change_pct"""
    totals: dict[str, float | None]
    """people, before/after harm and offences; harm_change_pct None when there was no harm before."""
    comparison: dict[str, Any] | None
    excluded: list[tuple[str, str]] = field(default_factory=list)
    """(person_id, why) for people whose after-window is not complete in the data."""
    note: str = REGRESSION_NOTE


def read_people(path: Path, adopted: date | None = None) -> list[tuple[str, date]]:
    """CSV with person_id and adopted (YYYY-MM-DD), or person_id only when one `adopted` date is
    given for everyone; one clear error per bad line."""
    needed = {"person_id"} if adopted is not None else {"person_id", "adopted"}
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise PolicePerfError(f"{path}: {exc.strerror or 'cannot be read'}") from None
    with handle:
        try:
            return _people(csv.DictReader(handle), path, needed, adopted)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise PolicePerfError(f"{path}: not a UTF-8 CSV file ({exc})") from None


def _people(
    reader: csv.DictReader[str], path: Path, needed: set[str], adopted: date | None
) -> list[tuple[str, date]]:
    if not needed <= set(reader.fieldnames or []):
        raise PolicePerfError(f"{path}: expected a header with {' and '.join(sorted(needed))}")
    out = []
    for line, row in enumerate(reader, start=2):
        person = (row.get("person_id") or "").strip()
        if not person:
            raise PolicePerfError(f"{path}:{line} person_id: missing; expected an identifier")
        if adopted is not None:
            out.append((person, adopted))
            continue
        try:
            out.append((person, date.fromisoformat((row.get("adopted") or "").strip())))
        except ValueError:
            raise PolicePerfError(
                f"{path}:{line} adopted: got {row.get('adopted')!r}; expected a date YYYY-MM-DD"
            ) from None
    return out


def _windows(adopted: date, months: int) -> tuple[Window, Window]:
    before = Window(
        add_months(adopted, -months) if adopted.day == 1 else _shift(adopted, -months),
        adopted - timedelta(days=1),
    )
    after = Window(
        adopted,
        (add_months(adopted, months) if adopted.day == 1 else _shift(adopted, months))
        - timedelta(days=1),
    )
    return before, after


def _shift(day: date, months: int) -> date:
    first = add_months(date(day.year, day.month, 1), months)
    last = (add_months(first, 1) - timedelta(days=1)).day
    return date(first.year, first.month, min(day.day, last))


def person_harm(
    backend: Any, force: str, weights: HarmWeights, start: date, end: date
) -> pd.DataFrame:
    """Per offender: crimes dated start..end with their harm (a table of rows, small enough)."""
    crimes = crimes_in(backend, force, Window(start, end), weights)
    links = backend.table("person_links")
    links = links.filter(links.role == "offender")
    joined = crimes.join(links, crimes.crime_id == links.crime_id)
    return joined.select(
        person_id=joined.person_id, day=joined.recorded_date, harm=joined.harm_weight
    ).to_pandas()


def measure_cohort(
    backend: Any, force: str, weights: HarmWeights, people: list[tuple[str, date]], months: int, data_end: date,
    *, comparison: bool = True,
) -> CohortResult:  # fmt: skip
    """Harm and offences before and after adoption for each person, equal windows of `months`."""
    if not people:
        raise PolicePerfError("the cohort file lists no people")
    earliest = min(_windows(a, months)[0].start for _, a in people)
    latest = max(_windows(a, months)[1].end for _, a in people)
    rows = person_harm(backend, force, weights, earliest, min(latest, data_end))
    rows["day"] = pd.to_datetime(rows["day"]).dt.date
    by_person = {k: g for k, g in rows.groupby("person_id")}
    records, excluded = [], []
    for person, adopted in people:
        before, after = _windows(adopted, months)
        if after.end > data_end:
            excluded.append(
                (
                    person,
                    f"after-window ends {after.end:%Y-%m-%d}, after the data ({data_end:%Y-%m-%d})",
                )
            )
            continue
        mine = by_person.get(person, rows.iloc[0:0])
        b = mine[(mine["day"] >= before.start) & (mine["day"] <= before.end)]
        a = mine[(mine["day"] >= after.start) & (mine["day"] <= after.end)]
        records.append({"person_id": person, "adopted": adopted, "before_harm": float(b["harm"].sum()),
                        "after_harm": float(a["harm"].sum()), "before_offences": len(b), "after_offences": len(a)})  # fmt: skip
    table = pd.DataFrame(
        records,
        columns=[
            "person_id",
            "adopted",
            "before_harm",
            "after_harm",
            "before_offences",
            "after_offences",
        ],
    )
    table["change_pct"] = [
        100 * (x / y - 1) if y else None
        for x, y in zip(table["after_harm"], table["before_harm"], strict=True)
    ]
    totals = _totals(table)
    compare = (
        _comparison(backend, force, weights, people, months, data_end, table)
        if comparison and len(table)
        else None
    )
    return CohortResult(months, table, totals, compare, excluded)


def _totals(table: pd.DataFrame) -> dict[str, float | None]:
    before, after = float(table["before_harm"].sum()), float(table["after_harm"].sum())
    return {
        "people": float(len(table)), "before_harm": before, "after_harm": after,
        "before_offences": float(table["before_offences"].sum()), "after_offences": float(table["after_offences"].sum()),
        "harm_change_pct": 100 * (after / before - 1) if before else None,
    }  # fmt: skip


def _comparison(
    backend: Any,
    force: str,
    weights: HarmWeights,
    people: list[tuple[str, date]],
    months: int,
    data_end: date,
    cohort: pd.DataFrame,
) -> dict[str, Any]:
    """The people ranked just below the cohort on harm in the pre-window of the median adoption
    date, not adopted, measured over the same before/after windows (see `comparison_group`)."""
    adopted = sorted(a for _, a in people)[len(people) // 2]
    before, after = _windows(adopted, months)
    if after.end > data_end:
        return {}
    rows = person_harm(backend, force, weights, before.start, after.end)
    rows["day"] = pd.to_datetime(rows["day"]).dt.date
    pre = rows[rows["day"] <= before.end].groupby("person_id")["harm"].sum()
    group = comparison_group(pre, {p for p, _ in people}, len(cohort))
    chosen = rows[rows["person_id"].isin(group.people)]
    b = chosen[chosen["day"] <= before.end]
    a = chosen[chosen["day"] >= after.start]
    b_h, a_h = float(b["harm"].sum()), float(a["harm"].sum())
    return {"people": float(len(group.people)), "wanted": float(len(cohort)), "before_harm": b_h, "after_harm": a_h,
            "harm_change_pct": 100 * (a_h / b_h - 1) if b_h else None, "as_if_adopted": adopted.isoformat(),
            "ranked_on": before.label, "lowest_member_rank": group.lowest_member_rank,
            "first_rank": group.first_rank, "last_rank": group.last_rank, "why_none": group.why_none}  # fmt: skip


@dataclass(frozen=True)
class ComparisonGroup:
    people: list[str]
    lowest_member_rank: int | None
    """Rank of the cohort's lowest-ranked member on the pre-adoption ranking (1 = most harm)."""
    first_rank: int | None
    last_rank: int | None
    why_none: str | None = None


def comparison_group(pre_harm: pd.Series, members: set[str], size: int) -> ComparisonGroup:
    """Matched comparison group: the `size` people ranked next below the cohort's lowest-ranked
    member, excluding members, on harm before adoption (`pre_harm`: person -> days; people with
    none are not ranked). Ranked by harm, then id, so the choice is reproducible. Taking the top
    non-members instead would compare the cohort with people more harmful than some of it."""
    ranked = pre_harm[pre_harm > 0].reset_index()
    ranked.columns = pd.Index(["person_id", "harm"])
    ranked = ranked.sort_values(["harm", "person_id"], ascending=[False, True], kind="mergesort")
    order = ranked["person_id"].tolist()
    positions = [k for k, person in enumerate(order) if person in members]
    if not positions:
        return ComparisonGroup(
            [],
            None,
            None,
            None,
            "no member of the cohort had harm before adoption, so there is no rank to match below",
        )
    lowest = max(positions)
    below = [(k, p) for k, p in enumerate(order) if k > lowest and p not in members][:size]
    if not below:
        return ComparisonGroup(
            [],
            lowest + 1,
            None,
            None,
            "nobody with harm before adoption is ranked below the cohort",
        )
    return ComparisonGroup([p for _, p in below], lowest + 1, below[0][0] + 1, below[-1][0] + 1)
