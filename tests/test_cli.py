"""The command line: help on every command, exit codes, one-line errors, JSON output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from policeperf.cli import app
from tests.conftest import CAMBS_2024, HOME_OFFICE, policeperf

runner = CliRunner()


def commands() -> list[list[str]]:
    root = get_command(app)
    found: list[list[str]] = [[]]
    for name, command in root.commands.items():  # type: ignore[attr-defined]
        found.append([name])
        for sub in getattr(command, "commands", {}):
            found.append([name, sub])
    return found


@pytest.mark.parametrize("words", commands(), ids=lambda w: " ".join(w) or "policeperf")
def test_every_command_has_help(words: list[str]) -> None:
    result = runner.invoke(app, [*words, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output


def test_a_wrong_file_is_one_line_on_stderr_and_exit_1(tmp_path: Path) -> None:
    bad = tmp_path / "2024-01-x-street.csv"
    bad.write_text("Name,Age\nA,1\n")
    done = policeperf("ingest", "police-uk", str(bad), "--store", str(tmp_path / "s.duckdb"))
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"error: {bad}: header is not a data.police.uk file header")
    assert "Traceback" not in done.stderr


def test_bad_usage_exits_2(tmp_path: Path) -> None:
    done = policeperf("ingest", "police-uk", "--no-such-option")
    assert done.returncode == 2


def test_ingest_and_status_write_only_json_to_stdout(tmp_path: Path) -> None:
    store = str(tmp_path / "s.duckdb")
    done = policeperf("ingest", "home-office", str(HOME_OFFICE), "--store", store, "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["rows_in"] == report["rows_accepted"] + report["rows_quarantined"] == 23_068
    again = json.loads(
        policeperf("ingest", "home-office", str(HOME_OFFICE), "--store", store, "--json").stdout
    )
    assert again["files_already_ingested"] == 1
    status = json.loads(policeperf("status", "--store", store, "--json").stdout)
    assert status["tables"]["ho_recorded_crime"] == 23_068
    assert status["sources"][0]["rows_in"] == 23_068


def test_status_reports_months_covered_and_quarantine(tmp_path: Path) -> None:
    store = str(tmp_path / "s.duckdb")
    assert (
        policeperf("ingest", "police-uk", str(CAMBS_2024), "--store", store, "--json").returncode
        == 0
    )
    status = json.loads(policeperf("status", "--store", store, "--json").stdout)
    crimes = [c for c in status["coverage"] if c["table"] == "crimes"]
    assert crimes == [
        {"force": "Cambridgeshire Constabulary", "table": "crimes", "source": "police-uk",
         "covered": ["2024-01..2024-12"], "gaps": [], "first_month": "2024-01",
         "last_month": "2024-12", "months": 12, "rows": 69_622, "summary": "2024-01..2024-12"}
    ]  # fmt: skip
    assert status["quarantine"][0]["check"] == "duplicate"
    assert status["outside_districts"]["crimes"] > 0
    text = policeperf("status", "--store", store)
    assert text.returncode == 0 and "Coverage" in text.stdout


def test_status_on_a_missing_store_is_a_clear_error(tmp_path: Path) -> None:
    done = policeperf("status", "--store", str(tmp_path / "none.duckdb"))
    assert done.returncode == 1
    assert "no store here" in done.stderr


def test_table_command_refuses_a_mapping_for_another_table(tmp_path: Path) -> None:
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "table: calls\ncolumns: {call_id: A, force: B, line: C, received_at: D, abandoned: E}\n"
    )
    data = tmp_path / "x.csv"
    data.write_text("A,B,C,D,E\n")
    done = policeperf(
        "ingest",
        "table",
        "crimes",
        str(data),
        "--mapping",
        str(mapping),
        "--store",
        str(tmp_path / "s.duckdb"),
    )
    assert done.returncode == 1
    assert "maps table 'calls', but the command names 'crimes'" in done.stderr
