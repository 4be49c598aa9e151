"""On the demo force: the top 1% of offenders by harm and their share, and the harm measure,
equal direct computations written here in SQL from the reference CSV files."""

from __future__ import annotations

import csv
import math
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from policeperf.engine import evaluate
from policeperf.harm.rank import Window, rank
from policeperf.reference.harm_weights import load_weights
from policeperf.store import Store
from policeperf.store.database import ibis_backend
from tests.conftest import ROOT, policeperf

DATA = ROOT / "src" / "policeperf" / "reference" / "data"
FORCE = "Demo Constabulary"
ALIASES = {"Domestic burglary": "Residential burglary", "Non-domestic burglary": "Non-residential burglary",
           "Theft from a vehicle": "Vehicle offences", "Theft of a motor vehicle": "Vehicle offences",
           "Vehicle interference": "Vehicle offences", "Miscellaneous crimes": "Miscellaneous crimes against society"}  # fmt: skip


def code_weights() -> pd.DataFrame:
    with (DATA / "cchi_weights_by_prc_subgroup.csv").open() as handle:
        days = {r["prc_subgroup"]: float(r["cchi_days"]) for r in csv.DictReader(handle)}
    with (DATA / "offence_codes.csv").open() as handle:
        rows = [(r["offence_code"], days.get(ALIASES.get(r["offence_subgroup"], r["offence_subgroup"])), r["police_uk_category"])
                for r in csv.DictReader(handle)]  # fmt: skip
    return pd.DataFrame([r for r in rows if r[1] is not None and r[2] not in ("Drugs", "Possession of weapons")],
                        columns=["code", "days", "category"])  # fmt: skip


def direct_offender_harm(db: Store, start: str, end: str) -> pd.Series:
    db.con.register("test_weights", code_weights())
    frame = db.con.sql(
        f"""SELECT l.person_id, sum(w.days) AS harm
            FROM crimes c JOIN test_weights w ON w.code = c.offence_code
            JOIN person_links l ON l.crime_id = c.crime_id AND l.role = 'offender'
            WHERE c.force = '{FORCE}' AND c.recorded_date BETWEEN '{start}' AND '{end}'
            GROUP BY 1 ORDER BY harm DESC, person_id"""
    ).df()
    db.con.unregister("test_weights")
    return frame.set_index("person_id")["harm"]


def test_top_one_percent_of_offenders_and_their_share_match_a_direct_computation(
    demo_store: Store,
) -> None:
    ranking = rank(
        ibis_backend(demo_store),
        FORCE,
        Window(date(2021, 4, 1), date(2022, 3, 31)),
        load_weights("cchi", FORCE),
        "offender",
    )
    harm = direct_offender_harm(demo_store, "2021-04-01", "2022-03-31")
    k = math.ceil(0.01 * len(harm))
    share = 100 * harm.iloc[:k].sum() / harm.sum()
    first = ranking.concentration[0]
    assert first["people"] == k
    assert first["harm_pct"] == pytest.approx(share)
    assert list(ranking.table["key"].head(k)) == list(harm.index[:k])
    # offending is concentrated: the top 1% cause far more than 1% of the harm
    assert share > 10


def test_the_harm_measure_equals_the_direct_sum(demo_store: Store) -> None:
    results = evaluate(demo_store, "pcp", "2021-03")
    row = results[
        (results["measure_id"] == "harm_weighted_crime")
        & (results["area"] == "all")
        & (results["month"] == date(2021, 3, 1))
    ]
    demo_store.con.register("test_weights", code_weights())
    direct = demo_store.con.sql(
        f"""SELECT sum(w.days) FROM crimes c JOIN test_weights w ON w.code = c.offence_code
            WHERE c.force = '{FORCE}' AND c.recorded_date BETWEEN '2020-04-01' AND '2021-03-31'"""
    ).fetchall()[0][0]
    demo_store.con.unregister("test_weights")
    assert row["rolling_12m"].item() == pytest.approx(direct)
    assert row["method"].item() == "non_shared_months_quasi_poisson"


def test_the_demo_cohort_harm_falls_and_the_comparison_shows_regression_to_the_mean(
    demo_store_path: Path, demo_exports: list
) -> None:
    cohort = demo_exports[0].csv.parent / "demo-cohort.csv"
    done = policeperf(
        "harm", "cohort", "--people", str(cohort), "--store", str(demo_store_path), "--json"
    )
    assert done.returncode == 0, done.stderr
    import json

    payload = json.loads(done.stdout)
    assert payload["totals"]["people"] == 140
    assert payload["totals"]["harm_change_pct"] < -50
    c = payload["comparison"]
    # Matched: no more people than the cohort, all ranked below its lowest-ranked member.
    assert 0 < c["people"] <= 140 and c["first_rank"] > c["lowest_member_rank"]
    assert c["last_rank"] - c["first_rank"] + 1 >= c["people"]
    assert "regression to the mean" in payload["note"]


def test_reoffending_cli_refuses_an_incomplete_cohort(demo_store_path: Path) -> None:
    done = policeperf("reoffending", "--cohort", "2021Q3", "--store", str(demo_store_path))
    assert done.returncode == 1
    assert "first date it can be measured is 30 March 2023" in done.stderr
    ok = policeperf("reoffending", "--cohort", "2019Q1", "--store", str(demo_store_path), "--json")
    assert ok.returncode == 0, ok.stderr


def test_report_and_dashboard_show_the_same_harm_section(
    demo_store_path: Path, demo_exports: list, tmp_path: Path
) -> None:
    from fastapi.testclient import TestClient

    from policeperf.web import Settings, create_app

    cohort = demo_exports[0].csv.parent / "demo-cohort.csv"
    report = ("report", "--framework", "pcp", "--month", "2021-03", "--store", str(demo_store_path),
              "--format", "html", "--out", str(tmp_path))  # fmt: skip
    done = policeperf(*report, "--cohort", str(cohort))
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "pcp-2021-03.html").read_text()
    assert (
        "Crime harm by offender" in html
        and "the power few" in html
        and "Managed cohort of 140" in html
    )
    with Store(demo_store_path, read_only=True) as db:
        ranking = rank(
            ibis_backend(db),
            FORCE,
            Window(date(2020, 4, 1), date(2021, 3, 31)),
            load_weights("cchi", FORCE),
            "offender",
        )
    first = ranking.table.iloc[0]
    app = create_app(Settings(store=demo_store_path))
    page = TestClient(app, base_url="http://127.0.0.1:8000").get("/harm?month=2021-03")
    assert page.status_code == 200
    for text in (html, page.text):
        assert f"<code>{first['key']}</code>" in text
        assert f"{first['harm']:,.1f}" in text
        assert f"account for {ranking.concentration[0]['harm_pct']:.1f}% of the harm" in text
    public = policeperf(*report, "--suppress-below", "5")
    assert public.returncode == 0, public.stderr
    assert "Crime harm by offender" not in (tmp_path / "pcp-2021-03-public.html").read_text()
