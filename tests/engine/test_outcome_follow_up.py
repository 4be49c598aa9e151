"""Outcome rates as at each month's end, and cohort baselines at equal follow-up, on a small
store whose every figure is worked by hand."""

from __future__ import annotations

from datetime import date, timedelta

import ibis
import numpy as np
import pandas as pd
import pytest
import yaml

from policeperf.calendar import add_months, month_range
from policeperf.engine import evaluate
from policeperf.engine.aggregate import FOLLOW_UP_LAGS, LAG_KEY, fold_follow_up
from policeperf.engine.followup import as_at_window, baseline_at_equal_follow_up
from policeperf.framework import Framework
from policeperf.store import Store
from tests.frameworks import framework_yaml

FORCE = "Test Force"
MONTHS = month_range(date(2018, 4, 1), date(2020, 3, 1))


def _framework(method: str) -> Framework:
    text = framework_yaml(
        [{"id": "rate", "name": "Positive outcome rate", "kind": "outcome_rate",
          "outcome_set": "positive", "method": method, "polarity": "up_is_good"}],
        force=FORCE,
    )  # fmt: skip
    return Framework.model_validate(yaml.safe_load(text))


def _fill(
    store: Store,
    crimes: list[tuple[str, date]],
    outcomes: list[tuple[str, date]],
) -> None:
    """Crimes (id, recorded) in district A and charge/summons outcomes (id, dated), with both
    tables received for every month of MONTHS."""
    for crime_id, day in crimes:
        store.execute(
            "INSERT INTO crimes (crime_id, force, recorded_date, district) VALUES (?, ?, ?, 'A')",
            [crime_id, FORCE, day],
        )
    for crime_id, day in outcomes:
        store.execute(
            "INSERT INTO outcomes (crime_id, force, outcome_date, outcome_type) VALUES (?, ?, ?, 1)",
            [crime_id, FORCE, day],
        )
    for table in ("crimes", "outcomes"):
        for month in MONTHS:
            store.execute(
                "INSERT INTO coverage VALUES (1, ?, 'test', 'test', ?, ?)", [FORCE, table, month]
            )


def _ladder(store: Store) -> None:
    """Ten crimes a month. Crime 0 of each month is charged in its own month (lag 0), crime 1
    three months later (lag 3), crime 2 twelve months later (lag 12, beyond any window)."""
    crimes, outcomes = [], []
    for month in MONTHS:
        for n in range(10):
            crimes.append((f"{month:%Y%m}-{n}", month + timedelta(days=n)))
        for n, lag in ((0, 0), (1, 3), (2, 12)):
            outcomes.append((f"{month:%Y%m}-{n}", add_months(month, lag) + timedelta(days=20)))
    _fill(store, crimes, outcomes)


def _row(results: pd.DataFrame, month: date) -> pd.Series:
    rows = results[(results["area"] == "all") & (results["month"] == month)]
    assert len(rows) == 1
    return rows.iloc[0]


def test_cohort_rolling_rate_counts_only_outcomes_known_at_the_windows_end(store: Store) -> None:
    _ladder(store)
    row = _row(evaluate(store, _framework("cohort"), "2020-03"), date(2020, 3, 1))
    # Months t-11..t: every lag-0 outcome (12); lag 3 for the 9 months with k >= 3; lag 12 never.
    assert row["rolling_12m_numerator"] == 21
    assert row["rolling_12m_denominator"] == 120
    assert row["rolling_12m"] == pytest.approx(17.5)
    # The month itself: only outcomes dated in the month (1 of 10).
    assert row["value"] == pytest.approx(10.0)


def test_cohort_baseline_is_measured_at_the_same_follow_up_as_the_current_window(
    store: Store,
) -> None:
    _ladder(store)
    row = _row(evaluate(store, _framework("cohort"), "2020-03"), date(2020, 3, 1))
    # 2018/19 as it stood at March 2019: 12 + 9 = 21 of 120. Counting every outcome known by
    # March 2020 would give 12 + 12 + 12 = 36 (30%), a year's more follow-up than the current.
    assert row["baseline_numerator"] == 21
    assert row["baseline"] == pytest.approx(17.5)
    assert row["change_ppt"] == pytest.approx(0.0)


def test_a_past_month_reads_the_same_in_a_later_run(store: Store) -> None:
    _ladder(store)
    later = evaluate(store, _framework("cohort"), "2020-03")
    at_the_time = evaluate(store, _framework("cohort"), "2019-07")
    columns = ["value", "rolling_12m", "baseline", "fytd", "rolling_12m_numerator"]
    then = _row(at_the_time, date(2019, 7, 1))[columns]
    assert _row(later, date(2019, 7, 1))[columns].tolist() == then.tolist()
    # Year to date at July 2019: April has had 3 months (lags 0 and 3), May-July lag 0 only.
    assert then["fytd"] == pytest.approx(100 * 5 / 40)


def test_period_rate_counts_an_outcome_dated_before_its_crime_in_the_month_recorded(
    store: Store,
) -> None:
    crimes = [(f"c{n}", add_months(date(2018, 4, 1), n)) for n in range(24)]
    late = ("late", date(2019, 7, 3))  # recorded in July 2019, its outcome dated May 2019
    _fill(store, [*crimes, late], [("c0", date(2018, 4, 9)), ("late", date(2019, 5, 30))])
    later = evaluate(store, _framework("period"), "2020-03")
    # (Period rates need the 12 months of recorded crime before: months from April 2019 stand.)
    assert _row(later, date(2019, 5, 1))["numerator"] == 0
    assert _row(later, date(2019, 7, 1))["numerator"] == 1
    at_the_time = evaluate(store, _framework("period"), "2019-05")
    assert _row(at_the_time, date(2019, 5, 1))["numerator"] == 0


def test_as_at_window_takes_month_end_minus_k_at_lag_k() -> None:
    lags = np.array([[1, 2, 3], [0, 1, 1], [2, 2, 2]], dtype=float)
    assert as_at_window(lags, 2, 3) == 2 + 1 + 3
    assert as_at_window(lags, 2, 2) == 2 + 1
    assert as_at_window(lags, 1, 3) is None  # starts before the series
    lags[1] = np.nan  # month 1 without data
    assert as_at_window(lags, 2, 2) is None


def test_baseline_at_equal_follow_up_is_the_year_as_it_stood_at_march() -> None:
    months = month_range(date(2018, 4, 1), date(2019, 6, 1))
    lags = np.tile(np.arange(1.0, 13.0), (len(months), 1))  # lag k holds k + 1
    # March 2019 is position 11: months 11-k at lag k, so 1 + 2 + ... + 12.
    assert baseline_at_equal_follow_up(lags, months, 2018) == sum(range(1, 13))
    assert baseline_at_equal_follow_up(lags, months, 2019) is None  # year not in the series
    assert baseline_at_equal_follow_up(lags, months, 2017) is None


def test_a_second_outcome_set_gives_the_same_figures_as_the_triangle(store: Store) -> None:
    """The first set's lags come from the grouping key, a second set's from one count per lag:
    all outcomes are charges, so 'charge' and 'positive' must agree."""
    _ladder(store)
    text = framework_yaml(
        [{"id": f"rate_{s}", "name": f"{s} rate", "kind": "outcome_rate", "outcome_set": s,
          "method": "cohort", "polarity": "up_is_good"} for s in ("charge", "positive")],
        force=FORCE,
    )  # fmt: skip
    results = evaluate(store, Framework.model_validate(yaml.safe_load(text)), "2020-03")
    forces = results[results["area"] == "all"].set_index(["measure_id", "month"])
    columns = ["value", "rolling_12m", "baseline", "fytd"]
    charge = forces.loc["rate_charge", columns].to_numpy(dtype=float)
    positive = forces.loc["rate_positive", columns].to_numpy(dtype=float)
    assert np.array_equal(charge, positive, equal_nan=True)
    assert forces.loc[("rate_charge", date(2020, 3, 1)), "rolling_12m"] == pytest.approx(17.5)


def test_folding_the_triangle_sums_counts_and_cumulates_lags_keeping_no_district() -> None:
    jan = date(2020, 1, 1)
    raw = pd.DataFrame(
        {"period": [jan] * 4, "district": ["A", "A", "A", None],
         LAG_KEY: [0, 2, FOLLOW_UP_LAGS, 1], "r__den": [3, 2, 5, 4], "n__num": [1, 1, 1, 1]}
    )  # fmt: skip
    measure = Framework.model_validate(yaml.safe_load(framework_yaml(
        [{"id": "r", "name": "R", "kind": "outcome_rate", "outcome_set": "positive",
          "method": "cohort", "polarity": "up_is_good"}]))).measure("r")  # fmt: skip
    out = fold_follow_up(raw, [measure])
    assert len(out) == 2
    a = out[out["district"] == "A"].iloc[0]
    none = out[out["district"].isna()].iloc[0]
    assert (a["r__den"], a["n__num"]) == (10, 3)  # every lag, later-or-never included
    assert [a[f"r__lag{k}"] for k in (0, 1, 2, 11)] == [3, 3, 5, 5]
    assert (none["r__den"], none["r__lag0"], none["r__lag1"]) == (4, 0, 4)


@pytest.mark.parametrize(("method", "joins"), [("period", False), ("cohort", True)])
def test_crimes_scan_reads_first_outcomes_only_for_cohort_rates(
    store: Store, method: str, joins: bool
) -> None:
    """Period numerators count crimes by their outcome's month in a query of their own, so the
    crimes scan joins the first outcomes (an aggregation of every outcome) only for a cohort
    rate's follow-up triangle."""
    from policeperf.engine.aggregate import Scope, additive_expr, base_table, first_outcomes
    from policeperf.reference import outcome_sets
    from policeperf.store.database import ibis_backend

    backend = ibis_backend(store)
    scope = Scope(force=FORCE, last_month=date(2020, 3, 1))
    measures = [m for *_, m in _framework(method).measures()]
    first = first_outcomes(backend, scope, [outcome_sets()["positive"]])
    expr = additive_expr(base_table(backend, "crimes", scope), measures, first)
    assert ('"outcomes"' in str(ibis.to_sql(expr))) is joins
    assert (LAG_KEY in expr.columns) is joins
