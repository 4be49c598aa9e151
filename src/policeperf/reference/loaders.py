"""Loaders for the reference files listed in `data/catalogue.yaml`.

Files are read fresh on each call; callers that need them repeatedly keep the result.
"""

from __future__ import annotations

import csv
import gzip
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import yaml

from policeperf.errors import ReferenceDataError

_DATA = "policeperf.reference"


@dataclass(frozen=True)
class ReferenceTable:
    """A catalogue entry: which file, which version, where it came from."""

    name: str
    file: str
    version: str
    source: str
    licence: str


@dataclass(frozen=True)
class OutcomeSet:
    """A named set of Home Office outcome types, e.g. 'positive' = 1, 2, 3, 4, 6, 7, 8."""

    name: str
    label: str
    description: str
    types: frozenset[int]


def _data_dir() -> Path:
    return Path(str(resources.files(_DATA).joinpath("data")))


def catalogue() -> dict[str, ReferenceTable]:
    """Every shipped reference table with version and source."""
    return {entry.name: entry for entry in _catalogue()}


@lru_cache(maxsize=1)
def _catalogue() -> tuple[ReferenceTable, ...]:
    """The catalogue parsed once per process: it ships with the package, and an evaluation asks
    for it once per reference file it reads."""
    raw = yaml.safe_load((_data_dir() / "catalogue.yaml").read_text(encoding="utf-8"))
    return tuple(
        ReferenceTable(
            name=name,
            file=entry["file"],
            version=str(entry["version"]),
            source=" ".join(str(entry["source"]).split()),
            licence=str(entry["licence"]),
        )
        for name, entry in raw.items()
    )


def reference_file(name: str) -> Path:
    """Path of a catalogued reference file."""
    entries = catalogue()
    if name not in entries:
        raise ReferenceDataError(
            f"unknown reference table {name!r}; expected one of {', '.join(sorted(entries))}"
        )
    path = _data_dir() / entries[name].file
    if not path.exists():
        raise ReferenceDataError(f"{path}: reference file missing from the installation")
    return path


def load_table(name: str) -> pa.Table:
    """A CSV reference table as Arrow, every column as text (callers cast what they need)."""
    path = reference_file(name)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        names = next(csv.reader([handle.readline()]))
    options = pacsv.ConvertOptions(
        column_types={col: pa.string() for col in names}, strings_can_be_null=True
    )
    return pacsv.read_csv(path, convert_options=options)


def outcome_sets() -> dict[str, OutcomeSet]:
    """The named outcome sets shipped in `outcome_sets.yaml`."""
    return {s.name: s for s in _outcome_sets()}


@lru_cache(maxsize=1)
def _outcome_sets() -> tuple[OutcomeSet, ...]:
    """The outcome sets parsed once per process, as the catalogue."""
    raw = yaml.safe_load(reference_file("outcome_sets").read_text(encoding="utf-8"))
    sets = {}
    for name, entry in raw["sets"].items():
        types = frozenset(int(t) for t in entry["types"])
        bad = sorted(t for t in types if not 0 <= t <= 22)
        if bad:
            raise ReferenceDataError(f"outcome_sets.yaml sets.{name}.types: {bad} outside 0-22")
        sets[name] = OutcomeSet(
            name=name,
            label=str(entry["label"]),
            description=" ".join(str(entry.get("description", "")).split()),
            types=types,
        )
    return tuple(sets.values())
