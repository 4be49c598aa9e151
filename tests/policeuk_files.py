"""Small data.police.uk street files written for tests: any force, any months, known rows."""

from __future__ import annotations

import csv
import random
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path

from policeperf.ingest.police_uk import STREET_HEADER

CAMBS_LSOAS = (
    ("E01015629", "Peterborough 001A"), ("E01017975", "Cambridge 001A"),
    ("E01018042", "East Cambridgeshire 001A"), ("E01018094", "Fenland 001A"),
    ("E01018212", "Huntingdonshire 001A"), ("E01018304", "South Cambridgeshire 001A"),
)  # fmt: skip
CATEGORIES = ("Burglary", "Vehicle crime", "Shoplifting", "Violence and sexual offences",
              "Criminal damage and arson", "Anti-social behaviour")  # fmt: skip


def street_rows(
    force: str, month: date, n: int, rng: random.Random, lsoas: Sequence[tuple[str, str]]
) -> list[list[str]]:
    rows = []
    for i in range(n):
        category = rng.choice(CATEGORIES)
        code, name = rng.choice(lsoas)
        crime_id = (
            ""
            if category == "Anti-social behaviour"
            else f"{force[:4]}{month:%Y%m}-{i:05d}-{rng.random():.6f}"
        )
        rows.append([crime_id, f"{month:%Y-%m}", force, force, "0.1", "52.2", "On or near Main Street",
                     code, name, category, "" if not crime_id else "Under investigation", ""])  # fmt: skip
    return rows


def write_street_files(
    folder: Path,
    *,
    slug: str,
    force: str,
    months: Iterable[date],
    lsoas: Sequence[tuple[str, str]] = CAMBS_LSOAS,
    rows_per_month: tuple[int, int] = (40, 80),
    seed: int = 7,
) -> list[Path]:
    """One `YYYY-MM-slug-street.csv` per month in the archive layout, with a random number of
    rows in `rows_per_month`."""
    rng = random.Random(seed)
    paths = []
    for month in months:
        path = folder / f"{month:%Y-%m}" / f"{month:%Y-%m}-{slug}-street.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(STREET_HEADER)
            writer.writerows(street_rows(force, month, rng.randint(*rows_per_month), rng, lsoas))
        paths.append(path)
    return paths
