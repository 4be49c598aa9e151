"""The shortcuts ingest takes for speed give what the plain way gives."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policeperf.ingest.reader import stage_csv
from policeperf.ingest.run import ingest_police_uk
from policeperf.ingest.validate import trim_sql
from policeperf.store import Store
from tests.ingest.test_hostile_inputs import good_lines, street_csv

SPACES = [" ", "\u00a0", "\u3000", "\u2009", "\t", "\n", "\u200b", "x", "é", ""]


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  Burglary ", "Burglary"),
        ("Burglary", "Burglary"),
        ("\u00a0Peterborough 019A\u3000", "Peterborough 019A"),  # Unicode spaces go too
        ("\tkept\t", "\tkept\t"),  # trim removes spaces, not tabs
        ("Cam bridge", "Cam bridge"),
        ("   ", ""),
        ("", ""),
        (None, None),
    ],
)
def test_trim_sql_by_hand(con: duckdb.DuckDBPyConnection, text: str | None, expected: str) -> None:
    assert con.execute(f"SELECT {trim_sql('$1::VARCHAR')}", [text]).fetchall() == [(expected,)]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(SPACES), max_size=6).map("".join))
def test_trim_sql_is_trim(text: str) -> None:
    con = duckdb.connect()
    got = con.execute(f"SELECT {trim_sql('$1::VARCHAR')}, trim($1::VARCHAR)", [text]).fetchall()
    assert got[0][0] == got[0][1]


HEADER = ["a", "b"]


def _lines(
    con: duckdb.DuckDBPyConnection, files: list[tuple[Path, str]]
) -> list[tuple[str, int, str]]:
    staged = stage_csv(con, files, HEADER)
    rows = con.execute(f"SELECT __file, __line, a FROM {staged.table} ORDER BY 1, 2").fetchall()
    staged.drop(con)
    return rows


def test_line_numbers_without_rejects_match_the_file(tmp_path: Path) -> None:
    """Every record parsed: lines are numbered from the file's order (no copy of the rows)."""
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    one.write_text("a,b\nx1,1\nx2,2\nx3,3\n")
    two.write_text('a,b\ny1,1\n"y2\nstill y2",2\ny3,3\n')  # a quoted field over two lines
    got = _lines(duckdb.connect(), [(one, "one"), (two, "two")])
    assert got == [
        ("one", 2, "x1"), ("one", 3, "x2"), ("one", 4, "x3"),
        ("two", 2, "y1"), ("two", 3, "y2\nstill y2"), ("two", 4, "y3"),
    ]  # fmt: skip


def test_line_numbers_with_a_rejected_line_skip_it(tmp_path: Path) -> None:
    one = tmp_path / "one.csv"
    one.write_text("a,b\nx1,1\nx2,2,surplus\nx3,3\n")
    con = duckdb.connect()
    staged = stage_csv(con, [(one, "one")], HEADER)
    rows = con.execute(f"SELECT __file, __line, a FROM {staged.table} ORDER BY 2").fetchall()
    assert rows == [("one", 2, "x1"), ("one", 4, "x3")]
    assert [(r.file, r.line) for r in staged.rejected] == [("one", 3)]


def test_swallowed_lines_are_found_in_the_one_quoted_file_of_a_kind(tmp_path: Path) -> None:
    """Files without a quote are not searched for fields holding lines; one that has quotes
    still is, among files that have none."""
    clean = good_lines(100)
    quoted = good_lines(200, start=1000)
    quoted[50] = quoted[50].replace("On or near Mill Road", '"On or near Mill Road')
    quoted[120] = quoted[120].replace("Mill Road", 'Mill Road"')
    (tmp_path / "2024-01-cambridgeshire-street.csv").write_bytes(street_csv(clean))
    (tmp_path / "2024-02-cambridgeshire-street.csv").write_bytes(street_csv(quoted))
    with Store(tmp_path / "s.duckdb") as db:
        first, second = ingest_police_uk(db, [tmp_path]).batches
        assert (first.rows_in, first.rows_accepted) == (100, 100)
        assert (second.rows_in, second.rows_accepted) == (200, 199)
        assert db.fetchall("SELECT file, line, check_name FROM quarantine") == [
            (str(tmp_path / "2024-02-cambridgeshire-street.csv"), 52, "unbalanced_quote")
        ]
