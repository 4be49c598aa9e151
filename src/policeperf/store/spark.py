"""The store's tables on Apache Spark, through Ibis, for national-scale data.

The engine does not change: it receives an Ibis backend. Here the canonical tables are written to
Parquet (one folder per table) and registered in a Spark session, local mode by default.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from policeperf.errors import need_extra
from policeperf.store.database import Store
from policeperf.store.schema import RECORD_TABLES

ENGINE_TABLES = ("crimes", "outcomes", "incidents", "calls", "survey_responses", "asb_incidents",
                 "stop_searches", "investigations", "activities", "ingest_batches",
                 "coverage")  # fmt: skip


def export_parquet(
    store: Store, folder: Path, tables: Iterable[str] = ENGINE_TABLES
) -> dict[str, Path]:
    """Write each table to `folder/<table>.parquet` with DuckDB's own writer."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for table in tables:
        if table not in RECORD_TABLES and table not in ("ingest_batches", "coverage"):
            raise ValueError(f"unknown table {table!r}")
        path = folder / f"{table}.parquet"
        store.execute(f"COPY {table} TO '{path}' (FORMAT parquet)")
        out[table] = path
    return out


def spark_session(app_name: str = "policeperf", master: str = "local[2]") -> Any:
    """A local Spark session with UTC time, quiet logs and a small shuffle for one machine."""
    need_extra("pyspark", "The Spark backend", "spark")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


def spark_backend(session: Any, parquet: dict[str, Path]) -> Any:
    """An Ibis PySpark backend with every exported table registered under its own name."""
    import ibis

    con = ibis.pyspark.connect(session)
    for table, path in parquet.items():
        con.read_parquet(str(path), table_name=table)
    return con
