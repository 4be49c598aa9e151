"""`policeperf national ingest` and `national compare` as a user runs them."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
import pytest

from policeperf.engine.national_compare import Peers, compare
from policeperf.engine.national_export import comparison_csv, write_comparison
from policeperf.reference.national_forces import load_force_reference
from policeperf.store import Store
from tests.conftest import policeperf
from tests.national_data import POPULATION, PRC_2019, STREET


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "national.duckdb"
    done = policeperf("national", "ingest", "--store", str(path), str(PRC_2019), str(POPULATION))
    assert done.returncode == 0, done.stderr
    assert "rows in 23,476 = accepted 23,459 + quarantined 17" in done.stdout
    return path


def test_compare_prints_the_table_and_every_method(store_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "cambs.csv"
    done = policeperf("national", "compare", "--store", str(store_path), "--force",
                      "Cambridgeshire Constabulary", "--year", "2019/20", "--most-like", "7",
                      "--out", str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "How Cambridgeshire compares, 2019/20" in done.stdout
    assert "80.57" in done.stdout and "88.58" in done.stdout
    assert "most similar 7 computed" in done.stdout
    assert "Spiegelhalter 2005" in done.stdout
    assert "absent from national_outcomes for 2019/20" in done.stdout
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    first = rows[0]
    assert first["measure_id"] == "recorded_crime" and first["status"] == "ok"
    assert float(first["value"]) == pytest.approx(80.574, abs=1e-3)
    outcome = next(r for r in rows if r["measure_id"] == "positive_outcome_rate")
    assert outcome["value"] == "" and outcome["status"] == "no_data" and outcome["reason"]


def test_json_is_the_only_thing_on_stdout(store_path: Path) -> None:
    done = policeperf("national", "compare", "--store", str(store_path), "--force", "kent",
                      "--year", "2019-20", "--json")  # fmt: skip
    payload = json.loads(done.stdout)
    assert payload["force"] == "Kent" and payload["period"] == "2019/20"
    assert payload["rows"][0]["peer_verdict"] == "not available"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--force", "Narnia", "--year", "2019/20"], 1, "--force: got 'Narnia'"),
        (["--force", "Action Fraud", "--year", "2019/20"], 1, "not a police force area"),
        (["--force", "Kent", "--year", "2019"], 2, "got '2019'; expected a financial year"),
        (["--force", "Kent"], 2, "give --year or --months"),
        (
            ["--force", "Kent", "--months", "2022-05..2022-01"],
            2,
            "got '2022-05..2022-01'; expected a span",
        ),
    ],
)
def test_bad_input_is_one_line_and_its_exit_code(
    store_path: Path, args: list[str], code: int, message: str
) -> None:
    done = policeperf("national", "compare", "--store", str(store_path), *args)
    assert done.returncode == code
    assert message in done.stderr and "Traceback" not in done.stderr


def test_a_bad_peer_file_names_its_line(store_path: Path, tmp_path: Path) -> None:
    peers = tmp_path / "peers.csv"
    peers.write_text("force,peer\nKent,Gondor\n")
    done = policeperf("national", "compare", "--store", str(store_path), "--force", "Kent",
                      "--year", "2019/20", "--peers", str(peers))  # fmt: skip
    assert done.returncode == 1
    assert f"{peers}:2 peer: got 'Gondor'" in done.stderr


def test_text_that_a_spreadsheet_would_run_is_inert_in_csv_and_xlsx(
    store_path: Path, tmp_path: Path
) -> None:
    ref = load_force_reference()
    with Store(store_path, read_only=True) as db:
        result = compare(db, ref, ref.require("Kent"), "2019/20",
                         Peers((ref.require("Essex").code,), '=HYPERLINK("http://x")'))  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(comparison_csv(result))))
    assert rows[0]["peer_group"] == '\'=HYPERLINK("http://x")'
    path = write_comparison(result, tmp_path / "kent.xlsx")
    sheet = openpyxl.load_workbook(path)["comparison"]
    header = [c.value for c in sheet[1]]
    cell = sheet.cell(row=2, column=header.index("peer_group") + 1)
    assert cell.data_type == "s" and cell.value == '=HYPERLINK("http://x")'
    value = sheet.cell(row=2, column=header.index("value") + 1)
    assert isinstance(value.value, float)


def test_police_uk_months_name_the_absent_forces(store_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "street.duckdb"
    done = policeperf("national", "ingest", "--store", str(path), str(STREET), str(POPULATION))
    assert done.returncode == 0, done.stderr
    done = policeperf("national", "compare", "--store", str(path), "--force", "Warwickshire",
                      "--months", "2022-01..2022-11", "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert payload["period"] == "2022-01..2022-11"
    first = payload["rows"][0]
    assert first["measure_id"] == "street_crime" and first["rank_of"] == 35
    assert "absent, not counted: Metropolitan Police" in first["england_wales_method"]
