"""The bundled national tables, and a store built from them once per test module."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

from policeperf.ingest.national import ingest_national
from policeperf.store import Store
from tests.conftest import DATA, HOME_OFFICE

NATIONAL = DATA / "national"
PRC_2019 = NATIONAL / "prc-pfa-mar2013-onwards-tables-2019-20.zip"
ROLLING = NATIONAL / "rec-crime-pfa.zip"
OUTCOMES = NATIONAL / "outcomes-open-data-2017-18.zip"
POPULATION = NATIONAL / "pfa_population_mid2018.csv"
STREET = NATIONAL / "street-counts-2022.zip"
ALL = [HOME_OFFICE, PRC_2019, ROLLING, OUTCOMES, POPULATION, STREET]


def build_store(path: Path, files: list[Path] | None = None) -> Path:
    with Store(path) as db:
        ingest_national(db, files if files is not None else ALL)
    return path


def zip_text(path: Path) -> str:
    with zipfile.ZipFile(path) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".csv"))
        return zf.read(name).decode("utf-8")


def without_force(path: Path, column: str, force: str, target: Path) -> Path:
    """A copy of a zipped national CSV with every row of one force removed."""
    text = zip_text(path)
    rows = list(csv.reader(io.StringIO(text)))
    at = rows[0].index(column)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(r for r in rows if r[at] != force)
    target.write_text(buffer.getvalue(), encoding="utf-8")
    return target
