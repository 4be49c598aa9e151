"""The dashboard's guards: loopback by default, token everywhere else, inert data strings,
no path from a request to the file system, errors as pages without stack traces."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from policeperf.errors import PolicePerfError
from policeperf.web import Settings, check_bind
from tests.conftest import policeperf
from tests.hostile import SCRIPT, hostile_store
from tests.web.conftest import client

TOKEN = "s3cret-token-of-24-chars"


def test_binding_beyond_loopback_without_a_token_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PolicePerfError, match=r"refusing to listen on 0\.0\.0\.0 without a token"):
        check_bind(Settings(store=tmp_path / "s.duckdb", host="0.0.0.0"))
    check_bind(Settings(store=tmp_path / "s.duckdb"))  # loopback: fine
    with pytest.raises(PolicePerfError, match="at least 16"):
        check_bind(Settings(store=tmp_path / "s.duckdb", host="0.0.0.0", token="short"))


def test_serve_refuses_a_public_bind_without_a_token_and_exits_1(tmp_path: Path) -> None:
    done = policeperf(
        "serve", "--host", "0.0.0.0", "--store", str(tmp_path / "x.duckdb"), timeout=60
    )
    assert done.returncode == 1
    assert "refusing to listen on 0.0.0.0 without a token (--token-file" in done.stderr


@pytest.fixture(scope="module")
def guarded(demo_store_path: Path) -> TestClient:
    return client(Settings(store=demo_store_path, host="0.0.0.0", token=TOKEN))


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/measures/all_crime",
        "/api/results",
        "/api/openapi.json",
        "/download/results.csv",
        "/static/app.css",
    ],
)
def test_every_request_without_the_token_gets_401(guarded: TestClient, path: str) -> None:
    assert guarded.get(path).status_code == 401
    assert (
        guarded.get(path, headers={"Authorization": "Bearer wrong-token-wrong-token"}).status_code
        == 401
    )


def test_the_token_is_accepted_as_header_query_or_cookie(guarded: TestClient) -> None:
    assert (
        guarded.get("/api/months", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    )
    guarded.cookies.clear()
    first = guarded.get(f"/api/months?token={TOKEN}")  # sets the cookie, then redirects
    assert first.status_code == 200 and "policeperf_token" in guarded.cookies
    assert guarded.get("/api/measures").status_code == 200  # the browser's cookie now carries it
    guarded.cookies.clear()
    assert guarded.get("/api/months").json() == {
        "error": {"status": 401, "message": "a valid token is required"}
    }


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    """A store whose district names are an XSS payload and a spreadsheet formula."""
    store, framework_file = hostile_store(tmp_path_factory.mktemp("hostile"))
    return client(Settings(store=store, framework=str(framework_file)))


def test_an_xss_payload_in_a_district_name_is_rendered_inert(hostile: TestClient) -> None:
    for url in ("/?area=" + SCRIPT, "/measures/all_crime?area=" + SCRIPT, "/measures/all_crime"):
        page = hostile.get(url, params=None)
        assert page.status_code == 200, url
        assert SCRIPT not in page.text
        assert "&lt;script&gt;alert(&#39;owned&#39;)&lt;/script&gt;" in page.text
        assert page.text.count("<script") == 1  # only the page's own /static/app.js


def test_downloads_are_safe_from_formula_injection(hostile: TestClient) -> None:
    text = hostile.get("/download/results.csv").text
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text


@pytest.mark.parametrize(
    "path",
    [
        "/static/../../../../etc/passwd",
        "/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/static/..%2f..%2f..%2fetc%2fpasswd",
        "/measures/..%2f..%2f..%2fetc%2fpasswd",
        "/measures/../../../etc/passwd",
        "/download/..%2f..%2fpyproject.toml",
        "/api/results?measure_id=../../etc/passwd",
    ],
)
def test_path_traversal_is_refused(hostile: TestClient, path: str) -> None:
    response = hostile.get(path)
    assert response.status_code in (400, 404)
    assert "root:" not in response.text and "[project]" not in response.text


def test_errors_are_pages_with_a_message_never_a_stack_trace(hostile: TestClient) -> None:
    page = hostile.get("/measures/no_such_measure")
    assert page.status_code == 404
    assert "no such measure" in page.text and "Traceback" not in page.text
    bad = hostile.get("/?month=March")
    assert bad.status_code == 400 and "month" in bad.text
    assert hostile.get("/?month=2021-13").status_code == 400
    api = hostile.get("/api/results?month=1999-01")
    assert api.status_code == 404
    assert api.json()["error"]["message"].startswith(
        "no data for 1999-01: that month was not received"
    )
