"""Issue 9 item 14: any ingest while the dashboard served made every page 500. A writer holds
DuckDB's lock on the store for the whole ingest; the dashboard now serves the last complete
results with a "store updating" notice, and a page never computed answers 503, not 500."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from policeperf.web import Settings
from policeperf.web.app import STORE_NOTICE, STORE_NOTICE_MARK
from policeperf.web.service import ResultsService
from tests.web.conftest import client

HOLD = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("CREATE TABLE scratch AS SELECT 1 AS x")  # a write in progress: the log grows
print("holding", flush=True)
sys.stdin.read()
"""


@pytest.fixture
def store_copy(tmp_path: Path, demo_store_path: Path) -> Path:
    path = tmp_path / "store.duckdb"
    shutil.copyfile(demo_store_path, path)
    return path


@pytest.fixture
def ingest_holding(store_copy: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process with the store open for writing, as `policeperf ingest` has it."""
    process = subprocess.Popen([sys.executable, "-c", HOLD, str(store_copy)], text=True,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE)  # fmt: skip
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait(timeout=30)


def test_pages_show_the_last_results_with_a_notice_while_an_ingest_holds_the_store(
    store_copy: Path, request: pytest.FixtureRequest
) -> None:
    settings = Settings(store=store_copy)
    dashboard: TestClient = client(settings, ResultsService(settings, store_wait_s=0.5))
    before = dashboard.get("/")
    months = dashboard.get("/api/months").json()
    assert before.status_code == 200 and STORE_NOTICE not in before.text

    ingest = request.getfixturevalue("ingest_holding")
    assert ingest.stdout is not None and ingest.stdout.readline().strip() == "holding"
    during = dashboard.get("/")
    assert during.status_code == 200 and during.headers["x-store-updating"] == "1"
    assert during.text.replace(STORE_NOTICE, STORE_NOTICE_MARK, 1) == before.text
    assert dashboard.get("/api/months").json() == months
    cached_results = dashboard.get("/measures/all_crime?area=North")
    assert cached_results.status_code == 200 and STORE_NOTICE in cached_results.text

    for never_computed in ("/?month=2020-06", "/harm", "/api/results?month=2020-06"):
        page = dashboard.get(never_computed)
        assert page.status_code == 503, never_computed
        assert "the store is being updated (an ingest is running)" in page.text
        assert page.headers["retry-after"] == "5" and "Traceback" not in page.text
    assert ingest.poll() is None  # the ingest held the store throughout

    assert ingest.stdin is not None
    ingest.stdin.close()
    ingest.wait(timeout=30)
    after = dashboard.get("/")
    assert after.status_code == 200 and STORE_NOTICE not in after.text
    assert dashboard.get("/?month=2020-06").status_code == 200
