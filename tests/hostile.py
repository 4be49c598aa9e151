"""A store whose district and location names are an XSS payload and a spreadsheet formula,
shared by the report's and the dashboard's injection tests."""

from __future__ import annotations

from pathlib import Path

from policeperf.ingest.run import ingest_table
from policeperf.store import Store
from tests.frameworks import framework_yaml

SCRIPT = "<script>alert('owned')</script>"
FORMULA = '=HYPERLINK("http://evil.example","click")'
MAPPING = """\
table: crimes
constants: {force: Test Force, date_precision: day}
columns:
  crime_id: REF
  recorded_date: RECORDED
  offence_code: CODE
  district: DISTRICT
  location: LOCATION
"""
FRAMEWORK = framework_yaml(
    [
        {"id": "all_crime", "name": "All crime", "kind": "count"},
        {
            "id": "burglary",
            "name": "Burglary",
            "kind": "count",
            "filters": {"categories": ["Burglary"]},
        },
    ],
    name="inert",
    title="Injection check",
)


def hostile_store(folder: Path) -> tuple[Path, Path]:
    """Write and ingest 2019-2021 crimes in districts named SCRIPT, FORMULA and "Plain" (three a
    month each); returns the store and the framework file."""
    rows = ["REF,RECORDED,CODE,DISTRICT,LOCATION"]
    n = 0
    for year in (2019, 2020, 2021):
        for month in range(1, 13):
            for district in (SCRIPT, FORMULA, "Plain"):
                for _ in range(3):
                    n += 1
                    quoted = '"' + district.replace('"', '""') + '"'
                    rows.append(f"T{n},{year}-{month:02d}-15,28E,{quoted},{quoted}")
    (folder / "crimes.csv").write_text("\n".join(rows) + "\n")
    (folder / "crimes.yaml").write_text(MAPPING)
    (folder / "inert.yaml").write_text(FRAMEWORK)
    store = folder / "s.duckdb"
    with Store(store) as db:
        report = ingest_table(db, [folder / "crimes.csv"], mapping_path=folder / "crimes.yaml")
    assert report.rows_quarantined == 0
    return store, folder / "inert.yaml"
