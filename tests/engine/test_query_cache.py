"""Compiled queries kept per framework: an evaluation run from kept SQL gives the same results
table, column for column and type for type, as one that compiles, and as the Ibis path."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest

from policeperf.engine import cube as cube_module
from policeperf.engine import evaluate, evaluate_backend
from policeperf.engine.cube import Build, Queries, _compiled
from policeperf.framework import load_framework
from policeperf.framework.profile import resolve_profile
from policeperf.ingest.run import ingest_police_uk
from policeperf.store import Store
from policeperf.store.database import cache_dir, fetch_frame, ibis_backend, store_state
from tests.conftest import CAMBS_2024

AS_AT = datetime(2021, 4, 20, tzinfo=UTC)
MONTH = date(2021, 3, 1)


def kept_files(folder: Path) -> list[Path]:
    return sorted((folder / "sql").glob("*.json"))


@pytest.fixture
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("POLICEPERF_CACHE", str(folder))
    return folder


@pytest.mark.parametrize("row_months", [[MONTH], None], ids=["reporting-month", "all-months"])
def test_results_from_kept_sql_equal_those_compiled_and_those_of_ibis(
    demo_store: Store, own_cache: Path, row_months: list[date] | None
) -> None:
    framework = load_framework("pcp")
    through_ibis = evaluate_backend(ibis_backend(demo_store), framework, MONTH, as_at=AS_AT,
                                    store_state=store_state(demo_store), row_months=row_months)  # fmt: skip
    assert kept_files(own_cache) == []
    compiled = evaluate(demo_store, framework, MONTH, as_at=AS_AT, row_months=row_months)
    assert len(kept_files(own_cache)) == 1
    kept = evaluate(demo_store, framework, MONTH, as_at=AS_AT, row_months=row_months)
    assert len(kept) == len(through_ibis) > 0
    pd.testing.assert_frame_equal(kept, compiled, check_exact=True)
    pd.testing.assert_frame_equal(kept, through_ibis, check_exact=True)
    assert kept.attrs == through_ibis.attrs


def in_order(frame: pd.DataFrame) -> pd.DataFrame:
    """A query's rows in one order: a grouped query's row order is the backend's choice."""
    return frame.sort_values(list(frame.columns), kind="stable").reset_index(drop=True)


class Checked(Queries):
    """Runs each query both ways and keeps what each gave."""

    def __init__(self, store: Store) -> None:
        super().__init__(store=store)
        self.pairs: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {}

    def run(self, label: str, build: Build) -> pd.DataFrame:
        by_ibis = build(self.backend).to_pandas()
        compiled = _compiled(self.backend, build(self.backend))
        assert compiled is not None, label
        by_sql = fetch_frame(self.store, compiled["sql"], compiled["columns"])  # type: ignore[arg-type]
        self.pairs[label] = (by_sql.copy(), by_ibis.copy())
        return by_sql


def test_each_query_run_from_sql_is_typed_as_ibis_types_it_demo(demo_store: Store) -> None:
    queries = Checked(demo_store)
    evaluate_backend(queries, load_framework("pcp"), MONTH, as_at=AS_AT)
    assert {"coverage", "additive crimes", "held incidents"} <= set(queries.pairs)
    assert any(label.startswith("medians ") for label in queries.pairs)
    assert any(label.startswith("period numerators ") for label in queries.pairs)
    for label, (by_sql, by_ibis) in queries.pairs.items():
        pd.testing.assert_frame_equal(in_order(by_sql), in_order(by_ibis), check_exact=True,
                                      obj=label)  # fmt: skip


def test_each_query_run_from_sql_is_typed_as_ibis_types_it_police_uk(tmp_path: Path) -> None:
    """Real files: crimes with no district (a missing string) and a force named by the user."""
    with Store(tmp_path / "store.duckdb") as db:
        ingest_police_uk(db, [CAMBS_2024])
        queries = Checked(db)
        evaluate_backend(queries, load_framework("police-uk"), "2024-12", as_at=AS_AT)
    by_sql, _ = queries.pairs["additive crimes"]
    assert by_sql["district"].isna().any()
    assert "forces" in queries.pairs
    for label, (by_sql, by_ibis) in queries.pairs.items():
        pd.testing.assert_frame_equal(in_order(by_sql), in_order(by_ibis), check_exact=True,
                                      obj=label)  # fmt: skip


def test_a_repeated_evaluation_loads_no_ibis(demo_store_path: Path, own_cache: Path) -> None:
    code = (
        "import sys\n"
        "from policeperf import evaluate\n"
        "from policeperf.store import Store\n"
        f"with Store({str(demo_store_path)!r}, read_only=True) as db:\n"
        "    evaluate(db, 'pcp', '2021-03', row_months=[])\n"
        "print(sorted(m for m in sys.modules if m == 'ibis' or m.startswith(('ibis.', 'sqlglot'))))\n"
    )

    def loaded() -> str:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    assert loaded() != "[]"  # compiled: Ibis built the queries
    assert loaded() == "[]"  # kept: run from their SQL


def test_a_month_runs_from_the_sql_kept_for_another(
    demo_store: Store, own_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    framework = load_framework("pcp")
    evaluate(demo_store, framework, "2020-02", as_at=AS_AT, row_months=[])

    def no_compiling(*_: object) -> None:
        raise AssertionError("compiled although kept")

    monkeypatch.setattr(cube_module, "_compiled", no_compiling)
    kept = evaluate(demo_store, framework, MONTH, as_at=AS_AT)
    through_ibis = evaluate_backend(ibis_backend(demo_store), framework, MONTH, as_at=AS_AT,
                                    store_state=store_state(demo_store))  # fmt: skip
    pd.testing.assert_frame_equal(kept, through_ibis, check_exact=True)
    assert len(kept_files(own_cache)) == 1


def test_the_key_changes_with_what_the_sql_is_written_from(
    demo_store: Store, own_cache: Path
) -> None:
    framework = load_framework("pcp")
    evaluate(demo_store, framework, MONTH, as_at=AS_AT, row_months=[])
    evaluate(demo_store, framework, "2021-02", as_at=AS_AT, row_months=[])
    assert len(kept_files(own_cache)) == 1
    settings = framework.settings.model_copy(update={"include_proactive": True})
    changed = framework.model_copy(update={"settings": settings})
    evaluate(demo_store, changed, MONTH, as_at=AS_AT, row_months=[])
    assert len(kept_files(own_cache)) == 2
    profile = resolve_profile("Demo Constabulary")
    fewer = profile.model_copy(update={"areas": dict(list(profile.areas.items())[:1])})
    evaluate(demo_store, framework, MONTH, as_at=AS_AT, row_months=[], profile=fewer)
    assert len(kept_files(own_cache)) == 3


def test_a_cache_that_cannot_be_written_or_read_is_no_failure(
    demo_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("POLICEPERF_CACHE", str(blocker))
    first = evaluate(demo_store, "pcp", MONTH, as_at=AS_AT, row_months=[MONTH])
    folder = tmp_path / "cache"
    monkeypatch.setenv("POLICEPERF_CACHE", str(folder))
    evaluate(demo_store, "pcp", MONTH, as_at=AS_AT, row_months=[MONTH])
    for damage in ("{ half a fi", '{"coverage": {"sql": 1}, "additive crimes": [1]}'):
        for path in kept_files(folder):
            path.write_text(damage)
        again = evaluate(demo_store, "pcp", MONTH, as_at=AS_AT, row_months=[MONTH])
        pd.testing.assert_frame_equal(again, first, check_exact=True)


def test_in_memory_tables_are_written_into_the_sql_exactly(tmp_path: Path) -> None:
    import ibis

    frame = pd.DataFrame({"name": ["O'Brien", None, "x"], "days": [0.1, 1 / 3, None],
                          "n": [1, 2, 3]})  # fmt: skip
    with Store(tmp_path / "s.duckdb") as db:
        backend = ibis_backend(db)
        t = ibis.memtable(frame)
        expr = t.mutate(half=t.days / 2)
        compiled = _compiled(backend, expr)
        assert compiled is not None
        assert compiled["columns"] == [["name", "string"], ["days", "float64"], ["n", "int64"],
                                       ["half", "float64"]]  # fmt: skip
        got = fetch_frame(db, compiled["sql"], compiled["columns"])
        pd.testing.assert_frame_equal(got, expr.to_pandas(), check_exact=True)
    assert got["days"].tolist()[:2] == [0.1, 1 / 3]
    assert got["name"].tolist()[0] == "O'Brien"


def test_fetch_frame_types_columns_as_ibis_does(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as db:
        sql = ("SELECT * FROM (VALUES (DATE '2021-03-01', 'a', 1::BIGINT, NULL::BIGINT), "
               "(NULL, NULL, 2, 3)) AS t(d, s, i, ni)")  # fmt: skip
        got = fetch_frame(
            db, sql, [("d", "date"), ("s", "string"), ("i", "int64"), ("ni", "int64")]
        )
    assert str(got["d"].dtype) == "datetime64[s]"
    assert got["d"].iloc[0] == pd.Timestamp("2021-03-01") and pd.isna(got["d"].iloc[1])
    assert str(got["i"].dtype) == "int64"
    assert str(got["ni"].dtype) == "float64" and got["ni"].iloc[1] == 3.0
    assert pd.isna(got["s"].iloc[1])


def test_the_cache_folder_is_the_users_unless_named() -> None:
    assert cache_dir({"POLICEPERF_CACHE": "/x/y"}) == Path("/x/y")
    assert cache_dir({"XDG_CACHE_HOME": "/c"}) == Path("/c/policeperf")
    assert cache_dir({}) == Path.home() / ".cache" / "policeperf"
