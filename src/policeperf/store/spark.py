"""The store's tables on Apache Spark, through Ibis, for national-scale data.

The engine does not change: it receives an Ibis backend. Here the canonical tables are written to
Parquet (one folder per table) and registered in a Spark session, local mode by default.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from policeperf.errors import need_extra
from policeperf.store.database import Store
from policeperf.store.parquet import Dataset
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


def spark_session(app_name: str = "policeperf", master: str | None = "local[2]") -> Any:
    """A Spark session with UTC time and quiet logs. On a local master, also a small shuffle
    and a 2 GB driver for one machine; on a cluster (or with `master` None, as under
    spark-submit, which names the master itself) those settings are the cluster's own."""
    need_extra("pyspark", "The Spark backend", "spark")
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(app_name)
    if master is not None:
        builder = builder.master(master)
    builder = builder.config("spark.sql.session.timeZone", "UTC").config(
        "spark.ui.showConsoleProgress", "false"
    )
    if master is not None and master.startswith("local"):
        builder = (
            builder.config("spark.sql.shuffle.partitions", "4")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.memory", "2g")
        )
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def spark_backend(session: Any, parquet: dict[str, Path]) -> Any:
    """An Ibis PySpark backend with every exported table registered under its own name."""
    import ibis

    con = ibis.pyspark.connect(session)
    for table, path in parquet.items():
        con.read_parquet(str(path), table_name=table)
    return con


def spark_dataset_backend(session: Any, dataset: Dataset) -> Any:
    """An Ibis PySpark backend with each table of a Parquet export (`store.parquet`) as a view:
    Spark discovers the force and month folders; their values are read as text (no guessing a
    type from a force's name) and cast back to the store's types, and a month folder that is
    only a layout is left out."""
    import ibis
    from pyspark.sql import functions as F

    inference = "spark.sql.sources.partitionColumnTypeInference.enabled"
    before = session.conf.get(inference, "true")
    session.conf.set(inference, "false")
    try:
        for table, info in dataset.tables.items():
            frame = session.read.option("basePath", str(dataset.folder / table)).parquet(
                str(dataset.folder / table)
            )
            frame = frame.select(
                *[
                    F.col(c).cast(SPARK_TYPES[t]).alias(c) if c in info.partition_by else F.col(c)
                    for c, t in info.columns
                ]
            )
            frame.createOrReplaceTempView(table)
    finally:
        session.conf.set(inference, before)
    return ibis.pyspark.connect(session)


SPARK_TYPES = {"VARCHAR": "string", "DATE": "date", "INTEGER": "int", "BIGINT": "bigint",
               "SMALLINT": "smallint", "BOOLEAN": "boolean", "DOUBLE": "double",
               "TIMESTAMP": "timestamp"}  # fmt: skip
"""Spark's type for each DuckDB type a partition key can have."""


def spark_missing() -> str | None:
    """Why the Spark backend cannot start here (no pyspark, no Java), in one line; None if it can."""
    if find_spec("pyspark") is None:
        return (
            "the Spark backend needs pyspark and Java 17 or later: "
            "pip install 'policeperf[spark]' (and a Java runtime)"
        )
    if not os.environ.get("JAVA_HOME") and shutil.which("java") is None:
        return "the Spark backend needs a Java runtime (17 or later): install one or set JAVA_HOME"
    return None
