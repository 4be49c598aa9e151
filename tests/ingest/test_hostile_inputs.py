"""Hostile and careless inputs: archives that escape or explode, members with the same name,
mappings that lose every row, anchor bombs, stray carriage returns, inexact numbers and
unbalanced quotes. Each test reproduces a failure of issue 9 and pins its fix."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

from policeperf.errors import InputFileError
from policeperf.ingest.batch import NothingAcceptedError
from policeperf.ingest.files import TEMP_PREFIX, ArchiveLimits, expand_inputs
from policeperf.ingest.mapped import load_mapping
from policeperf.ingest.run import ingest_police_uk, ingest_table
from policeperf.store import Store
from policeperf.yamlconf import MAX_YAML_DEPTH, ConfigError, load_yaml
from tests.ingest.test_malformed_files import HEADER, good_line

NAME = "2024-01/2024-01-cambridgeshire-street.csv"


def street_csv(lines: list[str], newline: str = "\n") -> bytes:
    return newline.join([HEADER, *lines, ""]).encode("utf-8")


def good_lines(n: int, start: int = 0) -> list[str]:
    return [good_line(i) for i in range(start, start + n)]


def make_zip(path: Path, members: list[tuple[str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            zf.writestr(zipfile.ZipInfo(name), data, zipfile.ZIP_DEFLATED)
    return path


def own_temp_folders() -> list[Path]:
    return list(Path(tempfile.gettempdir()).glob(f"{TEMP_PREFIX}{os.getpid()}-*"))


# -- 1. zip slip and archive limits --------------------------------------------------------------


@pytest.mark.parametrize(
    "member", ["../escaped.csv", "/tmp/policeperf-escaped.csv", "a/../../x.csv"]
)
def test_an_archive_member_outside_the_folder_is_refused_and_nothing_is_written(
    tmp_path: Path, member: str
) -> None:
    archive = make_zip(tmp_path / "evil.zip", [(NAME, street_csv(good_lines(2))), (member, b"x")])
    with Store(tmp_path / "s.duckdb") as db, pytest.raises(InputFileError, match="zip slip"):
        ingest_police_uk(db, [archive])
    assert not (tmp_path / "escaped.csv").exists()
    assert not Path("/tmp/policeperf-escaped.csv").exists()
    assert own_temp_folders() == []


def test_a_symbolic_link_member_is_refused(tmp_path: Path) -> None:
    info = zipfile.ZipInfo("2024-01/link.csv")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    archive = tmp_path / "link.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(InputFileError, match="symbolic link"), expand_inputs([archive]):
        pass


def test_a_zip_bomb_is_stopped_by_the_ratio_limit_while_unpacking(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "bomb.zip", [(NAME, HEADER.encode() + b"\n" + b"0" * 5_000_000)])
    assert archive.stat().st_size < 50_000
    with (
        pytest.raises(InputFileError, match="expands more than 100 times"),
        expand_inputs([archive]),
    ):
        pass
    assert own_temp_folders() == []


def test_archives_over_the_total_limit_are_refused(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "big.zip", [(NAME, street_csv(good_lines(50)))])
    limits = ArchiveLimits(max_total_bytes=1000)
    with (
        pytest.raises(InputFileError, match="expand to more than"),
        expand_inputs([archive], limits=limits),
    ):
        pass


def test_the_temporary_folder_is_removed_when_the_ingest_fails(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "a.zip", [(NAME, street_csv(good_lines(3)))])
    with pytest.raises(RuntimeError), expand_inputs([archive]) as files:
        assert files[0].path.exists()
        assert own_temp_folders() != []
        raise RuntimeError("failed half-way")
    assert own_temp_folders() == []


def test_folders_left_by_a_killed_ingest_are_removed_by_the_next(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    stale = Path(tempfile.gettempdir()) / f"{TEMP_PREFIX}{dead.stdout.strip()}-abc"
    (stale / "0").mkdir(parents=True)
    (stale / "0" / "x.csv").write_text("left behind")
    alive = Path(tempfile.gettempdir()) / f"{TEMP_PREFIX}{os.getppid()}-abc"
    alive.mkdir(exist_ok=True)
    try:
        with expand_inputs([make_zip(tmp_path / "a.zip", [(NAME, street_csv(good_lines(1)))])]):
            pass
        assert not stale.exists()
        assert alive.exists()  # its process is still running
    finally:
        alive.rmdir()


# -- 5. members with the same name; the same archive twice ----------------------------------------


@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_members_with_the_same_name_are_each_ingested_under_their_own_name(tmp_path: Path) -> None:
    archive = make_zip(
        tmp_path / "twice.zip",
        [(NAME, street_csv(good_lines(3))), (NAME, street_csv(good_lines(2, start=100)))],
    )
    with Store(tmp_path / "s.duckdb") as db:
        report = ingest_police_uk(db, [archive])
        names = [b.file for b in report.batches]
        assert names == [f"{archive}[1]!{NAME}", f"{archive}[2]!{NAME}"]
        assert [b.rows_accepted for b in report.batches] == [3, 2]
        assert report.rows_in == report.rows_accepted == 5
        assert db.scalar("SELECT count(*) FROM crimes") == 5


def test_naming_the_same_archive_twice_reads_it_once(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "a.zip", [(NAME, street_csv(good_lines(4)))])
    with Store(tmp_path / "s.duckdb") as db:
        report = ingest_police_uk(db, [archive, archive, tmp_path])
        assert (report.rows_in, report.rows_accepted, len(report.batches)) == (4, 4, 1)
        assert db.scalar("SELECT sum(rows_in) FROM ingest_batches") == 4


def test_two_copies_of_one_file_are_stored_once_and_counted_once(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for folder in ("a", "b"):
        (tmp_path / folder / "2024-01-cambridgeshire-street.csv").write_bytes(
            street_csv(good_lines(4))
        )
    with Store(tmp_path / "s.duckdb") as db:
        report = ingest_police_uk(db, [tmp_path / "a", tmp_path / "b"])
        assert report.rows_in == report.rows_accepted == 4
        assert [b.skipped for b in report.batches] == [False, True]
        assert db.scalar("SELECT count(*) FROM crimes") == 4


# -- 3. a mapping that loses every row; the mapping in the content hash --------------------------

MAPPING = """\
table: crimes
constants: {force: Test Force, date_precision: day}
columns:
  crime_id: REF
  recorded_date: {from: RECORDED, format: "%d/%m/%Y"}
  offence_code: CODE
"""


def crimes_export(tmp_path: Path, rows: int = 300) -> Path:
    path = tmp_path / "crimes.csv"
    lines = ["REF,RECORDED,CODE"] + [f"T{i},2021-03-{1 + i % 28:02d},28E" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_an_empty_delimiter_is_refused_when_the_mapping_is_loaded(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    for bad in ('""', "'\"'", '";;"'):
        path.write_text(MAPPING + f"delimiter: {bad}\n")
        with pytest.raises(ConfigError, match=r"m.yaml:7 delimiter: got .*expected one character"):
            load_mapping(path)


def test_a_file_of_which_no_row_is_accepted_fails_and_a_corrected_mapping_then_ingests(
    tmp_path: Path,
) -> None:
    data = crimes_export(tmp_path)
    mapping = tmp_path / "m.yaml"
    mapping.write_text(MAPPING)  # dates are ISO in the file, not %d/%m/%Y
    with Store(tmp_path / "s.duckdb") as db:
        with pytest.raises(
            NothingAcceptedError,
            match=r"crimes.csv: none of its 300 rows was accepted \(line 2: RECORDED",
        ):
            ingest_table(db, [data], mapping_path=mapping)
        assert db.scalar("SELECT count(*) FROM ingest_batches") == 0
        mapping.write_text(MAPPING.replace('"%d/%m/%Y"', '"%Y-%m-%d"'))
        report = ingest_table(db, [data], mapping_path=mapping)
        assert (report.rows_in, report.rows_accepted, report.skipped) == (300, 300, 0)


def test_the_same_file_through_a_changed_mapping_is_a_new_batch(tmp_path: Path) -> None:
    data = crimes_export(tmp_path, rows=5)
    mapping = tmp_path / "m.yaml"
    mapping.write_text(MAPPING.replace('"%d/%m/%Y"', '"%Y-%m-%d"'))
    with Store(tmp_path / "s.duckdb") as db:
        assert ingest_table(db, [data], mapping_path=mapping).rows_accepted == 5
        mapping.write_text("# same meaning, new layout\n" + mapping.read_text())
        assert ingest_table(db, [data], mapping_path=mapping).skipped == 1
        mapping.write_text(mapping.read_text().replace("Test Force", "Other Force"))
        again = ingest_table(db, [data], mapping_path=mapping)
        assert (again.skipped, again.rows_in) == (0, 5)  # read again, not "already ingested"
        assert again.batches[0].quarantined_by_check == {"duplicate": 5}  # and nothing doubled


# -- 6. safe YAML ----------------------------------------------------------------------------------


def test_a_yaml_anchor_bomb_is_refused_before_it_is_expanded(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(
        ConfigError, match=r"^\S*bomb.yaml:2: YAML aliases \(\*a0\) are not allowed"
    ):
        load_yaml(path)


def test_deep_yaml_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("table: crimes\ncolumns: " + "[" * 10_000 + "]" * 10_000 + "\n")
    with pytest.raises(
        ConfigError, match=rf"deep.yaml:2: nested more than {MAX_YAML_DEPTH} levels"
    ):
        load_mapping(path)


def test_a_huge_yaml_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("a: " + "x" * 2_000_000 + "\n")
    with pytest.raises(
        ConfigError,
        match=r"big.yaml: 2,000,004 bytes; expected a configuration file under 1,024 KiB",
    ):
        load_yaml(path)


def test_a_strptime_format_the_reader_does_not_know_is_refused_at_load(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(MAPPING.replace("%d/%m/%Y", "%Q"))
    with pytest.raises(
        ConfigError, match=r"m.yaml:5 columns.recorded_date.format: got '%Q'; not a strptime"
    ):
        load_mapping(path)


# -- 8. numbers cast exactly or quarantined -------------------------------------------------------

OUTCOMES_MAPPING = """\
table: outcomes
constants: {force: Test Force, date_precision: day}
columns:
  crime_id: REF
  outcome_date: DATE
  outcome_type: CODE
"""


def test_outcome_codes_that_are_not_whole_numbers_are_quarantined_not_rounded(
    tmp_path: Path,
) -> None:
    data = tmp_path / "outcomes.csv"
    codes = ["1", "2.5", "1e1", "15.9", " 16 ", "+3", "0x10", "1_0"]
    rows = [f"O{i},2021-03-01,{code}" for i, code in enumerate(codes)]
    data.write_text("REF,DATE,CODE\n" + "\n".join(rows) + "\n")
    mapping = tmp_path / "m.yaml"
    mapping.write_text(OUTCOMES_MAPPING)
    with Store(tmp_path / "s.duckdb") as db:
        report = ingest_table(db, [data], mapping_path=mapping)
        assert report.rows_in == report.rows_accepted + report.rows_quarantined == len(codes)
        kept = db.fetchall("SELECT crime_id, outcome_type, outcome_types FROM outcomes ORDER BY 1")
        assert kept == [("O0", 1, [1]), ("O4", 16, [16]), ("O5", 3, [3])]
        reasons = dict(db.fetchall("SELECT raw, reason FROM quarantine ORDER BY line"))
        assert reasons["O1,2021-03-01,2.5"] == "CODE: got '2.5'; expected a whole number"
        assert set(reasons) == {f"O{i},2021-03-01,{codes[i]}" for i in (1, 2, 3, 6, 7)}


def test_offence_counts_that_are_not_whole_numbers_are_quarantined(tmp_path: Path) -> None:
    from policeperf.ingest.home_office import HEADER as HO_HEADER
    from policeperf.ingest.run import ingest_home_office

    row = "2017/18,{q},Cambridgeshire,Burglary,Burglary,Domestic burglary,28E,{n}"
    data = tmp_path / "prc.csv"
    data.write_text(",".join(HO_HEADER) + "\n" + row.format(q=1, n=" 12 ") + "\n"
                    + row.format(q=2, n="3.5") + "\n" + row.format(q=2.0, n="4") + "\n")  # fmt: skip
    with Store(tmp_path / "s.duckdb") as db:
        report = ingest_home_office(db, [data])
        assert (report.rows_accepted, report.rows_quarantined) == (1, 2)
        assert db.fetchall("SELECT quarter, offences FROM ho_recorded_crime") == [(1, 12)]
        assert db.fetchall("SELECT field, check_name FROM quarantine ORDER BY line") == [
            ("Number of Offences", "invalid_bigint"),
            ("Financial Quarter", "invalid_smallint"),
        ]


# -- 7. stray CR bytes, CR-only line ends, one command is one transaction ------------------------


def test_a_stray_cr_quarantines_its_line_and_keeps_the_rest(tmp_path: Path) -> None:
    lines = good_lines(20)
    lines[5] = lines[5].replace("Mill", "Mi\rll")
    for newline in ("\n", "\r\n"):
        path = tmp_path / newline.encode().hex() / "2024-01-cambridgeshire-street.csv"
        path.parent.mkdir()
        path.write_bytes(street_csv(lines, newline))
        with Store(path.parent / "s.duckdb") as db:
            (batch,) = ingest_police_uk(db, [path]).batches
            assert (batch.rows_in, batch.rows_accepted) == (20, 19)
            assert batch.quarantined_by_check == {"stray_cr": 1}
            line, field, raw = db.fetchall("SELECT line, field, raw FROM quarantine")[0]
            assert (line, field, raw) == (7, "Location", lines[5])


def test_a_file_with_cr_only_line_ends_is_read_line_by_line(tmp_path: Path) -> None:
    path = tmp_path / "2024-01-cambridgeshire-street.csv"
    path.write_bytes(street_csv(good_lines(20), "\r"))
    with Store(tmp_path / "s.duckdb") as db:
        report = ingest_police_uk(db, [path])
        assert (report.rows_in, report.rows_accepted) == (20, 20)


def test_a_failure_in_a_later_kind_leaves_the_earlier_kinds_uncommitted(tmp_path: Path) -> None:
    (tmp_path / "2024-01-cambridgeshire-street.csv").write_bytes(street_csv(good_lines(5)))
    outcomes = "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Outcome type"
    (tmp_path / "2024-01-cambridgeshire-outcomes.csv").write_text(
        outcomes + "\nx,2024-13,a,,,,,,,Nonsense\n"
    )
    with Store(tmp_path / "s.duckdb") as db:
        with pytest.raises(NothingAcceptedError, match=r"outcomes\.csv: none of its 1 rows"):
            ingest_police_uk(db, [tmp_path])
        assert db.scalar("SELECT count(*) FROM crimes") == 0
        assert db.scalar("SELECT count(*) FROM ingest_batches") == 0


# -- 9. rows counted but not kept ------------------------------------------------------------------


def test_an_unclosed_quote_quarantines_its_line_and_swallows_nothing(tmp_path: Path) -> None:
    lines = good_lines(200)
    lines[50] = lines[50].replace("On or near Mill Road", '"On or near Mill Road')
    lines[120] = lines[120].replace("Mill Road", 'Mill Road"')
    path = tmp_path / "2024-01-cambridgeshire-street.csv"
    path.write_bytes(street_csv(lines))
    with Store(tmp_path / "s.duckdb") as db:
        (batch,) = ingest_police_uk(db, [path]).batches
        assert batch.rows_in == 200
        assert batch.rows_accepted == 199
        assert batch.quarantined_by_check == {"unbalanced_quote": 1}
        assert db.fetchall("SELECT line, field, raw FROM quarantine") == [
            (52, "Location", lines[50])
        ]
        assert (
            db.scalar("SELECT location FROM crimes WHERE crime_id = 'c000120'")
            == 'On or near Mill Road"'
        )


def test_a_line_over_the_maximum_size_is_quarantined_with_its_size_and_text(
    tmp_path: Path,
) -> None:
    from policeperf.ingest.reader import MAX_LINE_BYTES, RAW_LIMIT_CHARS

    lines = good_lines(5)
    lines[2] = lines[2].replace("Mill Road", "Mill Road" + "x" * MAX_LINE_BYTES)
    path = tmp_path / "2024-01-cambridgeshire-street.csv"
    path.write_bytes(street_csv(lines))
    with Store(tmp_path / "s.duckdb") as db:
        (batch,) = ingest_police_uk(db, [path]).batches
        assert (batch.rows_in, batch.rows_accepted, batch.rows_quarantined) == (5, 4, 1)
        line, reason, raw = db.fetchall("SELECT line, reason, raw FROM quarantine")[0]
        assert line == 4
        assert reason.startswith("line size over maximum: Maximum line size of 10000000 bytes")
        assert raw == lines[2][:RAW_LIMIT_CHARS]


def test_a_note_written_over_several_lines_stays_one_record(tmp_path: Path) -> None:
    data = tmp_path / "crimes.csv"
    note = '"Entered via rear door, took TV, laptop\nand keys; neighbour, Mr A, saw a van"'
    data.write_text(f"REF,RECORDED,CODE,NOTE\nT1,2021-03-01,28E,{note}\nT2,2021-03-02,28E,none\n")
    mapping = tmp_path / "m.yaml"
    mapping.write_text(MAPPING.replace('"%d/%m/%Y"', '"%Y-%m-%d"') + "  context: NOTE\n")
    with Store(tmp_path / "s.duckdb") as db:
        report = ingest_table(db, [data], mapping_path=mapping)
        assert (report.rows_in, report.rows_accepted) == (2, 2)
        assert db.scalar("SELECT context FROM crimes WHERE crime_id = 'T1'") == note.strip('"')


def test_many_unclosed_quotes_are_each_quarantined(tmp_path: Path) -> None:
    lines = good_lines(100)
    bad = list(range(3, 96, 8))
    for i in bad:
        lines[i] = lines[i].replace("On or near Mill Road", '"On or near Mill Road')
    path = tmp_path / "2024-01-cambridgeshire-street.csv"
    path.write_bytes(street_csv(lines))
    with Store(tmp_path / "s.duckdb") as db:
        (batch,) = ingest_police_uk(db, [path]).batches
        assert (batch.rows_in, batch.rows_quarantined) == (100, len(bad))
        assert batch.quarantined_by_check == {"unbalanced_quote": len(bad)}
        assert [line for (line,) in db.fetchall("SELECT line FROM quarantine ORDER BY 1")] == [
            i + 2 for i in bad
        ]
