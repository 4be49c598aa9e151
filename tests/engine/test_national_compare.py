"""A force against England and Wales and its peers, on the bundled Home Office tables."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policeperf.engine.national_compare import (
    ComparisonRow,
    Peers,
    compare,
    most_like_peers,
    peer_verdict,
    simple_mean,
    weighted_mean,
)
from policeperf.engine.national_data import MEASURES, STREET_MEASURES, period_months
from policeperf.reference.national_forces import ForceReference, load_force_reference
from policeperf.store import Store
from tests.conftest import HOME_OFFICE
from tests.national_data import (
    OUTCOMES,
    POPULATION,
    PRC_2019,
    STREET,
    build_store,
    without_force,
)


@pytest.fixture(scope="module")
def reference() -> ForceReference:
    return load_force_reference()


@pytest.fixture(scope="module")
def national(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("national") / "n.duckdb",
                       [HOME_OFFICE, PRC_2019, OUTCOMES, POPULATION])  # fmt: skip


def row(rows: tuple[ComparisonRow, ...], measure_id: str) -> ComparisonRow:
    return next(r for r in rows if r.measure_id == measure_id)


def test_simple_and_weighted_peer_means_by_hand() -> None:
    # rates 10 and 30 per 1,000 over 1,000 and 3,000 people: simple (10+30)/2 = 20,
    # weighted (10 + 90) / 4,000 * 1,000 = 25
    assert simple_mean([10.0, 30.0]) == 20.0
    assert weighted_mean([10, 90], [1000, 3000], 1000.0) == 25.0


def test_peer_range_verdict_at_its_edges() -> None:
    assert peer_verdict(30.0, [10.0, 30.0]) == "within the peer range"
    assert peer_verdict(30.01, [10.0, 30.0]) == "above the peer range"
    assert peer_verdict(9.99, [10.0, 30.0]) == "below the peer range"


def test_cambridgeshire_2019_20_against_england_and_wales(
    national: Path, reference: ForceReference
) -> None:
    cambs = reference.require("Cambridgeshire")
    with Store(national, read_only=True) as db:
        result = compare(db, reference, cambs, "2019/20", Peers((), "none chosen"))
    r = row(result.rows, "recorded_crime")
    # 68,690 offences / 852,500 people (ONS mid-2018) * 1,000
    assert r.value == pytest.approx(68_690 / 852_500 * 1000)
    assert round(r.value, 2) == 80.57
    # 43 forces: 5,236,391 offences / 59,116,100 people * 1,000
    assert r.england_wales == pytest.approx(5_236_391 / 59_116_100 * 1000)
    assert "all 43 forces held" in r.england_wales_method
    assert "mid-2018 population (nearest held to 2019/20)" in r.england_wales_method
    assert r.rank_of == 43 and r.rank_low is not None and r.rank_low <= r.rank <= r.rank_high
    assert r.funnel_verdict in ("within 95% limits", "below 95% limit", "below 99.8% limit")
    assert r.peer_verdict == "not available" and r.peer_mean is None


def test_outcome_rates_are_absent_for_a_year_the_outcomes_table_lacks(
    national: Path, reference: ForceReference
) -> None:
    cambs = reference.require("Cambridgeshire")
    with Store(national, read_only=True) as db:
        later = compare(db, reference, cambs, "2019/20", Peers((), "none"))
        earlier = compare(db, reference, cambs, "2017/18", Peers((), "none"))
    gone = row(later.rows, "charge_summons_rate")
    assert (gone.status, gone.value, gone.rank, gone.england_wales) == ("no_data", None, None, None)
    assert "absent from national_outcomes for 2019/20 (years held: 2017/18)" in gone.reason
    charged = row(earlier.rows, "charge_summons_rate")
    # Cambridgeshire 2017/18: 6,614 charged/summonsed of 66,194 offences
    assert charged.value == pytest.approx(6_614 / 66_194 * 100)


def test_the_force_is_never_its_own_peer(national: Path, reference: ForceReference) -> None:
    cambs = reference.require("Cambridgeshire")
    norfolk, suffolk = reference.require("Norfolk"), reference.require("Suffolk")
    peers = Peers((cambs.code, norfolk.code, suffolk.code), "test peers")
    with Store(national, read_only=True) as db:
        result = compare(db, reference, cambs, "2019/20", peers)
        r = row(result.rows, "recorded_crime")
        n, s = (
            db.fetchall(
                "SELECT sum(offences) FROM national_crime WHERE financial_year = '2019/20' "
                "AND force_code = ?", [code])[0][0]
            for code in (norfolk.code, suffolk.code)
        )  # fmt: skip
        pn, ps = (
            db.scalar("SELECT population FROM national_population WHERE force_code = ?", [c])
            for c in (norfolk.code, suffolk.code)
        )
    assert r.peers_used == "Norfolk, Suffolk"
    assert r.peer_mean == pytest.approx((n / pn + s / ps) / 2 * 1000)
    assert r.peer_weighted_mean == pytest.approx((n + s) / (pn + ps) * 1000)
    assert "Cambridgeshire excluded from its own peer average" in r.peer_mean_method


def test_most_like_names_its_method_and_excludes_the_force(
    national: Path, reference: ForceReference
) -> None:
    cambs = reference.require("Cambridgeshire")
    with Store(national, read_only=True) as db:
        peers = most_like_peers(db, reference, cambs, "2019/20", 5)
    assert len(peers.codes) == 5 and cambs.code not in peers.codes
    assert peers.method.startswith("most similar 5 computed: nearest by Euclidean distance")
    assert "density not used: no area data held" in peers.method


def test_a_force_absent_from_the_source_is_absent_everywhere_never_zero(
    tmp_path: Path, reference: ForceReference
) -> None:
    prc = without_force(PRC_2019, "Force Name", "Kent", tmp_path / "prc-2019-20-without-kent.csv")
    path = build_store(tmp_path / "s.duckdb", [prc, POPULATION])
    kent, cambs = reference.require("Kent"), reference.require("Cambridgeshire")
    with Store(path, read_only=True) as db:
        own = compare(db, reference, kent, "2019/20", Peers((), "none"))
        other = compare(db, reference, cambs, "2019/20", Peers((kent.code,), "test"))
    for r in own.rows[: len(MEASURES) - 2]:
        assert (r.status, r.value, r.rank, r.funnel_verdict) == (
            "no_data",
            None,
            None,
            "not available",
        )
        assert r.reason.startswith("Kent absent from national_crime for 2019/20")
    r = row(other.rows, "recorded_crime")
    assert r.rank_of == 42
    assert "42 forces held; absent, not counted: Kent" in r.england_wales_method
    assert r.peer_mean is None and "absent, not counted: Kent" in r.peers_used


@pytest.fixture(scope="module")
def street(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("street") / "s.duckdb", [STREET, POPULATION])


def test_police_uk_months_compare_only_forces_with_every_month(
    street: Path, reference: ForceReference
) -> None:
    met, tv, cumbria = (reference.require(n) for n in ("Met Police", "Thames Valley", "Cumbria"))
    span = "2022-01..2022-11"
    with Store(street, read_only=True) as db:
        absent = compare(db, reference, met, span, Peers((), "none"), measures=STREET_MEASURES)
        partial = compare(db, reference, tv, span, Peers((), "none"), measures=STREET_MEASURES)
        held = compare(db, reference, cumbria, span, Peers((), "none"), measures=STREET_MEASURES)
    assert all(r.status == "no_data" and r.value is None for r in absent.rows)
    assert absent.rows[0].reason == (
        "Metropolitan Police absent from national_street_counts for 2022-01..2022-11 "
        "(months held: 2022-01..2022-11)"
    )
    assert partial.rows[0].reason == (
        "Thames Valley has 6 of 11 months of 2022-01..2022-11 in national_street_counts"
    )
    r = held.rows[0]
    assert r.rank_of == 35
    assert "absent, not counted: Metropolitan Police, Greater Manchester" in r.england_wales_method
    with Store(street, read_only=True) as db:
        crimes = db.scalar(
            "SELECT sum(crimes) FROM national_street_counts WHERE force_code = 'E23000002' "
            "AND crime_type <> 'Anti-social behaviour'"
        )
    # Cumbria: crimes over 11 months / ONS mid-2018 population 498,900 x 1,000
    assert r.value == pytest.approx(crimes / 498_900 * 1000)


def test_a_store_without_national_tables_says_what_to_run(
    tmp_path: Path, reference: ForceReference
) -> None:
    with Store(tmp_path / "empty.duckdb") as db:
        result = compare(db, reference, reference.require("Kent"), "2019/20", Peers((), "none"))
    assert {r.reason for r in result.rows[:1]} == {
        "no national_crime held; run 'policeperf national ingest'"
    }
    assert all(r.value is None for r in result.rows)


@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=10**6), st.integers(min_value=1, max_value=10**7)
        ),
        min_size=1,
        max_size=20,
    )
)
def test_both_peer_means_lie_within_the_peer_range(pairs: list[tuple[int, int]]) -> None:
    rates = [n / d * 1000 for n, d in pairs]
    weighted = weighted_mean([n for n, _ in pairs], [d for _, d in pairs], 1000.0)
    for mean in (weighted, simple_mean(rates)):
        assert min(rates) - 1e-9 <= mean <= max(rates) + 1e-9


def test_periods_are_financial_years_or_spans_of_months() -> None:
    assert len(period_months("2019/20")) == 12
    assert period_months("2019/20")[0].isoformat() == "2019-04-01"
    assert period_months("2019/20")[-1].isoformat() == "2020-03-01"
    assert len(period_months("2022-01..2022-11")) == 11
    with pytest.raises(ValueError):
        period_months("2019")
