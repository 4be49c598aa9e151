"""Harm weights: swappable, versioned tables of days per offence.

The Cambridge Crime Harm Index weighs each crime by the sentencing-guideline starting point in
days of imprisonment (Sherman, Neyroud & Neyroud 2016). Shipped: per offence code through its
Home Office subgroup (the CCHI 2026 subgroup medians), with the force's police.uk-category table
as the fallback for records with no offence code (data.police.uk). Users may supply their own
table (CSV: offence_code, weight; optional category, weight). Proactively detected offences
(drug and weapon possession) are excluded by default, as the CHI method prescribes: their counts
measure police activity, not harm done.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from policeperf.errors import ReferenceDataError
from policeperf.reference.loaders import catalogue, load_table

PROACTIVE_CATEGORIES = ("Drugs", "Possession of weapons")
"""Categories excluded unless asked for (METHODS.md §1.8: proactively detected offences)."""

SUBGROUP_ALIASES = {
    # Home Office subgroup (offence_codes.csv) -> CCHI subgroup name
    "Domestic burglary": "Residential burglary",
    "Non-domestic burglary": "Non-residential burglary",
    "Theft from a vehicle": "Vehicle offences",
    "Theft of a motor vehicle": "Vehicle offences",
    "Vehicle interference": "Vehicle offences",
    "Miscellaneous crimes": "Miscellaneous crimes against society",
}


@dataclass(frozen=True)
class HarmWeights:
    name: str
    version: str
    source: str
    by_code: dict[str, float]
    by_category: dict[str, float]
    excluded_categories: tuple[str, ...] = field(default=PROACTIVE_CATEGORIES)

    @property
    def label(self) -> str:
        return f"{self.name} ({self.version})"

    def weight(self, offence_code: str | None, category: str | None) -> float | None:
        if category in self.excluded_categories:
            return None
        if offence_code and offence_code in self.by_code:
            return self.by_code[offence_code]
        return self.by_category.get(category or "")


def cchi(force: str | None = None, *, include_proactive: bool = False) -> HarmWeights:
    """The Cambridge Crime Harm Index as shipped (subgroup medians; force category fallback)."""
    subgroup = {
        r["prc_subgroup"]: float(r["cchi_days"])
        for r in load_table("cchi_weights_by_prc_subgroup").to_pylist()
    }
    by_code: dict[str, float] = {}
    for r in load_table("offence_codes").to_pylist():
        name = SUBGROUP_ALIASES.get(r["offence_subgroup"], r["offence_subgroup"])
        if name in subgroup:
            by_code[r["offence_code"]] = subgroup[name]
    forces = {r["name"]: r["prc_name"] for r in load_table("forces").to_pylist()}
    rows = load_table("cchi_weights_by_force_category").to_pylist()
    wanted = forces.get(force or "", force)
    by_category = {r["crime_type"]: float(r["cchi_days"]) for r in rows if r["force"] == wanted}
    if not by_category:  # a force outside the table (or the demo force): the national mean
        totals: dict[str, list[float]] = {}
        for r in rows:
            totals.setdefault(r["crime_type"], []).append(float(r["cchi_days"]))
        by_category = {k: sum(v) / len(v) for k, v in totals.items()}
    entry = catalogue()["cchi_weights_by_prc_subgroup"]
    return HarmWeights(
        name="Cambridge Crime Harm Index",
        version=entry.version,
        source=entry.source,
        by_code=by_code,
        by_category=by_category,
        excluded_categories=() if include_proactive else PROACTIVE_CATEGORIES,
    )


def from_file(path: Path, *, include_proactive: bool = False) -> HarmWeights:
    """A user's own table: CSV with `offence_code,weight` rows; `category,weight` rows (offence
    code left blank) give the fallback for records without a code."""
    by_code: dict[str, float] = {}
    by_category: dict[str, float] = {}
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            missing = {"weight"} - set(reader.fieldnames or [])
            if missing or not ({"offence_code", "category"} & set(reader.fieldnames or [])):
                raise ReferenceDataError(
                    f"{path}: expected columns offence_code and/or category, and weight"
                )
            for line, row in enumerate(reader, start=2):
                try:
                    weight = float(row["weight"])
                except (TypeError, ValueError):
                    raise ReferenceDataError(
                        f"{path}:{line} weight: got {row.get('weight')!r}; expected a number of days"
                    ) from None
                if row.get("offence_code"):
                    by_code[row["offence_code"].strip()] = weight
                elif row.get("category"):
                    by_category[row["category"].strip()] = weight
    except FileNotFoundError:
        raise ReferenceDataError(f"{path}: no such harm weights file") from None
    return HarmWeights(path.stem, "user", str(path), by_code, by_category,
                       () if include_proactive else PROACTIVE_CATEGORIES)  # fmt: skip


def load_weights(
    name_or_path: str = "cchi", force: str | None = None, *, include_proactive: bool = False
) -> HarmWeights:
    if name_or_path == "cchi":
        return cchi(force, include_proactive=include_proactive)
    return from_file(Path(name_or_path), include_proactive=include_proactive)
