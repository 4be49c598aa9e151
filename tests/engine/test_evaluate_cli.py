"""`policeperf evaluate`: formats, the documented columns, exit codes, safe CSV."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from pathlib import Path

import pandas as pd

from policeperf.engine.export import neutralise, write_results
from tests.conftest import policeperf


def evaluate_pcp(store: Path, month: str, *options: str) -> subprocess.CompletedProcess[str]:
    return policeperf(
        "evaluate", "--framework", "pcp", "--month", month, "--store", str(store), *options
    )


def test_csv_has_the_documented_columns_with_percentages_as_percent(demo_store_path: Path) -> None:
    done = evaluate_pcp(demo_store_path, "2021-03", "--area", "all")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert list(rows[0])[:8] == [
        "measure_id",
        "area",
        "month",
        "rolling_12m",
        "baseline",
        "change_pct",
        "verdict",
        "method",
    ]
    by_id = {r["measure_id"]: r for r in rows}
    assert round(float(by_id["dwelling_burglary_outcome_rate"]["rolling_12m"]), 1) == 14.3
    assert round(float(by_id["dwelling_burglary_crime"]["change_pct"]), 1) == -39.7
    assert {r["area"] for r in rows} == {"all"}


def test_parquet_and_json_outputs(tmp_path: Path, demo_store_path: Path) -> None:
    out = tmp_path / "r.parquet"
    done = evaluate_pcp(demo_store_path, "2021-03", "--format", "parquet", "--out", str(out))
    assert done.returncode == 0, done.stderr
    frame = pd.read_parquet(out)
    assert len(frame) == 32 * 9
    done = evaluate_pcp(demo_store_path, "2021-03", "--format", "json", "--area", "North")
    payload = json.loads(done.stdout)
    assert payload["attrs"]["framework"] == "pcp"
    assert {r["area"] for r in payload["rows"]} == {"North"}


def test_a_bad_month_is_bad_usage(demo_store_path: Path) -> None:
    done = evaluate_pcp(demo_store_path, "March")
    assert done.returncode == 2
    assert "expected YYYY-MM" in done.stderr


def test_a_month_with_no_data_is_a_clear_error(demo_store_path: Path) -> None:
    done = evaluate_pcp(demo_store_path, "2010-01")
    assert done.returncode == 1
    assert done.stderr.startswith("error: no records for 'Demo Constabulary' up to 2010-01")


def test_csv_export_neutralises_formulas_in_text_cells(tmp_path: Path) -> None:
    frame = pd.DataFrame({"measure_id": ["x"], "area": ['=HYPERLINK("http://evil","click")'], "month": ["2021-03-01"],
                          "rolling_12m": [-3.5], "verdict": ["+Lower"]})  # fmt: skip
    text = write_results(frame, None, "csv")
    assert text is not None
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["area"] == '\'=HYPERLINK("http://evil","click")'
    assert row["verdict"] == "'+Lower"
    assert row["rolling_12m"] == "-3.5"
    assert neutralise("@SUM(A1)") == "'@SUM(A1)"
    assert neutralise("North") == "North"
