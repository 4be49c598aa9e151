"""Every shipped measure kind is shown in every output: report HTML (with its chart), XLSX, CSV
and the dashboard. A kind added to `framework.kinds` fails here until it is in `MEASURES`."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient

from policeperf.engine import evaluate
from policeperf.framework import load_framework
from policeperf.framework.kinds import KINDS
from policeperf.report import write_report
from policeperf.store import Store
from policeperf.web import Settings, create_app
from tests.frameworks import EVERY_KIND, framework_yaml

MONTH = date(2021, 3, 1)
MEASURES = EVERY_KIND


def test_the_framework_has_one_measure_of_every_shipped_kind() -> None:
    assert sorted(m["kind"] for m in MEASURES) == sorted(KINDS)


@pytest.fixture(scope="module")
def framework_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("kinds") / "kinds.yaml"
    path.write_text(framework_yaml(MEASURES, name="kinds", force="Demo Constabulary"))
    return path


@pytest.fixture(scope="module")
def outputs(
    tmp_path_factory: pytest.TempPathFactory, demo_store_path: Path, framework_file: Path
) -> dict[str, Path]:
    framework = load_framework(framework_file)
    with Store(demo_store_path, read_only=True) as db:
        results = evaluate(db, framework, MONTH)
    return write_report(results, framework, MONTH, tmp_path_factory.mktemp("out"),
                        formats=("html", "xlsx", "csv"), today=date(2021, 4, 20))  # fmt: skip


def test_the_report_shows_and_charts_every_kind(outputs: dict[str, Path]) -> None:
    html = outputs["html"].read_text()
    for m in MEASURES:
        assert m["name"] in html, m["kind"]
        assert f"Chart of {m['name']}" in html, m["kind"]


def test_the_spreadsheet_and_the_csv_hold_every_kind(outputs: dict[str, Path]) -> None:
    book = openpyxl.load_workbook(outputs["xlsx"], read_only=True)
    cells = {
        str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row
    }
    with outputs["csv"].open(newline="") as f:
        rows = list(csv.DictReader(f))
    for m in MEASURES:
        assert m["name"] in cells, m["kind"]
        now = [r for r in rows if r["measure_id"] == m["id"] and r["area"] == "all"]
        assert now and now[0]["kind"] == m["kind"]
        assert now[0]["status"] in ("ok", "incomplete_baseline", "no_population"), now[0]["reason"]


def test_the_dashboard_shows_every_kind(demo_store_path: Path, framework_file: Path) -> None:
    settings = Settings(store=demo_store_path, framework=str(framework_file))
    client = TestClient(create_app(settings), base_url=f"http://127.0.0.1:{settings.port}")
    overview = client.get("/?month=2021-03")
    assert overview.status_code == 200
    for m in MEASURES:
        assert m["name"] in overview.text, m["kind"]
        page = client.get(f"/measures/{m['id']}?month=2021-03")
        assert page.status_code == 200, m["kind"]
    assert {m["kind"] for m in client.get("/api/measures").json()} == set(KINDS)
