"""The dashboard's "How we compare" page: the funnel plot and the ranked table with intervals
from the bundled Home Office tables, absent figures said, data strings escaped, nothing loaded
from outside the app; and once in headless Chromium."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect, sync_playwright

from policeperf.store import Store
from policeperf.web import Settings, create_app
from policeperf.web.app import TEMPLATES
from policeperf.web.national import national_context
from tests.conftest import CHROMIUM_ARGS
from tests.national_data import POPULATION, PRC_2019, build_store
from tests.web.conftest import Server, free_port


@pytest.fixture(scope="module")
def national_store(tmp_path_factory: pytest.TempPathFactory, demo_store_path: Path) -> Path:
    """The demo store with the 2019/20 PRC table and populations added."""
    path = tmp_path_factory.mktemp("national-web") / "store.duckdb"
    shutil.copy(demo_store_path, path)
    return build_store(path, [PRC_2019, POPULATION])


@pytest.fixture(scope="module")
def web(national_store: Path) -> TestClient:
    return TestClient(create_app(Settings(store=national_store, allowed_hosts=("testserver",))))


def league_rows(html: str) -> list[list[str]]:
    body = html[html.index('<table class="scorecard" id="league">') :]
    body = body[: body.index("</table>")]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S)[1:]
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, flags=re.S)] for r in rows]  # fmt: skip


def test_the_page_ranks_every_force_with_its_interval_and_draws_the_funnel(
    web: TestClient,
) -> None:
    page = web.get("/national?force=Cambridgeshire")
    assert page.status_code == 200
    html = page.text
    assert "<h1>How we compare: Recorded crime (excluding fraud), 2019/20</h1>" in html
    assert '<figure class="chart"' in html and "<svg" in html
    rows = league_rows(html)
    assert len(rows) == 43
    cambs = next(r for r in rows if r[2] == "Cambridgeshire")
    # 68,690 offences / 852,500 people; rank 19 of 43 with interval 19-20.
    assert cambs[:4] == ["19 of 43", "19-20", "Cambridgeshire", "80.57"]
    assert cambs[4] == "within 95% limits"
    assert [r[0] for r in rows] == sorted((r[0] for r in rows), key=lambda t: int(t.split()[0]))
    assert sum("(peer)" in r[2] for r in rows) == 7
    assert "Marshall &amp; Spiegelhalter 1998" in html and "Spiegelhalter 2005" in html


def test_a_measure_the_store_does_not_hold_is_not_available_for_every_force(
    web: TestClient,
) -> None:
    html = web.get("/national?measure=positive_outcome_rate&year=2019/20").text
    assert 'id="national-reason">Not available: no force is held' in html
    rows = league_rows(html)
    assert len(rows) == 43
    assert all(r[3] == "not available" for r in rows)
    assert all("absent from national_outcomes for 2019/20 (years held: none)" in r[4] for r in rows)


def test_unknown_measure_force_or_year_is_refused_in_one_line(web: TestClient) -> None:
    assert web.get("/national?measure=nope").status_code == 404
    assert web.get("/national?force=Narnia").status_code == 404
    assert web.get("/national?year=2019-20").status_code in (400, 422)


def test_the_page_loads_only_the_apps_own_assets(web: TestClient) -> None:
    html = web.get("/national").text
    links = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert links and all(not re.match(r"^[a-z]+:", link) for link in links)
    assert web.get("/static/app.css").status_code == 200


def test_data_strings_are_escaped(national_store: Path) -> None:
    hostile = "<script>alert(1)</script>"
    with Store(national_store, read_only=True) as db:
        context = national_context(db, hostile, "recorded_crime", "2019/20", None)
    html = TEMPLATES.env.get_template("national.html").render(
        framework=type("F", (), {"title": "pcp"})(), force=hostile, **context
    )
    assert hostile not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_page_in_a_browser_offline(national_store: Path, chromium: str) -> None:
    outside: list[str] = []
    with Server(Settings(store=national_store, port=free_port())) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.on("request", lambda r: None if r.url.startswith(server.url) else outside.append(r.url))  # fmt: skip
        page.goto(server.url + "/national")
        page.select_option("select[name=force]", "Kent")
        page.wait_for_url("**force=Kent**")
        expect(page.locator("h1")).to_contain_text("Recorded crime (excluding fraud), 2019/20")
        expect(page.locator("#league tbody tr")).to_have_count(43)
        expect(page.locator("#league tr.level-force")).to_contain_text("Kent")
        assert page.locator("figure.chart svg path").count() > 3
        browser.close()
    assert outside == []


def test_the_forces_held_are_those_with_their_own_records(national_store: Path) -> None:
    """Published national tables cover every force; the dashboard's choice of force, and of the
    latest month, reads only the forces' own record tables."""
    from policeperf.web.service import _forces_held

    with Store(national_store, read_only=True) as db:
        assert _forces_held(db) == ["Demo Constabulary"]
