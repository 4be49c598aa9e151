"""The board report in every format, checked as a reader's tools would open it."""

from __future__ import annotations

import multiprocessing
import shutil
import subprocess
from datetime import date
from multiprocessing.pool import Pool
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from PIL import Image
from playwright.sync_api import sync_playwright

from policeperf.engine import evaluate
from policeperf.framework import load_framework
from policeperf.report import write_report
from policeperf.store import Store
from tests.conftest import CHROMIUM_ARGS

MONTH = date(2021, 3, 1)


@pytest.fixture(scope="module")
def pcp_results(demo_store_path: Path) -> pd.DataFrame:
    with Store(demo_store_path, read_only=True) as db:
        return evaluate(db, load_framework("pcp"), MONTH)


def write_pcp(results: pd.DataFrame, folder: Path, pdf_pool: Pool | None = None) -> dict[str, Path]:
    return write_report(results, load_framework("pcp"), MONTH, folder, formats=("html", "pdf", "xlsx", "csv"),
                        provenance=[("Store", "demo")], today=date(2021, 4, 20), pdf_pool=pdf_pool)  # fmt: skip


@pytest.fixture(scope="module")
def report_files(
    tmp_path_factory: pytest.TempPathFactory, pcp_results: pd.DataFrame
) -> dict[str, Path]:
    return write_pcp(pcp_results, tmp_path_factory.mktemp("report"))


def test_a_pdf_rendered_by_a_worker_process_is_the_one_rendered_here(
    tmp_path: Path, pcp_results: pd.DataFrame, report_files: dict[str, Path]
) -> None:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        paths = write_pcp(pcp_results, tmp_path, pdf_pool=pool)
    assert paths == {fmt: tmp_path / path.name for fmt, path in report_files.items()}
    for fmt in ("html", "pdf", "csv"):
        assert paths[fmt].read_bytes() == report_files[fmt].read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths.values())


def open_offline(html: Path, chromium: str, screenshot: Path | None = None) -> dict[str, object]:
    """Load the page in headless Chromium with the network off; record every request."""
    requests: list[str] = []
    dialogs: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(offline=True, viewport={"width": 1200, "height": 900})
        page = context.new_page()
        page.on("request", lambda r: requests.append(r.url))
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(html.as_uri(), wait_until="load")
        facts = page.evaluate(
            """() => ({
                svgs: document.querySelectorAll('figure.chart svg').length,
                drawn: [...document.querySelectorAll('figure.chart svg')].filter(
                    s => s.getBoundingClientRect().width > 100 && s.querySelectorAll('path').length > 3).length,
                scripts: document.querySelectorAll('script').length,
                scorecards: document.querySelectorAll('table.scorecard').length,
                text: document.body.innerText,
            })"""
        )
        if screenshot is not None:
            page.screenshot(path=str(screenshot), full_page=False)
        browser.close()
    return {**facts, "requests": requests, "dialogs": dialogs}


def test_html_renders_offline_in_chromium_with_no_request_leaving_the_page(
    report_files: dict[str, Path], chromium: str, test_output: Path
) -> None:
    shot = test_output / "report-pcp-2021-03.png"
    page = open_offline(report_files["html"], chromium, shot)
    assert page["requests"] == [report_files["html"].as_uri()]
    assert page["svgs"] == page["drawn"] == 32
    assert page["scripts"] == 0
    assert page["scorecards"] == 6  # summary and pillar section for each of three pillars
    assert "Dwelling burglary fell by 39.7%" in str(page["text"])
    assert shot.exists() and shot.stat().st_size > 10_000


def test_pdf_pages_are_a4_and_none_is_blank(
    report_files: dict[str, Path], tmp_path: Path, test_output: Path
) -> None:
    subprocess.run(
        ["pdftoppm", "-r", "30", "-png", str(report_files["pdf"]), str(tmp_path / "page")],
        check=True,
    )
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 10
    for page in pages:
        image = Image.open(page).convert("L")
        assert abs(image.width / image.height - 210 / 297) < 0.02
        lowest, _ = image.getextrema()
        assert lowest < 128, f"{page.name} is blank"
    shutil.copy(pages[0], test_output / "report-pcp-2021-03-pdf-page-1.png")


def test_xlsx_holds_numbers_with_number_formats(report_files: dict[str, Path]) -> None:
    book = openpyxl.load_workbook(report_files["xlsx"])
    assert book.sheetnames == [
        "Summary",
        "Victims",
        "Offenders",
        "Communities",
        "Series",
        "Results",
    ]
    sheet = book["Communities"]
    rows = {sheet.cell(r, 1).value: r for r in range(2, sheet.max_row + 1)}
    burglary = rows["Dwelling burglary"]
    assert (
        sheet.cell(burglary, 2).value == 1242 and sheet.cell(burglary, 2).number_format == "#,##0"
    )
    assert sheet.cell(burglary, 5).data_type == "n"
    rate = rows["Dwelling burglary positive outcome rate"]
    assert round(sheet.cell(rate, 2).value, 1) == 14.3
    assert sheet.cell(rate, 2).number_format == '0.0"%"'
    assert sheet.cell(rate, 6).value == "Comparable"  # over-dispersed monthly rates: methods.md


def test_html_and_xlsx_say_how_many_verdicts_chance_alone_would_give(
    report_files: dict[str, Path],
) -> None:
    text = "32 verdicts tested at 95% confidence; about 2 would show a difference by chance alone."
    assert text in report_files["html"].read_text()
    summary = openpyxl.load_workbook(report_files["xlsx"])["Summary"]
    assert [summary.cell(9, 1).value, summary.cell(9, 2).value] == ["Verdicts tested", text]


def test_csv_is_the_results_for_the_reporting_month(report_files: dict[str, Path]) -> None:
    header = report_files["csv"].read_text().splitlines()[0]
    assert header.startswith("measure_id,area,month,rolling_12m,baseline,change_pct,verdict,method")
