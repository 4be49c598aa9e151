"""`policeperf spc FILE`: SPC of a user's own series, as JSON, a table or an SVG chart; every
problem with the file one line naming file, line and field, exit 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from policeperf.cli import app

runner = CliRunner()


def write(tmp_path: Path, text: str, name: str = "series.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def spc_json(*args: str) -> dict[str, Any]:
    done = runner.invoke(app, ["spc", *args, "--json"])
    assert done.exit_code == 0, done.stderr
    found: dict[str, Any] = json.loads(done.stdout)
    return found


def error_line(*args: str) -> str:
    done = runner.invoke(app, ["spc", *args])
    assert done.exit_code == 1, (done.exit_code, done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    return lines[0]


RISING = "month,crimes\n" + "".join(f"2020-0{k},{k}\n" for k in range(1, 8))


def test_json_has_one_point_per_row_with_limits_type_and_rules(tmp_path: Path) -> None:
    found = spc_json(str(write(tmp_path, RISING)), "--value", "crimes", "--date", "month")
    assert set(found) == {"points", "variation", "assurance"}
    assert len(found["points"]) == 7
    first = found["points"][0]
    assert set(first) == {"date", "value", "mean", "lpl", "upl", "point_type", "rules"}
    # 1..7: mean 4, mean moving range 1, limits 4 +/- 2.66; a trend, 1 and 7 outside.
    assert first == {
        "date": "2020-01-01", "value": 1.0, "mean": 4.0, "lpl": pytest.approx(1.34),
        "upl": pytest.approx(6.66), "point_type": "special_cause_concern",
        "rules": ["astronomical", "trend"],
    }  # fmt: skip
    assert [p["point_type"] for p in found["points"][1:]] == ["special_cause_improvement"] * 6
    assert found["variation"] == "special_cause_improvement"
    assert found["assurance"] is None


def test_rows_are_charted_in_date_order_and_given_back_in_the_files_order(tmp_path: Path) -> None:
    lines = RISING.splitlines()
    path = write(tmp_path, "\n".join([lines[0], *reversed(lines[1:])]) + "\n")
    found = spc_json(str(path), "--value", "crimes", "--date", "month")
    assert [p["date"] for p in found["points"]][:2] == ["2020-07-01", "2020-06-01"]
    assert found["points"][0]["point_type"] == "special_cause_improvement"
    assert found["points"][-1]["point_type"] == "special_cause_concern"
    assert found["variation"] == "special_cause_improvement"  # the latest date, not the last row


def test_without_a_date_column_rows_are_points_in_order(tmp_path: Path) -> None:
    found = spc_json(str(write(tmp_path, "v\n4\n6\n")), "--value", "v")
    assert [p["date"] for p in found["points"]] == [None, None]
    assert found["points"][0]["mean"] == 5
    assert found["points"][0]["upl"] == pytest.approx(10.32)


def test_options_reach_the_chart(tmp_path: Path) -> None:
    path = write(tmp_path, RISING)
    args = (str(path), "--value", "crimes", "--date", "month")
    decrease = spc_json(*args, "--improvement", "decrease")
    assert decrease["points"][0]["point_type"] == "special_cause_improvement"
    rebased = spc_json(*args, "--rebase", "2020-04")
    assert rebased["points"][3]["mean"] == 5.5  # 4, 5, 6, 7
    assert spc_json(*args, "--target", "10")["assurance"] == "consistently_fail"
    assert spc_json(*args, "--trend", "8")["points"][3]["rules"] == []


def test_a_constant_series_has_no_limits_unless_screening_is_off(tmp_path: Path) -> None:
    path = str(write(tmp_path, "v\n7\n7\n7\n7\n"))
    screened = spc_json(path, "--value", "v")["points"][0]
    assert (screened["lpl"], screened["upl"], screened["point_type"]) == (
        None,
        None,
        "common_cause",
    )
    kept = spc_json(path, "--value", "v", "--no-screen-outliers")["points"][0]
    assert (kept["lpl"], kept["upl"]) == (7, 7)


def test_fix_after_holds_the_limits_of_the_first_points(tmp_path: Path) -> None:
    path = write(tmp_path, "v\n" + "10\n12\n" * 6 + "20\n20\n")
    found = spc_json(str(path), "--value", "v", "--fix-after", "12")
    assert found["points"][-1]["mean"] == 11
    assert found["points"][-1]["point_type"] == "special_cause_improvement"


def test_a_missing_value_is_a_point_without_a_type(tmp_path: Path) -> None:
    found = spc_json(str(write(tmp_path, "v\n1\n\n3\nNA\n5\n")), "--value", "v")
    # The blank line is skipped; NA is a missing value.
    assert [p["value"] for p in found["points"]] == [1, 3, None, 5]
    assert found["points"][2]["point_type"] is None
    assert found["points"][0]["mean"] == 3


def test_uk_dates_and_thousands_separators_are_read(tmp_path: Path) -> None:
    path = write(tmp_path, 'date,calls\n01/04/2020,"1,200"\n01/05/2020,"1,300"\n')
    found = spc_json(str(path), "--value", "calls", "--date", "date")
    assert [p["date"] for p in found["points"]] == ["2020-04-01", "2020-05-01"]
    assert found["points"][0]["mean"] == 1250


def test_the_table_names_each_row_and_the_icons(tmp_path: Path) -> None:
    done = runner.invoke(app, ["spc", str(write(tmp_path, RISING)), "--value", "crimes"])
    assert done.exit_code == 0
    assert "concern" in done.stdout and "improvement" in done.stdout
    assert "Variation: special cause improvement" in done.stdout
    assert "Assurance: no target" in done.stdout


def test_the_chart_is_an_svg_file(tmp_path: Path) -> None:
    chart = tmp_path / "chart.svg"
    args = ["spc", str(write(tmp_path, RISING)), "--value", "crimes", "--date", "month"]
    done = runner.invoke(app, [*args, "--chart", str(chart)])
    assert done.exit_code == 0, done.stderr
    assert chart.read_text().startswith("<svg")
    again = runner.invoke(app, [*args, "--chart", str(chart)])
    assert again.exit_code == 1
    assert "already exists; pass --overwrite" in again.stderr


@pytest.mark.parametrize(
    ("text", "args", "expected"),
    [
        ("month,crimes\n2020-01,1\n", ["--value", "count"],
         ":1 --value: no column 'count'; expected one of month, crimes"),
        ("month,crimes\n2020-01,1\n", ["--value", "crimes", "--date", "when"],
         ":1 --date: no column 'when'; expected one of month, crimes"),
        ("month,crimes\n2020-01,1\n2020-02,lots\n", ["--value", "crimes"],
         ":3 crimes: got 'lots'; expected a number"),
        ("month,crimes\n2020-01,1\n2020-13,2\n", ["--value", "crimes", "--date", "month"],
         ":3 month: got '2020-13'; expected a date such as 2020-04-01, 2020-04 or 01/04/2020"),
        ("month,crimes\n2020-01,1\n2020-02,2\n2020-01-01,3\n", ["--value", "crimes", "--date", "month"],
         ":4 month: 2020-01-01 again (first on line 2); expected one row per date"),
        ("", ["--value", "crimes"],
         ": empty; expected a header row naming the columns, then rows"),
        ("month,crimes\n", ["--value", "crimes"],
         ": no rows under the header; expected at least one"),
        ("month,crimes\n2020-01,1\n", ["--value", "crimes", "--date", "month", "--rebase", "2020-06"],
         ": --rebase 2020-06-01: no row has this date; expected the date of the first point of the new group"),
        ("month,crimes\n2020-01,1\n", ["--value", "crimes", "--rebase", "2020-01"],
         ": --rebase needs --date; expected a date column"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_naming_file_line_and_field_exit_2(
    tmp_path: Path, text: str, args: list[str], expected: str
) -> None:
    path = write(tmp_path, text)
    assert error_line(str(path), *args) == f"error: {path}{expected}"


def test_a_missing_file_is_one_line_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "none.csv"
    assert (
        error_line(str(path), "--value", "v") == f"error: {path}: no such file; expected a CSV file"
    )


@pytest.mark.parametrize(
    "args",
    [
        ["--improvement", "up"],
        ["--fix-after", "6"],
        ["--shift", "3"],
        ["--chart", "c.svg"],
        ["--date", "month", "--rebase", "April"],
    ],
)
def test_bad_options_are_usage_errors(tmp_path: Path, args: list[str]) -> None:
    done = runner.invoke(app, ["spc", str(write(tmp_path, RISING)), "--value", "crimes", *args])
    assert done.exit_code == 2
    assert "Traceback" not in done.stderr
