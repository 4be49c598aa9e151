"""Malformed input: every row is accepted or quarantined with a line and a reason, every time."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policeperf.errors import InputFileError
from policeperf.ingest.batch import NothingAcceptedError
from policeperf.ingest.police_uk import STREET_HEADER
from policeperf.ingest.run import ingest_police_uk
from policeperf.store import Store

GOOD = (
    "{id},2024-0{m},Cambridgeshire Constabulary,Cambridgeshire Constabulary,0.13,52.2,"
    "On or near Mill Road,E01017983,Cambridge 007C,Burglary,Under investigation,"
)
HEADER = ",".join(STREET_HEADER)


def good_line(i: int) -> str:
    return GOOD.format(id=f"c{i:06d}", m=1 + i % 9)


CORRUPTIONS = {
    "truncated": lambda line, r: line[: r.randrange(1, len(line) - 1)],
    "extra_column": lambda line, r: line + ",surplus",
    "nul_byte": lambda line, r: line.replace("Mill", "Mi\x00ll"),
    "bad_month": lambda line, r: line.replace(",2024-0", ",2024-1", 1).replace(
        ",2024-1", ",2024-19", 1
    ),
    "unknown_category": lambda line, r: line.replace("Burglary", "Piracy"),
    "bad_coordinate": lambda line, r: line.replace("0.13", "east"),
    "latin1": lambda line, r: line.replace("Mill", "M\xe9ill"),
    "duplicate": lambda line, r: line,  # same id as the line before it
    "missing_force": lambda line, r: line.replace(
        "Cambridgeshire Constabulary,Cambridgeshire Constabulary,", "Cambridgeshire Constabulary,,"
    ),
    "unbalanced_quote": lambda line, r: line.replace("Mill Road", 'Mill "Road'),
}


def write(path: Path, lines: list[str | bytes], newline: bytes = b"\n", bom: bool = False) -> Path:
    body = b"\xef\xbb\xbf" if bom else b""
    for line in [HEADER, *lines]:
        data = line if isinstance(line, bytes) else line.encode("utf-8")
        body += data + newline
    path.write_bytes(body)
    return path


def build(kinds: list[str], seed: int) -> list[str | bytes]:
    r = random.Random(seed)
    lines: list[str | bytes] = []
    for i, kind in enumerate(kinds):
        if kind == "good":
            lines.append(good_line(i))
        elif kind == "duplicate" and lines:
            previous = lines[-1]
            lines.append(previous)
        elif kind == "latin1":
            lines.append(good_line(i).replace("Mill", "M\xe9ill").encode("latin-1"))
        else:
            lines.append(CORRUPTIONS[kind](good_line(i), r))
    return lines


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    kinds=st.lists(
        st.sampled_from(["good", "good", "good", *CORRUPTIONS]), min_size=0, max_size=40
    ),
    seed=st.integers(0, 10_000),
    crlf=st.booleans(),
    bom=st.booleans(),
)
def test_accounting_identity_holds_for_any_malformed_file(
    tmp_path_factory: pytest.TempPathFactory, kinds: list[str], seed: int, crlf: bool, bom: bool
) -> None:
    folder = tmp_path_factory.mktemp("malformed")
    path = write(folder / "2024-01-cambridgeshire-street.csv", build(kinds, seed),
                 b"\r\n" if crlf else b"\n", bom)  # fmt: skip
    with Store(folder / "s.duckdb") as db:
        try:
            report = ingest_police_uk(db, [path])
        except NothingAcceptedError:
            assert "good" not in kinds  # a file of bad rows only is refused, and nothing written
            assert db.scalar("SELECT count(*) FROM ingest_batches") == 0
            return
        (batch,) = report.batches
        assert batch.rows_in == batch.rows_accepted + batch.rows_quarantined
        stored = db.fetchall("SELECT rows_in, rows_accepted, rows_quarantined FROM ingest_batches")[
            0
        ]
        assert stored == (batch.rows_in, batch.rows_accepted, batch.rows_quarantined)
        accepted = db.scalar("SELECT count(*) FROM crimes") + db.scalar(
            "SELECT count(*) FROM asb_incidents"
        )
        quarantined = db.scalar("SELECT count(*) FROM quarantine")
        assert (accepted, quarantined) == (batch.rows_accepted, batch.rows_quarantined)
        assert db.scalar("SELECT count(*) FROM quarantine WHERE line IS NULL OR line < 2") == 0
        assert db.scalar("SELECT count(*) FROM quarantine WHERE reason IS NULL OR reason = ''") == 0
        good = sum(1 for k in kinds if k == "good")
        assert batch.rows_accepted >= good - kinds.count("duplicate")


def test_each_corruption_is_quarantined_with_its_field_and_line(tmp_path: Path) -> None:
    lines: list[str | bytes] = [good_line(0)]
    expected: dict[int, tuple[str | None, str]] = {}
    for i, kind in enumerate(["bad_month", "unknown_category", "bad_coordinate", "nul_byte",
                              "extra_column", "missing_force"], start=1):  # fmt: skip
        lines.append(CORRUPTIONS[kind](good_line(i), random.Random(i)))
    lines.append(good_line(0))  # duplicate of line 2
    lines.append(good_line(50).encode("utf-8").replace(b"Mill", b"M\xe9ill"))
    path = write(tmp_path / "2024-01-cambridgeshire-street.csv", lines)
    expected = {
        3: ("Month", "invalid_date"),
        4: ("Crime type", "not_allowed"),
        5: ("Longitude", "invalid_double"),
        6: ("Location", "nul_byte"),
        7: (None, "malformed_line"),
        8: ("Falls within", "missing"),
        9: ("Crime ID", "duplicate"),
        10: ("Location", "invalid_encoding"),
    }
    with Store(tmp_path / "s.duckdb") as db:
        ingest_police_uk(db, [path])
        got = {
            line: (field, check)
            for line, field, check in db.fetchall("SELECT line, field, check_name FROM quarantine")
        }
        reasons = dict(db.fetchall("SELECT line, reason FROM quarantine"))
        assert db.scalar("SELECT count(*) FROM crimes") == 1
    assert got == expected
    assert reasons[3].startswith("Month: got '2024-19")
    assert reasons[3].endswith("'; expected a month (YYYY-MM)")
    assert reasons[9].startswith("Crime ID: duplicate 'c000000'; first seen at line 2")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty file; expected a CSV header line"),
        (b"PK\x03\x04\x00\x00binary", "binary file (NUL bytes); expected CSV text"),
        (b"\xff\xfeC\x00r\x00i\x00", "binary file"),
        (b"a,b,c\n1,2,3\n", "header is not a data.police.uk file header (got 'a,b,c')"),
    ],
)
def test_a_wrong_file_is_refused_with_one_line_and_nothing_written(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "input.csv"
    path.write_bytes(content)
    with Store(tmp_path / "s.duckdb") as db:
        with pytest.raises(InputFileError) as info:
            ingest_police_uk(db, [path])
        assert db.scalar("SELECT count(*) FROM ingest_batches") == 0
    assert message in str(info.value)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_a_file_named_street_with_an_outcomes_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "2024-01-cambridgeshire-street.csv"
    path.write_text(
        "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Outcome type\n"
    )
    with (
        Store(tmp_path / "s.duckdb") as db,
        pytest.raises(InputFileError, match="file name says 'street'"),
    ):
        ingest_police_uk(db, [path])


def test_one_bad_file_stops_the_command_before_anything_is_written(tmp_path: Path) -> None:
    good = write(tmp_path / "2024-01-cambridgeshire-street.csv", [good_line(1)])
    bad = tmp_path / "2024-02-cambridgeshire-street.csv"
    bad.write_text("not,a,police,file\n")
    with Store(tmp_path / "s.duckdb") as db:
        with pytest.raises(InputFileError):
            ingest_police_uk(db, [good, bad])
        assert db.scalar("SELECT count(*) FROM crimes") == 0


def test_a_duplicate_in_a_later_file_of_the_same_command_names_the_first_file(
    tmp_path: Path,
) -> None:
    first = write(tmp_path / "2024-01-cambridgeshire-street.csv", [good_line(1), good_line(2)])
    second = write(tmp_path / "2024-02-cambridgeshire-street.csv", [good_line(3), good_line(1)])
    with Store(tmp_path / "s.duckdb") as db:
        report = ingest_police_uk(db, [first, second])
        assert [(b.rows_in, b.rows_accepted, b.rows_quarantined) for b in report.batches] == [
            (2, 2, 0),
            (2, 1, 1),
        ]
        (reason,) = db.fetchall("SELECT reason FROM quarantine")[0]
        batches = db.fetchall("SELECT batch_id, file FROM ingest_batches ORDER BY 1")
    assert (
        reason
        == f"Crime ID: duplicate 'c000001'; first seen in batch {batches[0][0]} ({first} line 2)"
    )
    assert [Path(f).name for _, f in batches] == [first.name, second.name]
