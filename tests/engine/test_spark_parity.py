"""The same framework gives identical results on DuckDB and on Spark (local mode) through Ibis."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from policeperf.engine import evaluate, evaluate_backend
from policeperf.engine.daily import tracker
from policeperf.framework import load_framework
from policeperf.ingest.run import ingest_police_uk
from policeperf.store import Store
from policeperf.store.database import ibis_backend
from policeperf.store.spark import export_parquet, spark_backend, spark_session
from tests.conftest import CAMBS_2024
from tests.frameworks import EVERY_KIND, framework_yaml

COLUMNS = ["measure_id", "area_level", "area", "month", "value", "numerator", "denominator",
           "rolling_12m", "baseline", "change_pct", "verdict", "method", "spc_class", "spc_rule"]  # fmt: skip


@pytest.fixture(scope="module")
def session() -> Iterator[object]:
    spark = spark_session(app_name="policeperf-tests")
    yield spark
    spark.stop()  # type: ignore[attr-defined]


def canonical(frame: pd.DataFrame) -> pd.DataFrame:
    return (
        frame[COLUMNS]
        .sort_values(["measure_id", "area_level", "area", "month"])
        .reset_index(drop=True)
    )


def test_police_uk_framework_on_real_data_is_identical_on_spark(
    tmp_path: Path, session: object
) -> None:
    with Store(tmp_path / "s.duckdb") as db:
        ingest_police_uk(db, [CAMBS_2024])
        duck = evaluate(db, "police-uk", "2024-12")
        parquet = export_parquet(db, tmp_path / "parquet")
    spark = evaluate_backend(spark_backend(session, parquet), load_framework("police-uk"), "2024-12",
                             force="Cambridgeshire Constabulary")  # fmt: skip
    pd.testing.assert_frame_equal(canonical(duck), canonical(spark), check_dtype=False)


def test_pcp_framework_on_the_demo_force_is_identical_on_spark(
    tmp_path: Path, demo_store_path: Path, session: object
) -> None:
    with Store(demo_store_path, read_only=True) as db:
        duck = evaluate(db, "pcp", "2021-03")
        parquet = export_parquet(db, tmp_path / "parquet")
    spark = evaluate_backend(spark_backend(session, parquet), load_framework("pcp"), "2021-03")
    pd.testing.assert_frame_equal(canonical(duck), canonical(spark), check_dtype=False)


def test_every_kind_on_the_demo_force_is_identical_on_spark(
    tmp_path: Path, demo_store_path: Path, session: object
) -> None:
    path = tmp_path / "kinds.yaml"
    path.write_text(framework_yaml(EVERY_KIND, name="kinds", force="Demo Constabulary"))
    framework = load_framework(path)
    with Store(demo_store_path, read_only=True) as db:
        duck = evaluate(db, framework, "2021-03")
        parquet = export_parquet(db, tmp_path / "parquet")
    spark = evaluate_backend(spark_backend(session, parquet), framework, "2021-03")
    assert set(duck["kind"]) == {m["kind"] for m in EVERY_KIND}
    pd.testing.assert_frame_equal(canonical(duck), canonical(spark), check_dtype=False)


def test_activity_and_crime_management_measures_on_the_demo_force_are_identical_on_spark(
    tmp_path: Path, demo_store_path: Path, session: object
) -> None:
    """Counts over activities (dispersal authorisations, criminal behaviour orders) and
    proportions of investigations by standard (VCC contacts on rape investigations), each with
    filters on columns by name, give the same results on both backends."""
    with Store(demo_store_path, read_only=True) as db:
        duck = evaluate(db, "operations", "2021-03")
        parquet = export_parquet(db, tmp_path / "parquet")
    spark = evaluate_backend(spark_backend(session, parquet), load_framework("operations"),
                             "2021-03")  # fmt: skip
    assert {"dispersal_authorisations", "criminal_behaviour_orders", "rape_vcc_on_time"} <= set(
        duck["measure_id"]
    )
    figures = duck[(duck["area"] == "all") & (duck["month"] == duck["month"].max())]
    assert figures["status"].eq("ok").all() and figures["value"].notna().all()
    pd.testing.assert_frame_equal(canonical(duck), canonical(spark), check_dtype=False)


def test_the_daily_tracker_on_the_demo_force_is_identical_on_spark(
    tmp_path: Path, demo_store_path: Path, session: object
) -> None:
    """The daily scans (incidents, calls by day, with the domestic-abuse flag and call lines
    as filters) give the same tracker on both backends."""
    framework = load_framework("operations")
    with Store(demo_store_path, read_only=True) as db:
        duck = tracker(ibis_backend(db), framework, date(2021, 3, 10))
        parquet = export_parquet(db, tmp_path / "parquet")
    spark = tracker(spark_backend(session, parquet), framework, date(2021, 3, 10))
    assert set(duck["measure_id"]) == {"incidents_daily", "calls_999_daily", "calls_101_daily",
                                       "domestic_abuse_incidents"}  # fmt: skip
    assert duck["status"].eq("ok").all() and duck["spc_days"].eq(365).all()
    pd.testing.assert_frame_equal(duck, spark, check_dtype=False)


def test_evaluate_on_spark_from_the_parquet_export_equals_duckdb_on_the_store_row_for_row(
    tmp_path: Path, demo_store_path: Path, session: object
) -> None:
    """The command line end to end: `export parquet`, then `evaluate --backend spark --data DIR`
    writes the same CSV as `evaluate` on the store, but for the time it was run."""
    from typer.testing import CliRunner

    from policeperf.cli import app

    runner = CliRunner()
    exported = runner.invoke(app, ["export", "parquet", "--store", str(demo_store_path),
                                   "--out", str(tmp_path / "pq")])  # fmt: skip
    assert exported.exit_code == 0, exported.output
    asked = ["evaluate", "--framework", "pcp", "--month", "2021-03"]
    duck = runner.invoke(app, [*asked, "--store", str(demo_store_path)])
    spark = runner.invoke(app, [*asked, "--backend", "spark", "--data", str(tmp_path / "pq")])
    assert duck.exit_code == 0 and spark.exit_code == 0, (duck.output, spark.output)
    read = [pd.read_csv(io.StringIO(done.stdout), dtype=str, keep_default_na=False)
            for done in (duck, spark)]  # fmt: skip
    assert len(read[0]) > 100 and read[0]["store_state"].iloc[0].startswith("batches=")
    pd.testing.assert_frame_equal(read[0].drop(columns="as_at"), read[1].drop(columns="as_at"))


def test_spark_reads_the_hive_layout_back_to_the_store_tables(
    tmp_path: Path, session: object
) -> None:
    """Force names the folder names must escape come back whole, partition values with the
    store's types, and a month folder that is only a layout is not a column."""
    from policeperf.store.parquet import export_dataset
    from policeperf.store.spark import spark_dataset_backend

    odd = "Avon & Somerset/Test=1 100%"
    with Store(tmp_path / "s.duckdb") as db:
        ingest_police_uk(db, [CAMBS_2024])
        db.execute("UPDATE crimes SET force = ? WHERE month(recorded_date) = 5", [odd])
        dataset = export_dataset(db, tmp_path / "pq", tables=["crimes", "coverage"])
        counts = db.con.execute(
            "SELECT force, recorded_date, count(*) AS n FROM crimes GROUP BY ALL ORDER BY ALL"
        ).df()
        coverage = db.con.execute("SELECT * FROM coverage ORDER BY ALL").df()
    backend = spark_dataset_backend(session, dataset)
    crimes = backend.table("crimes")
    assert list(crimes.columns) == list(dataset.tables["crimes"].names)
    assert str(crimes.schema()["force"]).startswith("string")
    spark_counts = (crimes.group_by(["force", "recorded_date"]).agg(n=crimes.count())
                    .order_by(["force", "recorded_date"]).to_pandas())  # fmt: skip
    assert odd in set(spark_counts["force"])
    pd.testing.assert_frame_equal(counts, spark_counts, check_dtype=False)
    spark_coverage = backend.table("coverage").to_pandas()
    assert str(backend.table("coverage").schema()["month"]).startswith("date")
    spark_coverage = spark_coverage.sort_values(list(coverage.columns)).reset_index(drop=True)
    pd.testing.assert_frame_equal(coverage, spark_coverage, check_dtype=False)
