"""The daily tracker, worked by hand on a tiny store whose daily counts are known."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from policeperf.engine.daily import tracker, write_tracker
from policeperf.errors import PolicePerfError
from policeperf.framework import Framework, load_framework
from policeperf.store import Store
from policeperf.store.database import ibis_backend
from policeperf.yamlconf import ConfigError
from tests.conftest import policeperf
from tests.frameworks import framework_yaml

FORCE = "Test Force"
D = date(2021, 3, 10)  # a Wednesday
LAST_YEAR = date(2020, 3, 11)  # D - 364, a Wednesday
EMPTY = date(2020, 5, 20)  # a received month, no records that day
UNRECEIVED = (2020, 6)  # June 2020 never received (its records are not counted)
FIRST, LAST = date(2020, 1, 1), date(2021, 3, 31)

MEASURES = [
    {"id": "incidents", "name": "Incidents", "table": "incidents", "kind": "count",
     "grain": "day"},
    {"id": "da_share", "name": "Domestic abuse share", "table": "incidents",
     "kind": "proportion", "success": {"filters": {"domestic_abuse": True}}, "grain": "day"},
    {"id": "monthly_only", "name": "Not daily", "table": "incidents", "kind": "count"},
]  # fmt: skip


def daily_count(d: date) -> tuple[int, int]:
    """(incidents, of which domestic abuse) on day `d`: 20 (10) on D, 8 (2) a year before,
    none on EMPTY, otherwise 9 and 11 in turn (none domestic abuse)."""
    if d == D:
        return 20, 10
    if d == LAST_YEAR:
        return 8, 2
    if d == EMPTY:
        return 0, 0
    return (9 if d.toordinal() % 2 else 11), 0


def _rows() -> pd.DataFrame:
    rows = []
    d = FIRST
    while d <= LAST:
        n, da = daily_count(d)
        for k in range(n):
            at = datetime(d.year, d.month, d.day, 0, 30) + timedelta(minutes=41 * k)
            rows.append({"incident_id": f"{d}-{k}", "force": FORCE, "created_at": at,
                         "domestic_abuse": k < da, "district": "North"})  # fmt: skip
        d += timedelta(days=1)
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def tiny_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("daily") / "tiny.duckdb"
    incidents = _rows()
    months = pd.date_range(FIRST, LAST, freq="MS")
    coverage = pd.DataFrame(
        {"batch_id": 1, "force": FORCE, "source": "test", "kind": "test",
         "table_name": "incidents", "month": [m.date() for m in months
                                              if (m.year, m.month) != UNRECEIVED]}
    )  # fmt: skip
    with Store(path) as db:
        db.con.register("new_incidents", incidents)
        db.con.execute(
            "INSERT INTO incidents (incident_id, force, created_at, domestic_abuse, district) "
            "SELECT incident_id, force, created_at, domestic_abuse, district FROM new_incidents"
        )
        db.con.register("new_coverage", coverage)
        db.con.execute("INSERT INTO coverage SELECT * FROM new_coverage")
    return path


@pytest.fixture(scope="module")
def framework(tmp_path_factory: pytest.TempPathFactory) -> Framework:
    path = tmp_path_factory.mktemp("fw") / "tiny.yaml"
    path.write_text(framework_yaml(MEASURES))
    return load_framework(path)


@pytest.fixture(scope="module")
def tiny(tiny_store: Path) -> Iterator[Store]:
    with Store(tiny_store, read_only=True) as db:
        yield db


def _row(frame: pd.DataFrame, measure_id: str) -> dict[str, object]:
    rows = frame[frame["measure_id"] == measure_id].to_dict("records")
    assert len(rows) == 1
    return rows[0]


def test_only_daily_measures_are_tracked(tiny: Store, framework: Framework) -> None:
    frame = tracker(ibis_backend(tiny), framework, D)
    assert list(frame["measure_id"]) == ["incidents", "da_share"]
    assert frame["weekday"].tolist() == ["Wednesday"] * 2


def test_a_count_against_the_same_weekday_last_year_by_the_exact_poisson_test(
    tiny: Store, framework: Framework
) -> None:
    r = _row(tracker(ibis_backend(tiny), framework, D), "incidents")
    assert (r["status"], r["value"], r["last_year_day"], r["last_year_value"]) == (
        "ok", 20.0, LAST_YEAR, 8.0,
    )  # fmt: skip
    assert r["change"] == pytest.approx(150.0)  # (20 - 8) / 8
    # Given 28 in all, 20 is binomial(28, 1/2) under no change: two-sided p = 2 P(X <= 8).
    p = 2 * sum(math.comb(28, k) for k in range(9)) / 2**28
    assert r["p_value"] == pytest.approx(p)
    assert p < 0.05 and r["verdict"] == "Higher"
    assert r["method"] == "exact_poisson_two_counts"


def test_a_count_against_its_28_day_mean(tiny: Store, framework: Framework) -> None:
    r = _row(tracker(ibis_backend(tiny), framework, D), "incidents")
    # 14 days of 9 and 14 of 11 before D.
    assert r["mean_28d"] == pytest.approx(10.0)
    assert (r["vs_mean_28d"], r["vs_mean_28d_pct"], r["position_28d"]) == (10.0, 100.0, "above")


def test_daily_spc_charts_the_unbroken_run_of_received_days(
    tiny: Store, framework: Framework
) -> None:
    r = _row(tracker(ibis_backend(tiny), framework, D), "incidents")
    # June 2020 was not received: the run is 1 July 2020 .. D = 253 days, 252 of them 9 and 11
    # in turn (126 of each) and D's 20.
    assert r["spc_days"] == 253
    mean = (126 * 9 + 126 * 11 + 20) / 253
    # Moving ranges: 251 of 2 and one of 9 or 11 into D, screened out (>= 3.267 x their mean).
    assert r["spc_mean"] == pytest.approx(mean)
    assert r["spc_upper"] == pytest.approx(mean + 2.66 * 2)
    assert r["spc_lower"] == pytest.approx(mean - 2.66 * 2)
    assert (r["spc_class"], r["spc_rule"]) == ("special_cause_neutral_high", "astronomical")


def test_a_proportion_by_the_two_proportion_test(tiny: Store, framework: Framework) -> None:
    r = _row(tracker(ibis_backend(tiny), framework, D), "da_share")
    assert (r["value"], r["numerator"], r["denominator"]) == (50.0, 10.0, 20.0)
    assert (r["last_year_value"], r["last_year_denominator"]) == (25.0, 8.0)
    assert r["change"] == pytest.approx(25.0)  # percentage points
    pooled = 12 / 28
    z = 0.25 / math.sqrt(pooled * (1 - pooled) * (1 / 20 + 1 / 8))
    assert r["p_value"] == pytest.approx(math.erfc(z / math.sqrt(2)))
    assert r["verdict"] == "Comparable"  # z = 1.19
    assert r["mean_28d"] == 0.0 and r["vs_mean_28d"] == 50.0 and r["position_28d"] == "above"
    assert pd.isna(r["vs_mean_28d_pct"])  # no % change from 0
    assert r["method"] == "two_proportion_z"


def test_a_day_of_a_month_not_received_is_not_available_never_zero(
    tiny: Store, framework: Framework
) -> None:
    frame = tracker(ibis_backend(tiny), framework, date(2020, 6, 15))
    for r in frame.to_dict("records"):
        assert r["status"] == "no_data" and pd.isna(r["value"])
        assert r["reason"] == "no incidents data received for June 2020"
        assert pd.isna(r["spc_class"]) and pd.isna(r["verdict"])


def test_a_received_day_with_no_records_is_zero(tiny: Store, framework: Framework) -> None:
    frame = tracker(ibis_backend(tiny), framework, EMPTY)
    count = _row(frame, "incidents")
    assert (count["status"], count["value"]) == ("ok", 0.0)
    share = _row(frame, "da_share")  # no records: no share to give
    assert share["status"] == "no_data" and pd.isna(share["value"])
    assert share["reason"] == "no records on this day to take a share of"


def test_comparisons_reaching_into_unreceived_months_say_why(
    tiny: Store, framework: Framework
) -> None:
    # 2020-07-10 - 364 = 2019-07-12, before the store begins; its 28 days before reach into
    # June 2020 (12 to 30 June), not received.
    frame = tracker(ibis_backend(tiny), framework, date(2020, 7, 10))
    r = _row(frame, "incidents")
    assert r["status"] == "ok" and pd.isna(r["last_year_value"]) and pd.isna(r["change"])
    assert r["verdict"] == "Insufficient data"
    assert pd.isna(r["mean_28d"])
    assert "same weekday last year: no incidents data received for July 2019" in str(r["notes"])
    assert "28-day mean: 19 of the 28 days not available" in str(r["notes"])
    assert r["spc_days"] == 10  # 1..10 July 2020


def test_grain_day_is_refused_for_other_kinds_with_the_line(tmp_path: Path) -> None:
    bad = [
        {"id": "med", "name": "Median", "table": "incidents", "kind": "median",
         "value": "response_minutes", "grain": "day"},
        {"id": "asb", "name": "ASB", "table": "asb_incidents", "kind": "count", "grain": "day"},
    ]  # fmt: skip
    path = tmp_path / "bad.yaml"
    path.write_text(framework_yaml(bad))
    with pytest.raises(ConfigError) as caught:
        load_framework(path)
    text = str(caught.value)
    assert "bad.yaml:" in text
    assert "grain: day is for count and proportion measures, not median" in text
    assert "grain: day needs records dated by the day; asb_incidents are dated by the month" in text


def test_a_framework_without_daily_measures_says_so(tiny: Store) -> None:
    with pytest.raises(PolicePerfError, match="has no daily measures"):
        tracker(ibis_backend(tiny), load_framework("pcp"), D, force=FORCE)


def test_outputs_are_safe_from_formula_injection(tmp_path: Path) -> None:
    frame = pd.DataFrame({"measure": ['=HYPERLINK("http://x")'], "value": [1.0]})
    write_tracker(frame, tmp_path / "t.csv")
    assert "'=HYPERLINK" in (tmp_path / "t.csv").read_text()
    write_tracker(frame, tmp_path / "t.xlsx")
    from openpyxl import load_workbook

    cell = load_workbook(tmp_path / "t.xlsx").active["A2"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


def test_the_cli_prints_and_writes_the_tracker(tiny_store: Path, tmp_path: Path) -> None:
    fw = tmp_path / "tiny.yaml"
    fw.write_text(framework_yaml(MEASURES))
    out = tmp_path / "tracker.csv"
    done = policeperf("tracker", "--store", str(tiny_store), "--framework", str(fw),
                      "--day", "2021-03-10", "--out", str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Daily tracker, Test Force, Wednesday 2021-03-10" in done.stdout
    assert "Higher" in done.stdout and "+150.0%" in done.stdout
    written = pd.read_csv(out)
    assert written["measure_id"].tolist() == ["incidents", "da_share"]
    assert written.loc[0, "value"] == 20.0
    bad = policeperf("tracker", "--store", str(tiny_store), "--framework", str(fw),
                     "--day", "2021-02-30")  # fmt: skip
    assert bad.returncode == 2 and "expected a day as YYYY-MM-DD" in bad.stderr
    none = policeperf("tracker", "--store", str(tiny_store), "--framework", "pcp",
                      "--day", "2021-03-10", "--force", FORCE)  # fmt: skip
    assert none.returncode == 1 and "has no daily measures" in none.stderr
    assert "Traceback" not in none.stderr
