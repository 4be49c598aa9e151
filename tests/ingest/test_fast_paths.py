"""The shortcuts ingest takes for speed give what the plain way gives."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policeperf.ingest.batch import _in_file_order, _insert_accepted
from policeperf.ingest.police_uk import street_routes
from policeperf.ingest.reader import stage_csv
from policeperf.ingest.run import ingest_police_uk
from policeperf.ingest.validate import trim_sql
from policeperf.store import Store
from policeperf.store.schema import CRIMES
from tests.ingest.test_hostile_inputs import good_lines, street_csv

SPACES = [" ", "\u00a0", "\u3000", "\u2009", "\t", "\n", "\u200b", "x", "é", "", "!", "\x1f"]


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
        ("!x ", "!x"),  # the first character after the space
        ("\x1fx", "\x1fx"),  # a control character sorts below a space but is kept
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


def test_staged_files_say_whether_any_holds_a_nul_byte(tmp_path: Path) -> None:
    """The per-value NUL check is left out only when no staged file holds a NUL byte."""
    plain, nul = tmp_path / "plain.csv", tmp_path / "nul.csv"
    plain.write_text("a,b\nx1,1\n")
    nul.write_bytes(b"a,b\nx\x001,1\n")
    con = duckdb.connect()
    assert stage_csv(con, [(plain, "plain")], HEADER).nul_free
    assert not stage_csv(con, [(plain, "plain"), (nul, "nul")], HEADER).nul_free


def test_a_nul_byte_is_still_quarantined_among_clean_files(tmp_path: Path) -> None:
    lines = good_lines(10)
    lines[3] = lines[3].replace("Mill", "Mi\x00ll")
    (tmp_path / "2024-01-cambridgeshire-street.csv").write_bytes(
        street_csv(good_lines(5, start=1000))
    )
    (tmp_path / "2024-02-cambridgeshire-street.csv").write_bytes(street_csv(lines))
    with Store(tmp_path / "s.duckdb") as db:
        report = ingest_police_uk(db, [tmp_path])
        assert (report.rows_in, report.rows_quarantined) == (15, 1)
        assert db.fetchall("SELECT line, check_name FROM quarantine") == [(5, "nul_byte")]


def _order_of(rows: list[tuple[str, int]], files: list[str]) -> bool:
    con = duckdb.connect()
    con.execute("CREATE TEMP TABLE typed (__file VARCHAR, __line BIGINT)")
    if rows:
        con.executemany("INSERT INTO typed VALUES (?, ?)", rows)
    con.register("__batch_files", pa.table({"__file": files, "__order": range(len(files))}))
    return _in_file_order(con, "typed")


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([("a", 2), ("a", 3), ("b", 2), ("b", 5), ("c", 2)], True),
        ([], True),
        ([("a", 2), ("a", 4), ("a", 3)], False),  # lines out of order
        ([("a", 2), ("a", 2)], False),  # a line twice
        ([("b", 2), ("a", 3)], False),  # files out of batch order
        ([("a", 2), ("b", 2), ("a", 3)], False),  # a file's rows split
        ([("a", 2), ("z", 2)], False),  # a file not in the batch
    ],
)
def test_rows_are_copied_without_a_sort_only_when_they_lie_in_order(
    rows: list[tuple[str, int]], expected: bool
) -> None:
    assert _order_of(rows, ["a", "b", "c"]) is expected


def test_rows_out_of_order_are_inserted_in_order(tmp_path: Path) -> None:
    """The sorted insert when the typed rows do not lie in (batch, line) order."""
    with Store(tmp_path / "s.duckdb") as db:
        con = db.con
        names = list(CRIMES.column_names)
        con.execute(
            "CREATE TEMP TABLE typed AS SELECT * FROM (VALUES ('b', 3, 'X3'), ('a', 2, 'X1'), "
            "('b', 2, 'X2')) v(__file, __line, crime_id)"
        )
        for c in names:
            if c != "crime_id":
                kind = next(col.sql_type for col in CRIMES.columns if col.name == c)
                con.execute(f'ALTER TABLE typed ADD COLUMN "{c}" {kind}')
        con.execute("UPDATE typed SET force = 'F', recorded_date = DATE '2024-01-01', "
                    "date_precision = 'month'")  # fmt: skip
        con.execute("ALTER TABLE typed ADD COLUMN __reason VARCHAR")
        con.register("__batch_files", pa.table({"__file": ["a", "b"], "__batch": [7, 8],
                                                "__order": [0, 1]}))  # fmt: skip
        route = street_routes()[0]
        _insert_accepted(con, "typed", route, {"a": 7, "b": 8})
        got = db.fetchall("SELECT batch_id, source_line, crime_id FROM crimes ORDER BY rowid")
        assert got == [(7, 2, "X1"), (8, 2, "X2"), (8, 3, "X3")]


def test_a_quarantined_line_keeps_its_text_as_written(tmp_path: Path) -> None:
    """Months and coordinates are staged as text and typed by the checks, so a quarantined
    row's raw text is its line as written: `0.130000` is not shortened to the number's `0.13`,
    nor `2024-2` widened to a date (a reader typing them would lose both)."""
    lines = good_lines(5)
    again = lines[1].replace(",2024-02,", ",2024-2,").replace(",0.13,52.2,", ",0.130000,52.200000,")
    (tmp_path / "2024-02-cambridgeshire-street.csv").write_bytes(street_csv([*lines, again]))
    with Store(tmp_path / "s.duckdb") as db:
        report = ingest_police_uk(db, [tmp_path])
        assert (report.rows_in, report.rows_quarantined) == (6, 1)
        assert db.fetchall("SELECT line, check_name, raw FROM quarantine") == [
            (7, "duplicate", again)
        ]
