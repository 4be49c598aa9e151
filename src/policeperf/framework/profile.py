"""Force profiles: a force's policing areas (groups of districts) and resident populations.

Districts themselves come from the data (the local authority of each record's LSOA), so any
force gets district breakdowns with no setup. What the data cannot say is how a force groups its
districts into areas and how many people live in each: that is the profile, a small YAML file the
user writes (`policeperf force init` starts one from the districts in the store). Cambridgeshire
and the demo force ship theirs as reference data.

    force: Kent Police
    areas:                      # optional: area -> its districts
      North: [Dartford, Gravesham]
    populations:                # optional: district -> residents
      Dartford: 116800
    population_source: ONS mid-2022 estimates
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from policeperf.errors import PolicePerfError
from policeperf.reference import load_table
from policeperf.yamlconf import validate_file


class ForceProfile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    force: str = Field(min_length=1)
    areas: dict[str, list[str]] = Field(default_factory=dict)
    populations: dict[str, float | None] = Field(default_factory=dict)
    population_source: str = ""

    @model_validator(mode="after")
    def _districts_in_one_area(self) -> ForceProfile:
        seen: dict[str, str] = {}
        for area, districts in self.areas.items():
            for d in districts:
                if d in seen:
                    raise ValueError(f"district {d!r} is in two areas: {seen[d]!r} and {area!r}")
                seen[d] = area
        for d, pop in self.populations.items():
            if pop is not None and pop <= 0:
                raise ValueError(f"population of {d!r} must be positive, got {pop}")
        return self

    @property
    def area_of(self) -> dict[str, str]:
        return {d: area for area, districts in self.areas.items() for d in districts}

    def district_areas(self, districts: Iterable[str] = ()) -> list[tuple[str, str | None]]:
        """(district, area or None) for the profile's districts and any others given."""
        area_of = self.area_of
        names = dict.fromkeys([*area_of, *self.populations, *districts])
        return [(d, area_of.get(d)) for d in names]

    def population_by_geography(self) -> dict[tuple[str, str], float]:
        """(level, name) -> residents, for districts, areas and the force. An area or the force
        has a population only when every one of its districts has one."""
        pops = {d: float(p) for d, p in self.populations.items() if p is not None}
        out: dict[tuple[str, str], float] = {("district", d): p for d, p in pops.items()}
        for area, districts in self.areas.items():
            if districts and all(d in pops for d in districts):
                out[("area", area)] = sum(pops[d] for d in districts)
        known = set(self.populations) | set(self.area_of)
        if known and all(d in pops for d in known):
            out[("force", "all")] = sum(pops[d] for d in known)
        return out


def shipped_profile(force: str) -> ForceProfile | None:
    """The profile shipped as reference data for `force` (Cambridgeshire, the demo force)."""
    districts = [r for r in load_table("districts").to_pylist() if r["force"] == force]
    if not districts:
        return None
    areas: dict[str, list[str]] = {}
    for r in districts:
        if r["area"]:
            areas.setdefault(r["area"], []).append(r["district"])
    pops = [r for r in load_table("population").to_pylist() if r["force"] == force]
    return ForceProfile(
        force=force,
        areas=areas,
        populations={r["district"]: float(r["population"]) for r in pops},
        population_source=pops[0]["source"] if pops else "",
    )


def load_profile(path: Path) -> ForceProfile:
    return validate_file(path, ForceProfile)


def resolve_profile(force: str, path: Path | None = None) -> ForceProfile:
    """The profile given, else the shipped one, else an empty one (districts from the data, no
    areas, no populations)."""
    if path is not None:
        profile = load_profile(path)
        if profile.force != force:
            raise PolicePerfError(f"{path}: profile is for {profile.force!r}, not {force!r}")
        return profile
    return shipped_profile(force) or ForceProfile(force=force)


def profile_template(force: str, districts: Iterable[str]) -> str:
    """A profile to edit, with every district seen in the store and no areas or populations."""
    names = sorted(set(districts))
    lines = [
        f"# Force profile for {force}: policing areas and populations.",
        "# Districts below are those seen in the store. Group them into areas (optional) and give",
        "# each district's resident population (optional: without it, rates per population are",
        "# reported as 'not available'). Then pass this file with --profile.",
        yaml.safe_dump({"force": force}, sort_keys=False, allow_unicode=True).strip(),
        "areas: {}",
        "#  North: [" + ", ".join(names[:2]) + "]",
        "populations:",
        *[f"  {yaml.safe_dump(d, allow_unicode=True).splitlines()[0]}: null" for d in names],
        "population_source: ''",
    ]
    if not names:
        lines[lines.index("populations:")] = "populations: {}"
    return "\n".join(lines) + "\n"
