"""One board report for paper and screen: the dashboard's downloads are the very files the
`report` command writes for the same store, framework, month and options, and the report's
provenance names only the batches that fed its results."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from policeperf.cli import app
from policeperf.engine import evaluate
from policeperf.framework import load_framework
from policeperf.report import board
from policeperf.store import Store
from policeperf.web import Settings
from policeperf.web.service import ResultsService
from tests.conftest import CAMBS_2024
from tests.web.conftest import client

AS_AT = datetime(2021, 4, 6, 9, 30, tzinfo=UTC)
"""One reading time for both: the report states when the store was read, and the command line
and the dashboard would otherwise read it seconds apart."""


def read_at_as_at(*args: Any, **kwargs: Any) -> pd.DataFrame:
    return evaluate(*args, **{**kwargs, "as_at": AS_AT})


@pytest.mark.slow
def test_dashboard_downloads_are_byte_for_byte_the_command_lines_report(
    demo_store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(board, "evaluate", read_at_as_at)
    done = CliRunner().invoke(app, ["report", "--framework", "pcp", "--month", "2021-03",
                                    "--store", str(demo_store_path), "--format", "html,pdf,xlsx,csv",
                                    "--out", str(tmp_path)])  # fmt: skip
    assert done.exit_code == 0, done.output
    settings = Settings(store=demo_store_path, port=8000)
    web = client(settings, ResultsService(settings, evaluate=read_at_as_at))
    for fmt in ("html", "pdf", "xlsx", "csv"):
        got = web.get(f"/download/report.{fmt}?month=2021-03")
        assert got.status_code == 200, got.text
        assert f'filename="pcp-2021-03.{fmt}"' in got.headers["content-disposition"]
        written = (tmp_path / f"pcp-2021-03.{fmt}").read_bytes()
        assert got.content == written, fmt
    html = (tmp_path / "pcp-2021-03.html").read_text(encoding="utf-8")
    assert "2021-04-06T09:30:00Z" in html and "Batches: table crimes" in html
    assert web.get("/download/report.docx?month=2021-03").status_code == 400


def test_provenance_names_only_the_batches_that_fed_the_results(
    demo_store_path: Path, tmp_path: Path
) -> None:
    import shutil

    from policeperf.ingest.run import ingest_police_uk

    path = tmp_path / "two-forces.duckdb"
    shutil.copy(demo_store_path, path)
    with Store(path) as db:
        ingest_police_uk(db, [CAMBS_2024])
        results = evaluate(db, load_framework("pcp"), date(2021, 3, 1), as_at=AS_AT,
                           row_months={"force": [date(2021, 3, 1)], "area": [], "district": []})  # fmt: skip
        lines = dict(board.provenance_lines(db, results, date(2021, 3, 1)))
        held = {str(s) for (s,) in db.fetchall("SELECT DISTINCT source FROM ingest_batches")}
    assert held == {"police-uk", "table"}
    assert lines["Results as at"] == "2021-04-06T09:30:00Z"
    batches = {k for k in lines if k.startswith("Batches: ")}
    assert batches and all(k.startswith("Batches: table ") for k in batches)
    coverage = [k for k in lines if k.startswith("Coverage: ")]
    assert coverage and not any("police-uk" in k for k in coverage)
