"""A national-scale synthetic store and the engine benchmarks that use it.

`python -m benchmarks.run national` generates (once, cached under benchmarks/work/) a store of
43 forces x 10 financial years, about 60 million crimes and 48 million outcomes, inside DuckDB
from hashed row numbers, then measures:

(b) the engine's backend aggregation of every crimes measure of the benchmark framework for all 43
    forces in one scan (conditional aggregation, grouped by force, month and district) against one
    plain hand-written DuckDB group-by scan of the same crimes computing the same counts
    (target <= 2x), with peak memory (target <= 8 GB). A bare `count(*)` group-by is timed too, to
    show what the measures themselves cost;
(c) the engine against a straightforward pandas implementation of the same measures for one
    force: load the force's crimes into a data frame, then one boolean mask and group-by per
    measure (target >= 20x faster).

The whole pcp-style evaluation of one force on the national store is timed as well.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from benchmarks.harness import WORK, Result, Timing, peak_rss_gb, timed
from policeperf.engine import evaluate
from policeperf.engine.aggregate import (
    Scope,
    additive_expr,
    base_table,
    filter_columns,
)
from policeperf.framework import load_framework
from policeperf.store import Store
from policeperf.store.database import ibis_backend

FORCES = 43
YEARS = 10
CRIMES_PER_FORCE_YEAR = 140_000
FRAMEWORK = Path(__file__).resolve().parent / "national-framework.yaml"
STORE = WORK / "national.duckdb"

# Offence codes with a share of crime, roughly the national mix.
CODES = [
    ("46", 0.10), ("49", 0.10), ("105A", 0.12), ("8N", 0.07), ("8L", 0.05), ("8R", 0.04),
    ("58C", 0.05), ("58D", 0.04), ("58A", 0.03), ("9A", 0.07), ("45", 0.05), ("48", 0.02),
    ("28E", 0.03), ("30C", 0.02), ("34B", 0.01), ("44", 0.02), ("39", 0.01), ("92E", 0.02),
    ("92A", 0.01), ("10D", 0.01), ("19C", 0.006), ("20A", 0.01), ("22B", 0.004), ("106", 0.001),
    ("99", 0.009), ("83", 0.01), ("56B", 0.01), ("105B", 0.01), ("3B", 0.02), ("9B", 0.01),
]  # fmt: skip


def generate(path: Path | None = None) -> dict[str, Any]:
    """Build the national store (skipped when it exists). Returns row counts and seconds."""
    path = path or STORE
    if path.exists():
        with Store(path, read_only=True) as db:
            return {
                "crimes": db.scalar("SELECT count(*) FROM crimes"),
                "outcomes": db.scalar("SELECT count(*) FROM outcomes"),
                "generated_s": "cached",
            }
    start = time.perf_counter()
    total = FORCES * YEARS * CRIMES_PER_FORCE_YEAR
    with Store(path) as db:
        con = db.con
        cum, rows = 0.0, []
        for code, share in CODES:
            rows.append((code, cum, cum + share))
            cum += share
        con.execute("CREATE TEMP TABLE codes (code VARCHAR, lo DOUBLE, hi DOUBLE)")
        con.executemany(
            "INSERT INTO codes VALUES (?, ?, ?)", [(c, lo / cum, hi / cum) for c, lo, hi in rows]
        )
        con.execute(
            """CREATE TEMP TABLE code_ref AS SELECT c.code, r.police_uk_category, r.offence_group, r.offence_subgroup
               FROM codes c JOIN read_csv(?, all_varchar = true) r ON r.offence_code = c.code""",
            [
                str(
                    Path(__file__).resolve().parent.parent
                    / "src/policeperf/reference/data/offence_codes.csv"
                )
            ],
        )
        con.execute(
            f"""
            INSERT INTO crimes (crime_id, force, recorded_date, date_precision, offence_code,
                offence_category, offence_group, offence_subgroup, domestic_abuse, hate,
                sharp_instrument, csa, cse, district, batch_id, source_line)
            WITH base AS (
                SELECT i, i // {YEARS * CRIMES_PER_FORCE_YEAR} AS f,
                       (hash(i) % 1000000) / 1000000.0 AS u1, (hash(i * 7 + 3) % 1000000) / 1000000.0 AS u2,
                       hash(i * 13 + 5) % 3652 AS day_offset, hash(i * 17 + 11) % 6 AS d
                FROM range({total}) t(i)
            )
            SELECT 'N' || i, 'Force ' || lpad((f + 1)::VARCHAR, 2, '0'),
                   DATE '2012-04-01' + day_offset::INTEGER, 'day', c.code,
                   r.police_uk_category, r.offence_group, r.offence_subgroup,
                   u2 < 0.18, u2 >= 0.18 AND u2 < 0.20, u2 >= 0.20 AND u2 < 0.22, u2 >= 0.22 AND u2 < 0.225, false,
                   'District ' || d::VARCHAR, 1, i
            FROM base JOIN codes c ON base.u1 >= c.lo AND base.u1 < c.hi JOIN code_ref r ON r.code = c.code
            ORDER BY f, day_offset
            """
        )
        con.execute(
            """
            INSERT INTO outcomes (crime_id, force, outcome_date, date_precision, outcome_type, outcome_types, batch_id)
            SELECT crime_id, force, recorded_date + (hash(source_line * 31) % 150)::INTEGER, 'day', t, [t], 2
            FROM (SELECT *, [18, 16, 15, 14, 1, 1, 8, 3, 21, 20][(hash(source_line * 29) % 10 + 1)::INTEGER]::SMALLINT AS t
                  FROM crimes WHERE hash(source_line * 23) % 10 < 8)
            """
        )
        con.execute("CHECKPOINT")
        counts = {
            "crimes": db.scalar("SELECT count(*) FROM crimes"),
            "outcomes": db.scalar("SELECT count(*) FROM outcomes"),
        }
    counts["generated_s"] = round(time.perf_counter() - start, 1)
    return counts


def crime_measures() -> list:
    framework = load_framework(FRAMEWORK)
    return [m for *_, m in framework.measures() if m.table == "crimes" and m.kind == "count"]


def hand_written_sql(measures: list) -> str:
    """The one-scan SQL an analyst would write for the same counts."""
    columns = {
        "categories": "offence_category",
        "offence_codes": "offence_code",
        "offence_subgroups": "offence_subgroup",
    }
    parts = []
    for m in measures:
        conds = []
        for name, column in columns.items():
            values = getattr(m.filters, name)
            if values:
                conds.append(f"{column} IN ({', '.join(repr(v) for v in values)})")
        conds += [f"{marker}" for marker in m.filters.markers or ()]
        where = " AND ".join(conds)
        parts.append(
            f"count(*) FILTER (WHERE {where}) AS {m.id}" if where else f"count(*) AS {m.id}"
        )
    return (
        "SELECT force, date_trunc('month', recorded_date) AS period, district, "
        + ", ".join(parts)
        + " FROM crimes GROUP BY ALL"
    )


def competent_pandas(con: duckdb.DuckDBPyConnection, force: str, measures: list) -> pd.DataFrame:
    """The pandas an analyst who knows pandas writes for the same counts: read only the columns
    the measures test, one boolean column per measure, one grouped sum by month and district."""
    wanted = sorted({c for m in measures for c in filter_columns(m.filters)})
    frame = con.execute(
        f"SELECT recorded_date, district, {', '.join(wanted)} FROM crimes WHERE force = ?", [force]
    ).df()
    flags = {}
    for m in measures:
        mask = np.ones(len(frame), dtype=bool)
        for _, column, values in m.filters.by_column():
            mask &= frame[column].isin(values).to_numpy()
        flags[m.id] = mask
    keys = {"period": frame["recorded_date"].dt.to_period("M"), "district": frame["district"]}
    return pd.DataFrame(flags).groupby(list(keys.values()), dropna=False).sum()


def run_national(repeat: int = 3) -> list[Result]:
    # Generate in a child process, so peak memory below measures the evaluation alone.
    subprocess.run(
        [sys.executable, "-c", "from benchmarks.national import generate; generate()"], check=True
    )
    counts = generate(STORE)
    measures = crime_measures()
    with Store(STORE, read_only=True) as db:
        backend = ibis_backend(db)
        scope = Scope(force=None)
        expr = additive_expr(base_table(backend, "crimes", scope), measures, None,
                             keys=("force", "period", "district"))  # fmt: skip
        plain_sql = hand_written_sql(measures)
        bare_sql = (
            "SELECT force, date_trunc('month', recorded_date) AS period, district, count(*) "
            "FROM crimes GROUP BY ALL"
        )

        engine_s = timed(lambda: expr.to_pyarrow(), repeat).best
        plain_s = timed(lambda: db.con.sql(plain_sql).fetchall(), repeat).best
        bare_s = timed(lambda: db.con.sql(bare_sql).fetchall(), repeat).best
        one_force = timed(
            lambda: evaluate(db, load_framework(FRAMEWORK), "2022-03", force="Force 01"), 1
        )
        one, evaluate_s = one_force.result, one_force.best
        force_rows = db.scalar("SELECT count(*) FROM crimes WHERE force = 'Force 01'")

        def pandas_way() -> None:
            frame = db.con.sql("SELECT * FROM crimes WHERE force = 'Force 01'").df()
            frame["period"] = frame["recorded_date"].dt.to_period("M")
            for m in measures:
                mask = pd.Series(True, index=frame.index)
                f = m.filters
                if f.categories:
                    mask &= frame["offence_category"].isin(f.categories)
                if f.offence_codes:
                    mask &= frame["offence_code"].isin(f.offence_codes)
                if f.offence_subgroups:
                    mask &= frame["offence_subgroup"].isin(f.offence_subgroups)
                for marker in f.markers or ():
                    mask &= frame[marker].fillna(False).astype(bool)
                frame[mask].groupby(["period", "district"]).size()

        force_expr = additive_expr(
            base_table(backend, "crimes", Scope(force="Force 01")), measures, None
        )
        engine_force_s = timed(lambda: force_expr.to_pyarrow(), repeat).best
        pandas_s = timed(pandas_way, repeat).best
        competent_s = timed(lambda: competent_pandas(db.con, "Force 01", measures), repeat).best
        assert len(one) > 0
    memory = peak_rss_gb()
    ratio = engine_s / plain_s
    details = {
        **counts, "measures in one scan": len(measures), "forces": FORCES,
        "engine aggregation, all forces (best s)": round(engine_s, 2),
        "hand-written DuckDB group-by of the same measures (best s)": round(plain_s, 2),
        "bare count(*) group-by (best s)": round(bare_s, 2),
        "engine / bare count(*)": round(engine_s / bare_s, 2),
        "full evaluate of one force on the national store (s)": round(evaluate_s, 2),
        "peak memory of the evaluating process (GB)": round(memory, 2),
    }  # fmt: skip
    national = Result(
        name="engine_national_scan",
        description=__doc__ or "",
        metric="time ratio engine aggregation / hand-written DuckDB group-by",
        value=ratio,
        target="<= 2x, peak memory <= 8 GB",
        passed=ratio <= 2 and memory <= 8,
        command="python -m benchmarks.run national",
        details=details,
    )
    speedup = competent_s / engine_force_s
    versus_pandas = Result(
        name="engine_vs_pandas",
        description="Same count measures for one force (Force 01) on the national store: the engine's one-scan "
        "conditional aggregation against a competent pandas reference (read only the columns the "
        "measures test, one boolean column per measure, one grouped sum by month and district). "
        "The naive reference (load every column, one mask and group-by per measure) is given too.",
        metric="speed-up engine vs competent pandas",
        value=speedup,
        target=">= 8x",
        passed=speedup >= 8,
        command="python -m benchmarks.run national",
        details={
            "crimes of the force": force_rows,
            "measures": len(measures),
            "engine (best s)": round(engine_force_s, 3),
            "competent pandas (best s)": round(competent_s, 3),
            "naive pandas, every column and a group-by per measure (best s)": round(pandas_s, 3),
        },
    )
    return [national, versus_pandas]


def run_pandas_demo(repeat: int = 5) -> Result:
    """The engine's crimes scan against the competent pandas reference on the demo force."""
    framework = load_framework("pcp")
    measures = [
        m
        for *_, m in framework.measures()
        if m.table == "crimes" and m.kind in ("count", "rate_per_population")
    ]
    force = str(framework.force)
    with Store(demo_store(), read_only=True) as db:
        expr = additive_expr(
            base_table(ibis_backend(db), "crimes", Scope(force=force)), measures, None
        )
        runs: dict[str, list[float]] = {"engine": [], "pandas": []}
        for _ in range(repeat + 1):  # interleaved; the first round warms both up, untimed
            for name, run in (("engine", lambda: expr.to_pyarrow()),
                              ("pandas", lambda: competent_pandas(db.con, force, measures))):  # fmt: skip
                start = time.perf_counter()
                run()
                runs[name].append(time.perf_counter() - start)
        engine, pandas = Timing(runs["engine"][1:], None), Timing(runs["pandas"][1:], None)
        crimes = db.scalar("SELECT count(*) FROM crimes WHERE force = ?", [force])
    speedup = pandas.median / engine.median
    return Result(
        name="engine_vs_pandas_demo",
        description="The pcp framework's crime counts for the demo force: the engine's one-scan conditional "
        "aggregation (Ibis on DuckDB) against a competent pandas reference (only the columns the "
        "measures test, one boolean column per measure, one grouped sum by month and district), "
        "each run in the same process on the same store, interleaved; medians.",
        metric="speed-up engine vs competent pandas",
        value=speedup,
        target=">= 8x",
        passed=speedup >= 8,
        command="python -m benchmarks.run pandas",
        details={
            "crimes of the force": crimes,
            "measures": len(measures),
            "engine runs (s)": engine.rounded(3),
            "pandas runs (s)": pandas.rounded(3),
        },
    )


def demo_store() -> Path:
    """The demo force's store for benchmarks, built once."""
    from policeperf.synth import ingest_demo, write_demo_exports

    path = WORK / "demo.duckdb"
    if not path.exists():
        with Store(path) as db:
            ingest_demo(db, write_demo_exports(WORK / "demo-exports"))
    return path


def run_pcp_demo(repeat: int = 3) -> Result:
    """(a) the whole pcp framework on the demo force."""
    path = demo_store()
    with Store(path, read_only=True) as db:
        timing = timed(lambda: evaluate(db, "pcp", "2021-03"), repeat)
    best, results = timing.best, timing.result
    return Result(
        name="engine_pcp_demo",
        description="The whole pcp framework (32 measures x force, 2 areas, 6 districts x every month) on the demo force.",
        metric="seconds (best of 3)",
        value=best,
        target="<= 5 s",
        passed=best <= 5,
        command="python -m benchmarks.run pcp",
        details={"rows in results": len(results), "runs (s)": timing.rounded()},
    )


def main_connect() -> duckdb.DuckDBPyConnection:  # for ad-hoc inspection
    return duckdb.connect(str(STORE), read_only=True)
