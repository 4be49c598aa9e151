"""A force's own exports through YAML column mappings: CSV, Parquet and XLSX."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from policeperf.errors import InputFileError
from policeperf.ingest.mapped import load_mapping
from policeperf.ingest.run import ingest_table
from policeperf.store import Store
from policeperf.yamlconf import ConfigError

CRIMES_MAPPING = """\
# a force's crimes export
table: crimes
constants:
  force: Demo Constabulary
  date_precision: day
columns:
  crime_id: REF
  recorded_date: {from: RECORDED, format: "%d/%m/%Y"}
  offence_code: HOCODE
  domestic_abuse: {from: DA, values: {"Y": true, "N": false}}
  district: CSP
"""

ROWS = [
    ("REF", "RECORDED", "HOCODE", "DA", "CSP"),
    ("A1", "03/04/2020", "28E", "N", "Northam"),
    ("A2", "31/04/2020", "28E", "N", "Northam"),  # no 31 April
    ("A3", "05/04/2020", "ZZ9", "N", "Cambury"),  # unknown offence code
    ("A4", "06/04/2020", "8N", "maybe", "Cambury"),  # outside the value map
    ("A5", "07/04/2020", "8N", "Y", "Atlantis"),  # district unknown to the force: kept, no area
]


def mapping_file(tmp_path: Path, text: str = CRIMES_MAPPING) -> Path:
    path = tmp_path / "crimes.yaml"
    path.write_text(text)
    return path


def check_rows(db: Store) -> None:
    got = db.fetchall(
        "SELECT crime_id, recorded_date::VARCHAR, offence_category, offence_subgroup, domestic_abuse,"
        " district, area FROM crimes ORDER BY crime_id"
    )
    assert got == [
        ("A1", "2020-04-03", "Burglary", "Domestic burglary", False, "Northam", "North"),
        (
            "A5",
            "2020-04-07",
            "Violence and sexual offences",
            "Violence with injury",
            True,
            "Atlantis",
            None,
        ),
    ]
    reasons = dict(db.fetchall("SELECT line, reason FROM quarantine"))
    assert reasons == {
        3: "RECORDED: got '31/04/2020'; expected a date (%d/%m/%Y)",
        4: "HOCODE: got 'ZZ9'; expected a Home Office offence code (reference offence_codes)",
        5: "DA: got 'maybe'; expected one of N, Y",
    }


def test_csv_export_is_mapped_validated_and_enriched(tmp_path: Path, store: Store) -> None:
    csv = tmp_path / "crimes.csv"
    csv.write_text("\n".join(",".join(r) for r in ROWS) + "\n")
    report = ingest_table(store, [csv], mapping_path=mapping_file(tmp_path))
    assert (report.rows_in, report.rows_accepted, report.rows_quarantined) == (5, 2, 3)
    check_rows(store)


def test_xlsx_export_gives_the_same_rows_with_sheet_row_numbers(
    tmp_path: Path, store: Store
) -> None:
    book = openpyxl.Workbook()
    for row in ROWS:
        book.active.append(list(row))
    path = tmp_path / "crimes.xlsx"
    book.save(path)
    ingest_table(store, [path], mapping_path=mapping_file(tmp_path))
    check_rows(store)


def test_parquet_export_gives_the_same_rows(tmp_path: Path, store: Store) -> None:
    header, *body = ROWS
    table = pa.table({name: [r[i] for r in body] for i, name in enumerate(header)})
    path = tmp_path / "crimes.parquet"
    pq.write_table(table, path)
    ingest_table(store, [path], mapping_path=mapping_file(tmp_path))
    check_rows(store)


def test_mapping_problems_are_all_reported_with_their_lines(tmp_path: Path) -> None:
    text = CRIMES_MAPPING.replace("table: crimes", "table: crimez").replace(
        "  district: CSP", "  district: CSP\n  colour: {from: X, shade: red}"
    )
    with pytest.raises(ConfigError) as info:
        load_mapping(mapping_file(tmp_path, text))
    message = str(info.value)
    assert (
        f"{tmp_path / 'crimes.yaml'}:2 table: got 'crimez'; expected one of activities, asb_incidents"
        in message
    )
    assert ":12 columns.colour.shade: unknown field" in message


def test_a_required_column_left_unmapped_is_named(tmp_path: Path) -> None:
    text = CRIMES_MAPPING.replace("  crime_id: REF\n", "")
    with pytest.raises(ConfigError, match="required crimes column\\(s\\) not mapped: crime_id"):
        load_mapping(mapping_file(tmp_path, text))


def test_a_mapped_column_missing_from_the_file_is_one_clear_error(
    tmp_path: Path, store: Store
) -> None:
    csv = tmp_path / "crimes.csv"
    csv.write_text("REF,RECORDED,HOCODE,CSP\nA1,03/04/2020,28E,Northam\n")
    with pytest.raises(
        InputFileError, match="columns named in the mapping are not in the file: DA"
    ):
        ingest_table(store, [csv], mapping_path=mapping_file(tmp_path))


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"crimes.yaml:4: invalid YAML"):
        load_mapping(mapping_file(tmp_path, "table: crimes\ncolumns:\n  - [unclosed\n"))


def test_an_unknown_canonical_column_points_at_the_columns_block(tmp_path: Path) -> None:
    text = CRIMES_MAPPING.replace("  district: CSP", "  distrikt: CSP")
    with pytest.raises(
        ConfigError, match=r"crimes.yaml:6 columns: unknown crimes column\(s\) distrikt"
    ):
        load_mapping(mapping_file(tmp_path, text))


def test_an_export_covers_its_records_span_or_the_period_its_mapping_declares(
    tmp_path: Path,
) -> None:
    from datetime import date

    from policeperf.store import coverage

    csv = tmp_path / "crimes.csv"
    csv.write_text("\n".join(",".join(r) for r in [ROWS[0], ROWS[1], ("A9", "02/07/2020", "28E", "N", "Northam")]) + "\n")  # fmt: skip
    with Store(tmp_path / "span.duckdb") as db:
        ingest_table(db, [csv], mapping_path=mapping_file(tmp_path))
        held = coverage.by_table(db.con)[("Demo Constabulary", "crimes")]
    assert held == [date(2020, m, 1) for m in (4, 5, 6, 7)]  # May and June: held, no records
    declared = mapping_file(tmp_path, CRIMES_MAPPING + "period: {first: 2020-01, last: 2020-12}\n")
    with Store(tmp_path / "declared.duckdb") as db:
        ingest_table(db, [csv], mapping_path=declared)
        held = coverage.by_table(db.con)[("Demo Constabulary", "crimes")]
    assert held == [date(2020, m, 1) for m in range(1, 13)]
    bad = mapping_file(tmp_path, CRIMES_MAPPING + "period: {first: 2020-12, last: 2020-01}\n")
    with pytest.raises(ConfigError, match="before first"):
        load_mapping(bad)
