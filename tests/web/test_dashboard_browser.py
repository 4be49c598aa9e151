"""The dashboard in headless Chromium: overview, month and area pickers, a measure page, the CSV
download checked against the results table; screenshots saved to test-output/."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from policeperf.engine import evaluate
from policeperf.store import Store
from tests.conftest import CHROMIUM_ARGS
from tests.web.conftest import Server


def test_overview_pickers_measure_page_and_csv_download(
    dashboard: Server, chromium: str, test_output: Path, demo_store_path: Path
) -> None:
    with Store(demo_store_path, read_only=True) as db:
        truth = evaluate(db, "pcp", "2021-03")
    truth = truth[
        (truth["month"] == date(2021, 3, 1)) & (truth["measure_id"] == "dwelling_burglary_crime")
    ].set_index("area")
    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(
            accept_downloads=True, viewport={"width": 1280, "height": 1000}
        )
        page = context.new_page()
        page.on(
            "request",
            lambda r: outside.append(r.url) if not r.url.startswith(dashboard.url) else None,
        )
        page.goto(dashboard.url + "/")
        expect(page.locator("h1")).to_contain_text("12 months to March 2022")
        page.screenshot(path=str(test_output / "dashboard-overview.png"))

        page.select_option("select[name=month]", "2021-03")
        page.wait_for_url("**month=2021-03**")
        expect(page.locator("h1")).to_contain_text("12 months to March 2021")
        page.select_option("select[name=area]", "North")
        page.wait_for_url("**area=North**")
        row = page.locator("table.scorecard tr", has_text="Dwelling burglary").first
        expect(row).to_contain_text(f"{truth.loc['North', 'rolling_12m']:,.0f}")

        page.select_option("select[name=area]", "all")
        page.wait_for_url("**area=all**")
        page.get_by_role("link", name="Dwelling burglary", exact=True).click()
        page.wait_for_url("**/measures/dwelling_burglary_crime**")
        expect(page.locator("h1")).to_have_text("Dwelling burglary")
        expect(page.locator(".commentary")).to_contain_text("fell by 39.7%")
        assert page.locator("figure.chart svg path").count() > 5
        expect(page.locator("#areas")).to_contain_text("Northam")
        page.screenshot(path=str(test_output / "dashboard-measure.png"), full_page=True)

        with page.expect_download() as info:
            page.click("#download-csv")
        download = info.value
        text = Path(download.path()).read_text()
        browser.close()
    rows = {r["area"]: r for r in csv.DictReader(io.StringIO(text))}
    assert set(rows) == set(truth.index)
    for area, row in rows.items():
        assert float(row["rolling_12m"]) == truth.loc[area, "rolling_12m"]
        assert float(row["baseline"]) == truth.loc[area, "baseline"]
        assert row["verdict"] == truth.loc[area, "verdict"]
    assert outside == []
    assert (test_output / "dashboard-measure.png").stat().st_size > 10_000
