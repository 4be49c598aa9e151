"""The results table's SPC columns on the demo force: limits from every month of a series by
default, inside rebase groups, from a named period when the framework says so, and never beyond
what a measure can take."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from policeperf.engine import evaluate
from policeperf.framework.loader import shipped_path
from policeperf.store import Store

MEASURE = "domestic_abuse_crime"


def _evaluate(demo_store_path: Path, tmp_path: Path, spc: dict[str, object]) -> pd.DataFrame:
    doc = yaml.safe_load(shipped_path("pcp").read_text())
    doc["settings"]["spc"] = spc
    tmp_path.mkdir()
    path = tmp_path / "pcp.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    with Store(demo_store_path, read_only=True) as db:
        return evaluate(db, path, "2021-03")


def _series(results: pd.DataFrame) -> pd.DataFrame:
    rows = results[(results["measure_id"] == MEASURE) & (results["area"] == "all")]
    return rows.sort_values("month").reset_index(drop=True)


@pytest.fixture(scope="module")
def module_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("spc_results")


@pytest.fixture(scope="module")
def rebased(demo_store_path: Path, module_tmp: Path) -> pd.DataFrame:
    return _evaluate(demo_store_path, module_tmp / "rebase", {"rebase": ["2020-04"]})


def test_a_rebase_gives_each_group_the_mean_of_its_own_months(rebased: pd.DataFrame) -> None:
    series = _series(rebased)
    before = series[series["month"] < pd.Timestamp("2020-04-01").date()]
    after = series[series["month"] >= pd.Timestamp("2020-04-01").date()]
    assert before["spc_mean"].nunique() == 1 and after["spc_mean"].nunique() == 1
    assert before["spc_mean"].iloc[0] == pytest.approx(before["value"].mean())
    assert after["spc_mean"].iloc[0] == pytest.approx(after["value"].mean())
    assert not series["spc_locked"].any()


def test_limits_never_pass_what_a_measure_can_take(rebased: pd.DataFrame) -> None:
    charted = rebased[rebased["spc_lower"].notna()]
    assert (charted["spc_lower"] >= 0).all() and (charted["spc_lower_near"] >= 0).all()
    pct = charted[charted["unit"] == "pct"]
    assert not pct.empty
    assert (pct["spc_upper"] <= 100).all() and (pct["spc_upper_near"] <= 100).all()


def test_a_named_period_gives_the_limits_and_holds_them(
    demo_store_path: Path, module_tmp: Path
) -> None:
    results = _evaluate(
        demo_store_path, module_tmp / "period", {"limits_period": ["2017-04", "2018-03"]}
    )
    series = _series(results)
    months = pd.to_datetime(series["month"])
    year = series[(months >= "2017-04-01") & (months <= "2018-03-01")]
    assert len(year) == 12
    assert series["spc_mean"].tolist() == pytest.approx([year["value"].mean()] * len(series))
    assert series["spc_locked"].all()
    moving = year["value"].diff().abs().dropna()
    kept = moving[moving < 3.267 * moving.mean()]
    assert series["spc_upper"].iloc[-1] == pytest.approx(year["value"].mean() + 2.66 * kept.mean())
