"""Harm sums, ranking with ties, concentration, cohort windows and reoffending windows, each
against hand-worked figures on a small store."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from policeperf.errors import PolicePerfError
from policeperf.harm.cohort import measure_cohort
from policeperf.harm.rank import Window, concentration, power_few, rank
from policeperf.harm.reoffending import (
    Cohort,
    first_measurable,
    follow_up_end,
    measure,
    waiting_end,
)
from policeperf.ingest.run import ingest_table
from policeperf.reference.harm_weights import load_weights
from policeperf.store import Store
from policeperf.store.database import ibis_backend

FORCE = "Demo Constabulary"
CRIMES = """REF,DATE,CODE
c1,2020-01-10,28E
c2,2020-02-10,8N
c3,2020-03-10,46
c4,2020-03-15,92E
c5,2020-04-10,105A
c6,2020-05-01,105A
c7,2020-06-01,46
c8,2020-12-31,46
"""
LINKS = """REF,PERSON,ROLE
c1,A,offender
c1,V1,victim
c2,A,offender
c2,B,offender
c3,C,offender
c4,C,offender
c5,B,offender
c7,D,offender
"""
# CCHI days: 28E residential burglary 273.5; 8N violence with injury 365; 46 shoplifting 1;
# 105A violence without injury 10; 92E possession of drugs is excluded (proactive).


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("harm")
    (folder / "crimes.csv").write_text(CRIMES)
    (folder / "links.csv").write_text(LINKS)
    (folder / "crimes.yaml").write_text(
        "table: crimes\nconstants: {force: Demo Constabulary, date_precision: day}\n"
        "columns: {crime_id: REF, recorded_date: DATE, offence_code: CODE}\n"
    )
    (folder / "links.yaml").write_text(
        "table: person_links\ncolumns: {crime_id: REF, person_id: PERSON, role: ROLE}\n"
    )
    store = Store(folder / "s.duckdb")
    ingest_table(store, [folder / "crimes.csv"], mapping_path=folder / "crimes.yaml")
    ingest_table(store, [folder / "links.csv"], mapping_path=folder / "links.yaml")
    yield ibis_backend(store)
    store.close()


WEIGHTS = load_weights("cchi", FORCE)
YEAR = Window(date(2020, 1, 1), date(2020, 12, 31))


def test_weights_follow_the_offence_subgroup_and_exclude_possession() -> None:
    assert WEIGHTS.weight("28E", "Burglary") == 273.5
    assert WEIGHTS.weight("8N", "Violence and sexual offences") == 365.0
    assert WEIGHTS.weight("92E", "Drugs") is None
    assert load_weights("cchi", FORCE, include_proactive=True).weight("92E", "Drugs") == 3.0
    assert load_weights("cchi", "Cambridgeshire Constabulary").weight(None, "Burglary") == 236.58


def test_a_users_own_weights_table(tmp_path: Path) -> None:
    path = tmp_path / "w.csv"
    path.write_text("offence_code,category,weight\n28E,,100\n,Burglary,50\n")
    own = load_weights(str(path))
    assert own.weight("28E", "Burglary") == 100 and own.weight("30C", "Burglary") == 50
    path.write_text("offence_code,weight\n28E,lots\n")
    with pytest.raises(
        PolicePerfError, match=r"w.csv:2 weight: got 'lots'; expected a number of days"
    ):
        load_weights(str(path))


def test_harm_per_offender_with_ties_and_unknown_offenders(backend) -> None:
    ranking = rank(backend, FORCE, YEAR, WEIGHTS, "offender")
    table = ranking.table.set_index("key")
    assert ranking.total_harm == 273.5 + 365 + 1 + 10 + 10 + 1 + 1  # c4 (drugs) excluded
    assert table.loc["A", "harm"] == 273.5 + 365
    assert table.loc["B", "harm"] == 365 + 10
    assert table.loc["C", "harm"] == 1  # c4 excluded
    assert table.loc["D", "harm"] == 1
    assert list(table["rank"]) == [1, 2, 3, 3]  # C and D tie
    assert list(table.index) == ["A", "B", "C", "D"]  # ties broken by id, reproducibly
    assert ranking.unknown_harm == 10 + 1  # c6 and c8 have no offender


def test_concentration_shares_by_hand() -> None:
    harm = pd.Series([638.5, 375.0, 1.0, 1.0])
    top = concentration(harm, (0.25, 0.5))
    assert top[0]["people"] == 1 and top[0]["harm_pct"] == pytest.approx(100 * 638.5 / 1015.5)
    assert top[1]["people"] == 2 and top[1]["harm_pct"] == pytest.approx(100 * 1013.5 / 1015.5)
    tied = concentration(pd.Series([5.0, 3.0, 3.0, 1.0]), (0.5,))[0]
    assert tied["people"] == 2 and tied["tied_at_boundary"] == 2
    assert power_few(harm) == 25.0


def test_salted_identifiers_are_pseudonymous_and_stable(backend) -> None:
    one = rank(backend, FORCE, YEAR, WEIGHTS, "offender", salt="s1").table["key"].tolist()
    again = rank(backend, FORCE, YEAR, WEIGHTS, "offender", salt="s1").table["key"].tolist()
    other = rank(backend, FORCE, YEAR, WEIGHTS, "offender", salt="s2").table["key"].tolist()
    assert one == again and one != other and "A" not in one


def test_cohort_windows_are_equal_and_the_adoption_day_counts_after(backend) -> None:
    result = measure_cohort(
        backend, FORCE, WEIGHTS, [("A", date(2020, 3, 1))], 2, date(2020, 12, 31), comparison=False
    )
    row = result.people.iloc[0]
    assert (row["before_harm"], row["after_harm"]) == (273.5 + 365, 0.0)  # Jan-Feb vs Mar-Apr
    result = measure_cohort(
        backend, FORCE, WEIGHTS, [("B", date(2020, 4, 10))], 1, date(2020, 12, 31), comparison=False
    )
    row = result.people.iloc[0]
    assert (row["before_harm"], row["after_harm"], row["after_offences"]) == (0.0, 10.0, 1)
    assert "regression to the mean" in result.note


def test_a_cohort_member_whose_after_window_is_not_in_the_data_is_not_measured(backend) -> None:
    result = measure_cohort(backend, FORCE, WEIGHTS, [("A", date(2020, 3, 1)), ("B", date(2020, 12, 1))], 2,
                            date(2020, 12, 31), comparison=False)  # fmt: skip
    assert list(result.people["person_id"]) == ["A"]
    assert result.excluded == [("B", "after-window ends 2021-01-31, after the data (2020-12-31)")]


def test_reoffending_windows_by_hand() -> None:
    index = date(2019, 1, 15)
    assert follow_up_end(index) == date(2020, 1, 14)
    assert waiting_end(index) == date(2020, 7, 14)
    rows = pd.DataFrame(
        [
            ("P", "k0", date(2019, 1, 1), date(2019, 1, 15)),   # index disposal in 2019Q1
            ("P", "k1", date(2020, 1, 14), date(2020, 3, 1)),   # last day of follow-up: counts
            ("P", "k2", date(2020, 1, 15), date(2020, 2, 1)),   # a day after follow-up: no
            ("P", "k3", date(2019, 6, 1), date(2020, 7, 14)),   # proven on the last waiting day: counts
            ("P", "k4", date(2019, 7, 1), date(2020, 7, 15)),   # proven a day after: no
            ("Q", "q0", date(2019, 3, 1), date(2019, 3, 31)),   # in the cohort, no reoffence
            ("R", "r0", date(2019, 3, 1), date(2019, 4, 1)),    # disposed after the quarter: not in it
            ("S", "s0", date(2019, 2, 1), None),                # never proven: not in the cohort
        ],
        columns=["person_id", "crime_id", "offence", "disposed"],
    )  # fmt: skip
    result = measure(rows, Cohort.parse("2019Q1"), data_end=date(2021, 12, 31))
    assert (result.offenders, result.reoffenders, result.reoffences) == (2, 1, 2)
    assert (result.binary_rate_pct, result.per_offender, result.per_reoffender) == (50.0, 1.0, 2.0)


def test_a_cohort_whose_follow_up_has_not_elapsed_is_refused_naming_the_first_date() -> None:
    cohort = Cohort.parse("2019Q1")  # ends 31 March 2019
    assert first_measurable(cohort) == date(2020, 9, 30)
    empty = pd.DataFrame(columns=["person_id", "crime_id", "offence", "disposed"])
    measure(empty, cohort, data_end=date(2020, 9, 29))  # the last waiting day is in the data
    with pytest.raises(
        PolicePerfError,
        match="first date it can be measured is 30 September 2020; the data ends 28 September 2020",
    ):
        measure(empty, cohort, data_end=date(2020, 9, 28))
    with pytest.raises(PolicePerfError, match="expected a quarter such as 2019Q1"):
        Cohort.parse("2019-1")
