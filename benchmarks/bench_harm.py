"""Harm ranking at national scale: a year of the national synthetic store (43 forces, about
6 million crimes) with offenders drawn from 1 million pseudonymous people, ranked by harm for
all forces at once, against a plain DuckDB group-by + order-by of the same data (target <= 2x).
The links are generated once into the national store."""

from __future__ import annotations

from datetime import date

import pandas as pd

from benchmarks.harness import Result, timed
from benchmarks.national import STORE, generate
from policeperf.harm.rank import Window, rank
from policeperf.reference.harm_weights import load_weights
from policeperf.store import Store
from policeperf.store.database import ibis_backend

PEOPLE = 1_000_000
YEAR = Window(date(2021, 4, 1), date(2022, 3, 31))


def ensure_links() -> int:
    generate(STORE)
    with Store(STORE) as db:
        if not db.scalar("SELECT count(*) FROM person_links"):
            db.execute(
                f"""INSERT INTO person_links (crime_id, person_id, role, batch_id)
                SELECT crime_id, 'P' || lpad(((hash(source_line * 41) % {PEOPLE}))::VARCHAR, 7, '0'), 'offender', 3
                FROM crimes WHERE recorded_date BETWEEN '{YEAR.start}' AND '{YEAR.end}' AND hash(source_line * 43) % 10 < 6"""
            )
            db.execute("CHECKPOINT")
        return int(db.scalar("SELECT count(DISTINCT person_id) FROM person_links"))


def run(repeat: int = 3) -> Result:
    people = ensure_links()
    weights = load_weights("cchi")
    with Store(STORE, read_only=True) as db:
        db.con.register(
            "bench_weights",
            pd.DataFrame({"code": list(weights.by_code), "days": list(weights.by_code.values())}),
        )
        plain = f"""SELECT l.person_id, sum(w.days) AS harm, count(*) AS crimes
            FROM crimes c JOIN bench_weights w ON w.code = c.offence_code
            JOIN person_links l ON l.crime_id = c.crime_id AND l.role = 'offender'
            WHERE c.recorded_date BETWEEN '{YEAR.start}' AND '{YEAR.end}'
              AND c.offence_category NOT IN ('Drugs', 'Possession of weapons')
            GROUP BY 1 ORDER BY harm DESC, person_id"""
        backend = ibis_backend(db)
        engine = timed(lambda: rank(backend, None, YEAR, weights, "offender"), repeat)
        sql = timed(lambda: db.con.sql(plain).df(), repeat)
    ranking = engine.result
    assert len(ranking.table) == len(sql.result)
    ratio = engine.best / sql.best
    return Result(
        name="harm_ranking",
        description=__doc__ or "",
        metric="time ratio ranking / plain DuckDB group-by + order-by",
        value=ratio,
        target="<= 2x",
        passed=ratio <= 2,
        command="python -m benchmarks.run harm",
        details={
            "people linked": people,
            "people ranked": len(ranking.table),
            "ranking incl. concentration (best s)": round(engine.best, 2),
            "plain SQL (best s)": round(sql.best, 2),
        },
    )
