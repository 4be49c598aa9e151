"""The board report on data with a gap and no outcomes: every unavailable figure says why, no
number is invented, and the reader is told what was received."""

from __future__ import annotations

import html
import re
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from policeperf.calendar import add_months
from policeperf.ingest.run import ingest_police_uk
from policeperf.store import Store
from tests.conftest import policeperf
from tests.policeuk_files import write_street_files

CAMBS = "Cambridgeshire Constabulary"
HELD = [add_months(date(2020, 1, 1), k) for k in range(30) if k not in (20, 21)]  # gap Sep-Oct 2021


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("gap-report")
    write_street_files(folder / "in", slug="cambridgeshire", force=CAMBS, months=HELD)
    store = folder / "store.duckdb"
    with Store(store) as db:
        ingest_police_uk(db, [folder / "in"])
    done = policeperf("report", "--framework", "police-uk", "--month", "2022-06", "--store",
                      str(store), "--format", "html,xlsx", "--out", str(folder / "out"))  # fmt: skip
    assert done.returncode == 0, done.stderr
    return {p.suffix[1:]: p for p in (folder / "out").iterdir()}


def text_of(path: Path) -> str:
    page = re.sub(r"<svg.*?</svg>", " ", path.read_text(encoding="utf-8"), flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def test_no_outcome_rate_is_given_as_a_number_and_each_says_why(report: dict[str, Path]) -> None:
    text = text_of(report["html"])
    assert "0.0%" not in text
    assert "broadly stable" not in text  # every window crosses the gap: nothing is compared
    assert (
        "All crime positive outcome rate: not available, because no outcomes data in the store"
        in text
    )
    assert text.count("Not available") > 10


def test_a_window_over_the_gap_has_no_figure_or_verdict_and_names_the_months(
    report: dict[str, Path],
) -> None:
    text = text_of(report["html"])
    assert "include months without data: Sep 2021 to Oct 2021" in text
    assert "Coverage: crimes (police-uk)" in text and "gap 2021-09..2021-10" in text
    assert "Coverage: outcomes" in text and "none;" in text


def test_the_workbook_carries_status_and_reason(report: dict[str, Path]) -> None:
    book = openpyxl.load_workbook(report["xlsx"], read_only=True)
    results = book["Results"]
    header = [c.value for c in next(results.iter_rows(max_row=1))]
    rows = [
        dict(zip(header, (c.value for c in r), strict=True)) for r in results.iter_rows(min_row=2)
    ]
    statuses = {r["status"] for r in rows}
    assert {"incomplete_window", "no_data"} <= statuses
    burglary = next(r for r in rows if r["measure_id"] == "burglary" and r["area"] == "all")
    assert burglary["status"] == "incomplete_window" and burglary["rolling_12m"] is None
    assert "Sep 2021" in burglary["reason"]
