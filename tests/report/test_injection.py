"""Data strings are inert: a district named <script> or =HYPERLINK(...) in HTML, PDF, XLSX, CSV."""

from __future__ import annotations

import csv
import io
import subprocess
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from policeperf.engine import evaluate
from policeperf.framework import load_framework
from policeperf.report import write_report
from policeperf.store import Store
from tests.hostile import FORMULA, SCRIPT, hostile_store
from tests.report.test_report_outputs import open_offline


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("inert")
    store, framework_file = hostile_store(folder)
    with Store(store, read_only=True) as db:
        assert db.scalar("SELECT count(*) FROM crimes WHERE location = ?", [SCRIPT]) == 108
        framework = load_framework(framework_file)
        results = evaluate(db, framework, "2021-03")
    return write_report(
        results, framework, date(2021, 3, 1), folder / "out", formats=("html", "pdf", "xlsx", "csv")
    )


def test_html_escapes_data_strings_and_runs_no_script(
    outputs: dict[str, Path], chromium: str
) -> None:
    html = outputs["html"].read_text()
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(&#39;owned&#39;)&lt;/script&gt;" in html
    page = open_offline(outputs["html"], chromium)
    assert page["dialogs"] == []
    assert page["scripts"] == 0
    assert SCRIPT in str(page["text"])  # shown as text


def test_the_stylesheet_is_inlined_as_written_while_data_is_escaped(
    outputs: dict[str, Path],
) -> None:
    html = outputs["html"].read_text()
    style = html[html.index("<style>") : html.index("</style>")]
    assert 'font-family: "DejaVu Sans"' in style and "&#34;" not in style


def test_pdf_shows_the_strings_as_text(outputs: dict[str, Path]) -> None:
    text = subprocess.run(
        ["pdftotext", str(outputs["pdf"]), "-"], capture_output=True, text=True, check=True
    ).stdout
    squeezed = "".join(text.split())  # table cells wrap long names over lines
    assert "".join(SCRIPT.split()) in squeezed
    assert FORMULA in squeezed


def test_xlsx_stores_them_as_text_not_formulas(outputs: dict[str, Path]) -> None:
    book = openpyxl.load_workbook(outputs["xlsx"])
    cells = [c for row in book["Results"].iter_rows() for c in row if c.value in (SCRIPT, FORMULA)]
    assert {c.value for c in cells} == {SCRIPT, FORMULA}
    assert all(c.data_type == "s" for c in cells)


def test_csv_neutralises_the_formula(outputs: dict[str, Path]) -> None:
    areas = {r["area"] for r in csv.DictReader(io.StringIO(outputs["csv"].read_text()))}
    assert "'" + FORMULA in areas
    assert FORMULA not in areas
    assert SCRIPT in areas
