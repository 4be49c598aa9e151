"""A report whose every measure lacks data for the force is written, saying why, not broken."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl

from policeperf.engine import evaluate
from policeperf.framework import load_framework
from policeperf.ingest.run import ingest_police_uk
from policeperf.report import write_report
from policeperf.store import Store
from tests.conftest import CAMBS_2024

CAMBS = "Cambridgeshire Constabulary"


def test_a_framework_with_no_data_for_the_force_gives_every_output(tmp_path: Path) -> None:
    """police.uk files hold none of the operations framework's tables: each measure is
    'no data' with its reason, and the workbook, page and CSV still come out."""
    month = date(2024, 12, 1)
    with Store(tmp_path / "s.duckdb") as db:
        ingest_police_uk(db, [CAMBS_2024])
        results = evaluate(db, "operations", month, force=CAMBS)
    assert set(results["status"]) == {"no_data"}
    model = load_framework("operations").model_copy(update={"force": CAMBS})
    paths = write_report(results, model, month, tmp_path / "out", formats=("html", "xlsx", "csv"))
    sheets = openpyxl.load_workbook(paths["xlsx"], read_only=True)
    pillars = [ws for ws in sheets.worksheets if ws.title not in ("Summary", "Series", "Results")]
    rows = [r for ws in pillars for r in ws.iter_rows(min_row=2, values_only=True)]
    assert rows and all(r[9] == "no_data" and r[10] for r in rows if r[0])
    assert all(r[1] is None and r[4] is None for r in rows if r[0])
