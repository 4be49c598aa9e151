"""The dashboard on data it cannot fully use: no 5xx for a data condition, pickers offer only
months with data, and unavailable figures say why."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from policeperf.calendar import add_months
from policeperf.errors import PolicePerfError
from policeperf.framework import load_framework
from policeperf.ingest.run import ingest_police_uk
from policeperf.store import Store
from policeperf.web import Settings, create_app
from policeperf.web.service import ResultsService
from tests.policeuk_files import write_street_files

CAMBS = "Cambridgeshire Constabulary"
HELD = [add_months(date(2021, 1, 1), k) for k in range(20) if not 6 <= k <= 9]  # gap Jul-Oct 2021
SHIPPED = ("pcp", "police-uk")
TEST_HOST = ("testserver",)  # the Host header of the test client


@pytest.fixture(scope="module")
def street_only(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("street-only")
    write_street_files(folder, slug="cambridgeshire", force=CAMBS, months=HELD)
    path = folder / "store.duckdb"
    with Store(path) as db:
        ingest_police_uk(db, [folder])
    return path


def crawl(client: TestClient, start: list[str], limit: int = 120) -> dict[str, int]:
    """Every page reachable from `start` (downloads apart), with its status code."""
    seen: dict[str, int] = {}
    todo = list(start)
    while todo and len(seen) < limit:
        url = todo.pop(0)
        if url in seen:
            continue
        response = client.get(url)
        seen[url] = response.status_code
        if "html" in response.headers.get("content-type", ""):
            for href in re.findall(r'href="(/[^"#]*)"', response.text):
                href = href.replace("&amp;", "&")
                if not href.startswith(("/static", "/download")) and href not in seen:
                    todo.append(href)
    return seen


@pytest.mark.parametrize("framework", SHIPPED)
def test_no_page_of_any_shipped_framework_answers_5xx_on_a_street_only_store(
    street_only: Path, framework: str
) -> None:
    app = create_app(
        Settings(store=street_only, framework=framework, force=CAMBS, allowed_hosts=TEST_HOST)
    )
    client = TestClient(app, raise_server_exceptions=False)
    pages = crawl(client, ["/", "/api/months", "/api/measures", "/api/results", "/harm"])
    assert len(pages) > 10
    assert {url: code for url, code in pages.items() if code >= 500} == {}


def test_a_framework_none_of_whose_tables_the_store_holds_is_a_data_condition_not_a_5xx(
    street_only: Path,
) -> None:
    """The operations framework reads activities, investigations and incidents; a store of
    street files alone has none of them, so no month has data for it."""
    app = create_app(
        Settings(store=street_only, framework="operations", force=CAMBS, allowed_hosts=TEST_HOST)
    )
    client = TestClient(app, raise_server_exceptions=False)
    pages = crawl(client, ["/", "/api/results", "/harm"])
    assert set(pages.values()) <= {200, 404, 409}
    assert pages["/"] == 409
    assert "no measure of framework &#39;operations&#39; has data" in client.get("/").text


def test_pickers_offer_only_months_with_data_and_unavailable_figures_say_why(
    street_only: Path,
) -> None:
    client = TestClient(
        create_app(
            Settings(store=street_only, framework="police-uk", force=CAMBS, allowed_hosts=TEST_HOST)
        )
    )
    months = client.get("/api/months").json()
    assert months[0] == "2022-08"
    assert not {"2021-07", "2021-08", "2021-09", "2021-10"} & set(months)
    assert client.get("/?month=2021-08").status_code == 404
    page = client.get("/").text
    assert "Not available" in page and "no outcomes data" in page
    assert "0.0%" not in page
    rate = client.get("/measures/all_crime_outcome_rate").text
    assert "no outcomes data" in rate and "0.0%" not in rate


def test_a_framework_for_another_force_is_refused_before_serving_and_explained_on_pages(
    street_only: Path,
) -> None:
    settings = Settings(store=street_only, framework="pcp", allowed_hosts=TEST_HOST)  # pcp: Demo
    with pytest.raises(PolicePerfError, match="store holds data for Cambridgeshire Constabulary"):
        ResultsService(settings).check_force()
    assert ResultsService(Settings(store=street_only, framework="police-uk")).check_force() == CAMBS
    client = TestClient(create_app(settings), raise_server_exceptions=False)
    page = client.get("/")
    assert page.status_code == 409 and "Demo Constabulary" in page.text
    assert load_framework("pcp").force == "Demo Constabulary"
