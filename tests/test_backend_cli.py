"""--backend, --spark-master and --data on the command line: the Parquet export read on DuckDB
gives the store's results, and every way it cannot run is one line."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from policeperf.cli import app
from tests.test_cli import one_line_error

runner = CliRunner()
EVALUATE = ["evaluate", "--framework", "pcp", "--month", "2021-03"]


@pytest.fixture(scope="module")
def demo_parquet(demo_store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("export") / "pq"
    done = runner.invoke(app, ["export", "parquet", "--store", str(demo_store_path),
                               "--out", str(folder)])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "crimes" in done.stdout and "by force, month" in done.stdout
    return folder


def test_every_month_read_from_the_export_on_duckdb_equals_the_store(
    demo_store_path: Path, demo_parquet: Path
) -> None:
    """Not-available rows included: the export carries the coverage table, so every status and
    reason is the same."""
    duck = runner.invoke(app, [*EVALUATE, "--all-months", "--store", str(demo_store_path)])
    data = runner.invoke(app, [*EVALUATE, "--all-months", "--data", str(demo_parquet)])
    assert duck.exit_code == 0 and data.exit_code == 0, (duck.output, data.output)
    read = [pd.read_csv(io.StringIO(done.stdout), dtype=str, keep_default_na=False)
            for done in (duck, data)]  # fmt: skip
    assert (read[0]["status"] != "ok").any()
    pd.testing.assert_frame_equal(read[0].drop(columns="as_at"), read[1].drop(columns="as_at"))


def test_spark_missing_is_one_line_naming_the_extra(
    demo_parquet: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("policeperf.store.spark.find_spec", lambda name: None)
    done = runner.invoke(app, [*EVALUATE, "--backend", "spark", "--data", str(demo_parquet)])
    assert "pip install 'policeperf[spark]'" in one_line_error(done)


def test_java_missing_is_one_line(demo_parquet: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", "")
    done = runner.invoke(app, [*EVALUATE, "--backend", "spark", "--data", str(demo_parquet)])
    assert "needs a Java runtime" in one_line_error(done)


def test_a_folder_that_is_not_an_export_is_one_line(tmp_path: Path) -> None:
    done = runner.invoke(app, [*EVALUATE, "--data", str(tmp_path / "absent")])
    assert one_line_error(done).endswith("absent: no such folder")
    done = runner.invoke(app, [*EVALUATE, "--data", str(tmp_path)])
    assert "not a policeperf Parquet export" in one_line_error(done)


@pytest.mark.parametrize(
    ("options", "hint"),
    [
        (["--backend", "sparkk"], "--backend"),
        (["--spark-master", "local[2]"], "--spark-master"),
        (["--data", "x", "--store", "y.duckdb"], "--data"),
    ],
)
def test_bad_backend_options_are_usage_errors(options: list[str], hint: str) -> None:
    done = runner.invoke(app, [*EVALUATE, *options])
    assert done.exit_code == 2 and hint in done.stderr, done.output


def test_the_report_takes_the_backend_options(tmp_path: Path) -> None:
    done = runner.invoke(app, ["report", "--framework", "pcp", "--month", "2021-03",
                               "--backend", "spark", "--spark-master", "local[1]", "--help"])  # fmt: skip
    assert done.exit_code == 0 and "--spark-master" in done.stdout
    done = runner.invoke(app, ["report", "--framework", "pcp", "--month", "2021-03",
                               "--backend", "dask", "--out", str(tmp_path)])  # fmt: skip
    assert done.exit_code == 2 and "--backend" in done.stderr


def test_an_export_into_a_folder_in_use_is_one_line(
    demo_store_path: Path, demo_parquet: Path
) -> None:
    done = runner.invoke(app, ["export", "parquet", "--store", str(demo_store_path),
                               "--out", str(demo_parquet)])  # fmt: skip
    assert "not an empty folder" in one_line_error(done)
