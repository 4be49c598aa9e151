"""The command line: help on every command, exit codes, one-line errors, JSON output."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from policeperf.cli import app
from tests.conftest import CAMBS_2018_2020, CAMBS_2024, HOME_OFFICE, policeperf

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


# -- issue 9, item 10: one line, never a traceback, with the documented exit code ----------------

STREET_HEADER_LINE = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
    "Crime type,Last outcome category,Context"
)
STREET_ROW = (
    "{id},{month},Cambridgeshire Constabulary,Cambridgeshire Constabulary,0.13,52.2,"
    "On or near Mill Road,E01017983,Cambridge 007C,Burglary,Under investigation,"
)
CRIMES_MAPPING = """\
table: crimes
constants: {force: Test Force, date_precision: day}
columns:
  crime_id: REF
  recorded_date: RECORDED
  offence_code: CODE
"""


def one_line_error(result: object, code: int = 1) -> str:
    """The single stderr line of a failed command (checked: exit code, no traceback)."""
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)  # type: ignore[attr-defined]
    assert result.exception is None or isinstance(result.exception, SystemExit)  # type: ignore[attr-defined]
    lines = result.stderr.strip().splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1, result.stderr  # type: ignore[attr-defined]
    assert "Traceback" not in result.stderr  # type: ignore[attr-defined]
    return lines[0]


def street_file(folder: Path, months: list[str]) -> Path:
    path = folder / "2024-01-cambridgeshire-street.csv"
    rows = [STREET_ROW.format(id=f"c{i}", month=m) for i, m in enumerate(months)]
    path.write_text("\n".join([STREET_HEADER_LINE, *rows]) + "\n")
    return path


def test_month_0000_01_is_quarantined_in_a_file_and_bad_usage_as_an_option(tmp_path: Path) -> None:
    path = street_file(tmp_path, ["2024-01", "0000-01"])
    done = runner.invoke(
        app, ["ingest", "police-uk", str(path), "--store", str(tmp_path / "s.duckdb"), "--json"]
    )
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout)["batches"][0]["quarantined_by_check"] == {"out_of_range": 1}
    usage = runner.invoke(
        app,
        [
            "evaluate",
            "--framework",
            "pcp",
            "--month",
            "0000-01",
            "--store",
            str(tmp_path / "s.duckdb"),
        ],
    )
    assert usage.exit_code == 2 and "Traceback" not in usage.stderr


@pytest.mark.parametrize("raised", [KeyboardInterrupt(), "duckdb"])
def test_ctrl_c_exits_130_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, raised: object
) -> None:
    import duckdb

    def interrupted(*args: object, **kwargs: object) -> None:
        raise (
            raised
            if isinstance(raised, BaseException)
            else duckdb.InterruptException("INTERRUPT Error: Interrupted!")
        )

    monkeypatch.setattr("policeperf.ingest.run.run_batches", interrupted)
    path = street_file(tmp_path, ["2024-01"])
    done = runner.invoke(
        app, ["ingest", "police-uk", str(path), "--store", str(tmp_path / "s.duckdb"), "--json"]
    )
    assert one_line_error(done, 130) == "interrupted; nothing half-done was kept"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("REF,,CODE,RECORDED", "header column 2 has no name"),
        ("REF,CODE,REF,RECORDED", "header names 'REF' more than once"),
    ],
)
def test_blank_or_repeated_header_names_are_one_line(
    tmp_path: Path, header: str, expected: str
) -> None:
    (tmp_path / "m.yaml").write_text(CRIMES_MAPPING)
    (tmp_path / "c.csv").write_text(header + "\nT1,x,28E,2021-01-01\n")
    done = runner.invoke(app, ["ingest", "table", "crimes", str(tmp_path / "c.csv"), "--mapping", str(tmp_path / "m.yaml"),
                               "--store", str(tmp_path / "s.duckdb")])  # fmt: skip
    assert expected in one_line_error(done)


def test_parquet_struct_list_and_binary_columns_are_read_as_text(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({
        "REF": ["T1", "T2"], "RECORDED": ["2021-01-01", "2021-01-02"], "CODE": ["28E", "28E"],
        "S": pa.array([{"a": 1}, {"a": 2}]), "L": pa.array([[1, 2], []]), "B": pa.array([b"\x00\xff", b"x"]),
    })  # fmt: skip
    pq.write_table(table, tmp_path / "c.parquet")
    (tmp_path / "m.yaml").write_text(CRIMES_MAPPING + "  location: S\n  district: B\n")
    done = runner.invoke(app, ["ingest", "table", "crimes", str(tmp_path / "c.parquet"), "--mapping", str(tmp_path / "m.yaml"),
                               "--store", str(tmp_path / "s.duckdb"), "--json"])  # fmt: skip
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout)["rows_in"] == 2


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ('delimiter: "\\""\n', "m.yaml:7 delimiter: got '\"'; expected one character"),
        ("", "m.yaml:5 columns.recorded_date.format: got '%Q'; not a strptime date format"),
        ("x: " + "[" * 100 + "]" * 100 + "\n", "m.yaml:7: nested more than 32 levels deep"),
    ],
)
def test_mapping_problems_are_one_line(tmp_path: Path, extra: str, expected: str) -> None:
    text = CRIMES_MAPPING + extra
    if not extra:
        text = text.replace(
            "recorded_date: RECORDED", 'recorded_date: {from: RECORDED, format: "%Q"}'
        )
    (tmp_path / "m.yaml").write_text(text)
    (tmp_path / "c.csv").write_text("REF,RECORDED,CODE\nT1,2021-01-01,28E\n")
    done = runner.invoke(app, ["ingest", "table", "crimes", str(tmp_path / "c.csv"), "--mapping", str(tmp_path / "m.yaml"),
                               "--store", str(tmp_path / "s.duckdb")])  # fmt: skip
    assert one_line_error(done).startswith(
        f"error: {tmp_path / 'm.yaml'}" + expected.removeprefix("m.yaml")
    )


def test_a_full_disk_while_unpacking_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno
    import zipfile

    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(street_file(tmp_path, ["2024-01"]), "2024-01/2024-01-cambridgeshire-street.csv")
    real_open = Path.open

    def full(self: Path, mode: str = "r", *args: object, **kwargs: object) -> object:
        if mode == "wb":
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return real_open(self, mode, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "open", full)
    done = runner.invoke(
        app, ["ingest", "police-uk", str(archive), "--store", str(tmp_path / "s.duckdb")]
    )
    line = one_line_error(done)
    assert line.startswith(f"error: {archive}: cannot unpack") and line.endswith(
        "No space left on device"
    )


def test_a_full_tmpdir_or_store_disk_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    import duckdb

    path = street_file(tmp_path, ["2024-01"])
    store = str(tmp_path / "s.duckdb")

    def no_tmp(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", "/tmp/policeperf-ingest-1-x")

    monkeypatch.setattr("tempfile.TemporaryDirectory", no_tmp)
    done = runner.invoke(app, ["ingest", "police-uk", str(path), "--store", store, "--json"])
    assert one_line_error(done) == "error: /tmp/policeperf-ingest-1-x: No space left on device"
    monkeypatch.undo()

    def no_disk(*args: object, **kwargs: object) -> None:
        raise duckdb.IOException(
            'IO Error: Could not write file "s.duckdb.wal": No space left on device'
        )

    monkeypatch.setattr("policeperf.ingest.run.run_batches", no_disk)
    done = runner.invoke(app, ["ingest", "police-uk", str(path), "--store", store, "--json"])
    assert "the store cannot be written (IO Error: Could not write file" in one_line_error(done)


@pytest.mark.parametrize(
    "command", [["synth", "--no-ingest"], ["report", "--framework", "pcp", "--month", "2021-03"]]
)
def test_an_out_folder_that_is_a_file_is_bad_usage(tmp_path: Path, command: list[str]) -> None:
    (tmp_path / "taken").write_text("mine")
    done = runner.invoke(
        app, [*command, "--out", str(tmp_path / "taken"), "--store", str(tmp_path / "s.duckdb")]
    )
    assert done.exit_code == 2
    assert "is a file; expected a folder" in " ".join(done.stderr.replace("│", " ").split())
    assert (tmp_path / "taken").read_text() == "mine"


def test_a_damaged_store_is_refused_when_opened_for_writing(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    assert (
        runner.invoke(
            app, ["ingest", "home-office", str(HOME_OFFICE), "--store", str(store)]
        ).exit_code
        == 0
    )
    size = store.stat().st_size
    with store.open("r+b") as handle:
        for offset in range(size // 3, size // 3 + 200_000, 4096):
            handle.seek(offset)
            handle.write(b"\xde\xad\xbe\xef" * 16)
    path = street_file(tmp_path, ["2024-01"])
    line = one_line_error(
        runner.invoke(app, ["ingest", "police-uk", str(path), "--store", str(store)])
    )
    assert line.startswith(f"error: {store}: the store is damaged (table ")
    assert line.endswith("restore it from a backup")


FRAMEWORK = """\
name: tiny
title: Tiny
version: "1"
force: Test Force
settings:
  {setting}
pillars:
  - id: p
    name: Pillar
    priorities:
      - id: q
        name: Priority
        focus_areas:
          - id: f
            name: Focus
            measures:
              - {{id: all_crime, name: All crime, kind: count}}
"""


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        (
            "baseline: banana",
            ":6 settings.baseline: got 'banana'; expected previous_financial_year or a financial year such as 2019/20",
        ),
        (
            "spc: {rebase: [April 2020]}",
            ":6 settings.spc.rebase: got 'April 2020'; expected months as YYYY-MM, e.g. 2020-04",
        ),
        (
            "spc: {fix_after_points: 6}",
            ":6 settings.spc.fix_after_points: got 6; input should be greater than or equal to 12",
        ),
        (
            "spc: {limits_period: [2020-03, 2019-04]}",
            ":6 settings.spc.limits_period: got ['2020-03', '2019-04']; expected the first month, then the last",
        ),
        (
            "spc: {limits_period: [2019-04, 2020-03], fix_after_points: 12}",
            ":6 settings.spc: fix_after_points and limits_period: expected one way to fix the limits",
        ),
        (
            "spc: {baseline_points: 12}",
            ":6 settings.spc: baseline_points is now fix_after_points (at least 12); leave it out "
            "to take the limits from every point, as NHSRplotthedots does",
        ),
    ],
)
def test_framework_settings_are_checked_when_loaded(
    tmp_path: Path, setting: str, expected: str
) -> None:
    (tmp_path / "f.yaml").write_text(FRAMEWORK.format(setting=setting))
    from policeperf.store import Store

    Store(tmp_path / "s.duckdb").close()
    done = runner.invoke(app, ["evaluate", "--framework", str(tmp_path / "f.yaml"), "--month", "2021-03",
                               "--store", str(tmp_path / "s.duckdb")])  # fmt: skip
    assert one_line_error(done) == f"error: {tmp_path / 'f.yaml'}{expected}"


def test_evaluate_parquet_without_out_is_bad_usage(tmp_path: Path) -> None:
    done = runner.invoke(app, ["evaluate", "--framework", "pcp", "--month", "2021-03", "--format", "parquet",
                               "--store", str(tmp_path / "s.duckdb")])  # fmt: skip
    assert done.exit_code == 2
    assert "parquet is binary; name a file with --out" in " ".join(
        done.stderr.replace("│", " ").split()
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [("name\nA\n", "expected a header with person_id"), ("person_id,x\n,1\n", ":2 person_id: missing"),
     (b"person_id\n\xff\xfe\n", "not a UTF-8 CSV file")],
)  # fmt: skip
def test_harm_cohort_with_one_adoption_date_and_a_malformed_people_file_is_one_line(
    tmp_path: Path, text: str | bytes, expected: str
) -> None:
    people = tmp_path / "people.csv"
    people.write_bytes(text if isinstance(text, bytes) else text.encode())
    done = runner.invoke(app, ["harm", "cohort", "--people", str(people), "--adopted", "2020-04-01",
                               "--store", str(tmp_path / "none.duckdb")])  # fmt: skip
    assert expected in one_line_error(done)


def _default_signals() -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_real_interrupt_exits_130_rolls_back_and_removes_temporary_folders(
    tmp_path: Path, sig: signal.Signals
) -> None:
    store = tmp_path / "s.duckdb"
    command = [sys.executable, "-m", "policeperf", "ingest", "police-uk", str(CAMBS_2018_2020),
               "--store", str(store), "--json"]  # fmt: skip
    # A test worker may run with SIGINT ignored, which a child inherits (and Python then installs
    # no Ctrl+C handler): start the command as a terminal would, with default dispositions.
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=_default_signals)  # fmt: skip
    folders = Path(tempfile.gettempdir()).glob
    deadline = time.monotonic() + 60
    while not list(folders(f"policeperf-ingest-{process.pid}-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # into the unpacking or the first queries
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert stderr.strip().splitlines() == ["interrupted; nothing half-done was kept"]
    assert list(folders(f"policeperf-ingest-{process.pid}-*")) == []
    from policeperf.store import Store

    with Store(store, read_only=True) as db:
        assert db.scalar("SELECT count(*) FROM ingest_batches") == 0


def test_the_report_loads_scipy_stats_only_when_it_ranks_forces() -> None:
    probe = "import sys, policeperf.report.board; print('scipy.stats' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_the_command_line_starts_without_the_heavy_modules_its_commands_import_when_run() -> None:
    heavy = ("scipy.stats", "pyarrow", "openpyxl", "weasyprint", "altair", "vl_convert",
             "fastapi", "uvicorn", "policeperf.ingest.run", "policeperf.engine")  # fmt: skip
    probe = f"import sys, policeperf.cli; print([m for m in {heavy!r} if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
