"""Force profiles: areas and populations for any force, and districts from the data itself."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from policeperf.calendar import add_months
from policeperf.engine import evaluate
from policeperf.framework.profile import ForceProfile, load_profile, shipped_profile
from policeperf.ingest.run import ingest_police_uk
from policeperf.store import Store
from policeperf.yamlconf import ConfigError
from tests.conftest import policeperf
from tests.frameworks import framework_yaml
from tests.policeuk_files import write_street_files

CUMBRIA = "Cumbria Constabulary"
CUMBRIA_LSOAS = (
    ("E01019126", "Allerdale 001A"),  # 2011 code: district through the LSOA lookup
    ("E01035500", "Carlisle 006A"),  # a 2021 code: district from the name's local authority
    ("E01099999", "Westmorland and Furness 001A"),  # an authority created in 2023
    ("E01015629", "Peterborough 001A"),  # outside the force: no district
)
DYFED = (("W01000685", "Carmarthenshire 001A"), ("W01000001", "Ceredigion 001A"))
MONTHS = [add_months(date(2021, 1, 1), k) for k in range(24)]


@pytest.fixture(scope="module")
def other_forces(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("forces")
    write_street_files(folder, slug="cumbria", force=CUMBRIA, months=MONTHS, lsoas=CUMBRIA_LSOAS)
    write_street_files(folder, slug="dyfed-powys", force="Dyfed-Powys Police", months=MONTHS[:2],
                       lsoas=DYFED)  # fmt: skip
    path = folder / "store.duckdb"
    with Store(path) as db:
        ingest_police_uk(db, [folder])
    return path


def test_any_force_gets_its_districts_from_the_data(other_forces: Path) -> None:
    with Store(other_forces, read_only=True) as db:
        rows = dict(db.fetchall(
            "SELECT coalesce(district, '(outside)'), count(*) FROM crimes WHERE force = ? GROUP BY 1",
            [CUMBRIA]))  # fmt: skip
        welsh = {
            d
            for (d,) in db.fetchall(
                "SELECT DISTINCT district FROM crimes WHERE force = 'Dyfed-Powys Police'"
            )
        }
    assert set(rows) == {"Allerdale", "Carlisle", "Westmorland and Furness", "(outside)"}
    assert welsh == {"Carmarthenshire", "Ceredigion"}


def test_without_a_profile_districts_come_from_the_data_and_per_population_rates_say_so(
    other_forces: Path, tmp_path: Path
) -> None:
    framework = tmp_path / "f.yaml"
    framework.write_text(framework_yaml([
        {"id": "crime", "name": "Crime", "kind": "count", "polarity": "down_is_good"},
        {"id": "per_1000", "name": "Crime per 1,000", "kind": "rate_per_population",
         "polarity": "down_is_good"},
    ], force=None))  # fmt: skip
    with Store(other_forces, read_only=True) as db:
        results = evaluate(db, framework, "2022-12", force=CUMBRIA)
        now = results[results["month"] == date(2022, 12, 1)]
        assert set(now["area"]) == {"all", "Allerdale", "Carlisle", "Westmorland and Furness"}
        assert set(now["area_level"]) == {"force", "district"}
        rates = now[now["measure_id"] == "per_1000"]
        assert (rates["status"] == "no_population").all() and rates["verdict"].isna().all()
        assert rates["reason"].str.contains("force profile").all()

        profile = ForceProfile(force=CUMBRIA, areas={"North": ["Allerdale", "Carlisle"]},
                               populations={"Allerdale": 96_000.0, "Carlisle": 110_000.0,
                                            "Westmorland and Furness": 225_000.0})  # fmt: skip
        with_profile = evaluate(db, framework, "2022-12", profile=profile)
    now = with_profile[with_profile["month"] == date(2022, 12, 1)]
    north = now[(now["area"] == "North") & (now["measure_id"] == "per_1000")].iloc[0]
    crimes = now[(now["area"] == "North") & (now["measure_id"] == "crime")].iloc[0]
    assert north["status"] == "ok"
    assert north["rolling_12m"] == pytest.approx(1000 * crimes["rolling_12m"] / 206_000)


def test_force_init_writes_a_profile_of_the_districts_seen(
    other_forces: Path, tmp_path: Path
) -> None:
    out = tmp_path / "cumbria.yaml"
    done = policeperf("force", "init", CUMBRIA, "--store", str(other_forces), "--out", str(out))
    assert done.returncode == 0, done.stderr
    profile = load_profile(out)
    assert profile.force == CUMBRIA
    assert set(profile.populations) == {"Allerdale", "Carlisle", "Westmorland and Furness"}
    assert all(p is None for p in profile.populations.values())
    again = policeperf("force", "init", CUMBRIA, "--store", str(other_forces), "--out", str(out))
    assert again.returncode == 1 and "already exists" in again.stderr
    unknown = policeperf("force", "init", "Kent Police", "--store", str(other_forces))
    assert unknown.returncode == 1 and "forces held: Cumbria Constabulary" in unknown.stderr


def test_a_profile_is_validated_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("force: X\nareas:\n  North: [A]\n  South: [A]\n")
    with pytest.raises(ConfigError, match="district 'A' is in two areas"):
        load_profile(path)
    path.write_text("force: X\npopulations:\n  A: -5\n")
    with pytest.raises(ConfigError, match="must be positive"):
        load_profile(path)


def test_an_area_or_force_has_a_population_only_when_all_its_districts_do() -> None:
    profile = ForceProfile(force="X", areas={"N": ["a", "b"], "S": ["c"]},
                           populations={"a": 10.0, "b": 20.0, "c": None})  # fmt: skip
    pops = profile.population_by_geography()
    assert pops[("area", "N")] == 30.0
    assert ("area", "S") not in pops and ("force", "all") not in pops


def test_cambridgeshire_and_the_demo_force_ship_profiles() -> None:
    cambs = shipped_profile("Cambridgeshire Constabulary")
    assert cambs is not None and set(cambs.areas) == {"North", "South"}
    assert len(cambs.populations) == 6
    assert shipped_profile("Demo Constabulary") is not None
    assert shipped_profile("Kent Police") is None


def test_every_local_authority_in_england_and_wales_has_a_force() -> None:
    """Districts come from the data only where the LSOA's authority is known to lie in the
    force: the lookup's blank forces and the Welsh and newer authorities are reference data."""
    import duckdb

    from policeperf.ingest.reference_tables import register_reference

    con = duckdb.connect()
    register_reference(con)
    unplaced = con.execute(
        """SELECT DISTINCT regexp_replace(l.lsoa11_name, '\\s+\\d{3}[A-Z]$', '') AS lad
        FROM ref_lsoa11 l ANTI JOIN ref_lads d
          ON d.lad_prefix = regexp_replace(l.lsoa11_name, '\\s+\\d{3}[A-Z]$', '')"""
    ).fetchall()
    assert unplaced == []
    warwickshire = {r[0] for r in con.execute(
        "SELECT lad_prefix FROM ref_lads WHERE force = 'Warwickshire Police'").fetchall()}  # fmt: skip
    assert warwickshire == {"North Warwickshire", "Nuneaton and Bedworth", "Rugby",
                            "Stratford-on-Avon", "Warwick"}  # fmt: skip


def test_a_misspelt_profile_district_is_flagged_never_zero(other_forces: Path) -> None:
    profile = ForceProfile(force=CUMBRIA, areas={"North": ["Allerdale", "Carlisel"]},
                           populations={"Allerdale": 96_000.0})  # fmt: skip
    with Store(other_forces, read_only=True) as db:
        results = evaluate(db, "police-uk", "2022-12", profile=profile)
    typo = results[results["area"] == "Carlisel"]
    assert not typo.empty and (typo["status"] == "not_configured").all()
    assert typo["value"].isna().all() and typo["reason"].str.contains("check its name").all()
    north = results[results["area"] == "North"]
    assert (north["status"] == "not_configured").all() and north["value"].isna().all()
    assert any("'Carlisel'" in w for w in results.attrs["warnings"])
    assert any("no area" in w and "Carlisle" in w for w in results.attrs["warnings"])


def test_a_measure_needing_a_field_the_data_lacks_is_not_configured(other_forces: Path) -> None:
    with Store(other_forces, read_only=True) as db:
        results = evaluate(db, "pcp", "2022-12", force=CUMBRIA)
    domestic = results[results["measure_id"] == "domestic_abuse_crime"]
    assert len(domestic) == 1 and domestic["status"].item() == "not_configured"
    assert pd.isna(domestic["value"].item()) and "'domestic_abuse'" in domestic["reason"].item()
    survey = results[results["measure_id"] == "hate_crime_victim_satisfaction"]
    assert (
        survey["status"].item() == "no_data"
        and survey["reason"].item() == "no survey data in the store"
    )


def test_year_to_date_needs_every_month_of_the_year(other_forces: Path) -> None:
    with Store(other_forces, read_only=True) as db:
        results = evaluate(db, "police-uk", "2022-12", force=CUMBRIA)
    crime = results[(results["measure_id"] == "all_crime") & (results["area"] == "all")]
    before = crime[crime["month"] < date(2021, 4, 1)]  # the year 2020/21 began before the data
    assert before["fytd"].isna().all()
    after = crime[crime["month"] == date(2021, 5, 1)]
    values = crime.set_index("month")["value"]
    assert after["fytd"].item() == values[date(2021, 4, 1)] + values[date(2021, 5, 1)]
