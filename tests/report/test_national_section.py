"""The board report's "How we compare" section, from the bundled Home Office tables: figures
checked by hand against the published CSVs, absence said with its reason, escaping and
spreadsheet safety."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from policeperf.engine import evaluate
from policeperf.engine import funnel as fn
from policeperf.engine.national_data import MEASURES
from policeperf.engine.national_funnel import limits_at
from policeperf.engine.national_view import financial_year_ending, national_view, national_year
from policeperf.framework import load_framework
from policeperf.report import render_html, write_report
from policeperf.report.model import build_report
from policeperf.report.national import (
    RECORD_COLUMNS,
    funnel_spec,
    national_section,
    section_csv,
)
from policeperf.store import Store
from tests.conftest import CAMBS_2018_2020, HOME_OFFICE, policeperf
from tests.national_data import OUTCOMES, POPULATION, PRC_2019, ROLLING, build_store, zip_text

CAMBS = "Cambridgeshire Constabulary"
MARCH_2020 = date(2020, 3, 1)
FRAUD = {"Fraud offences", "Action Fraud", "CIFAS", "UK Finance"}


@pytest.fixture(scope="module")
def national_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("national") / "national.duckdb"
    return build_store(path, [HOME_OFFICE, PRC_2019, ROLLING, OUTCOMES, POPULATION])


@pytest.fixture(scope="module")
def db(national_path: Path) -> Iterator[Store]:
    with Store(national_path, read_only=True) as store:
        yield store


def rolling_total(year_ending: str, force: str | None = None) -> float:
    """Offences (fraud excluded) in the published rolling-year CSV, read without the store."""
    rows = csv.DictReader(io.StringIO(zip_text(ROLLING)))
    return sum(
        float(r["Rolling year total number of offences"])
        for r in rows
        if r["12 months ending"] == year_ending
        and r["Offence"] not in FRAUD
        and r["PFA"] != "British Transport Police"
        and (force is None or r["PFA"] == force)
    )


def test_the_national_year_is_the_latest_financial_year_ending_by_the_reporting_month(
    db: Store,
) -> None:
    assert financial_year_ending(date(2020, 3, 1)) == "2019/20"
    assert financial_year_ending(date(2021, 1, 1)) == "2019/20"
    assert national_year(db, date(2020, 3, 1))[0] == "2019/20"
    year, rule = national_year(db, date(2020, 2, 1))
    assert year == "2017/18"
    assert "2018/19, the latest complete financial year, is not held" in rule
    year, rule = national_year(db, date(2017, 12, 1))
    assert year is None
    assert "no national year ends at or before December 2017" in rule


def test_cambridgeshire_march_2020_rates_match_the_published_tables(db: Store) -> None:
    view = national_view(db, CAMBS, MARCH_2020)
    assert view.year == "2019/20" and view.status == "ok"
    assert view.comparison is not None
    row = view.comparison.rows[0]
    # 68,690 offences / 852,500 people; England and Wales 5,236,391 / 59,116,100.
    assert (row.numerator, row.denominator) == (68_690, 852_500)
    assert row.value == pytest.approx(68_690 / 852_500 * 1000)
    assert row.england_wales == pytest.approx(5_236_391 / 59_116_100 * 1000)
    section = national_section(view, charts=False)
    line = section.lines[0]
    assert line.force == "80.57"
    assert line.england_wales.startswith("88.58 [")
    assert line.rank.startswith("19 of 43 (95% interval 19-20) [")
    assert line.funnel.startswith("within 95% limits [")


def test_every_comparison_names_its_method(db: Store) -> None:
    section = national_section(national_view(db, CAMBS, MARCH_2020), charts=False)
    keys = dict(section.methods)
    for line in [*section.lines, *section.changes]:
        cells = [line.england_wales, line.peer_mean, line.peer_weighted_mean, line.peer_verdict]
        cells += [c for c in (line.funnel, line.rank) if c]
        for cell in cells:
            key = cell.rsplit("[", 1)[1].rstrip("]")
            assert keys[key], cell
    texts = " ".join(keys.values())
    assert "simple mean of 7 peers" in texts
    assert "population-weighted mean of 7 peers" in texts
    assert "Spiegelhalter 2005" in texts and "Marshall & Spiegelhalter 1998" in texts
    assert section.peers.startswith("most similar 7 computed")
    for record in section.records:
        if record["status"] == "ok":
            assert record["england_wales_method"] and record["peer_mean_method"]


def test_outcome_rates_for_a_year_the_outcomes_data_lacks_are_not_available_with_why(
    db: Store,
) -> None:
    section = national_section(national_view(db, CAMBS, MARCH_2020), charts=False)
    outcome = [line for line in section.lines if "outcome rate" in line.measure]
    assert len(outcome) == 2
    for line in outcome:
        assert line.status == "no_data"
        assert line.force.startswith("not available [")
        assert "years held: 2017/18" in line.reason


def test_outcome_rates_in_2017_18_match_the_outcomes_open_data(db: Store) -> None:
    view = national_view(db, CAMBS, date(2018, 3, 1))
    assert view.comparison is not None
    rows = {r.measure_id: r for r in view.comparison.rows}
    charge = rows["charge_summons_rate"]
    assert (charge.numerator, charge.denominator) == (6_614, 66_194)
    assert charge.value == pytest.approx(6_614 / 66_194 * 100)


def test_change_on_the_previous_year_is_read_from_the_rolling_year_totals(db: Store) -> None:
    view = national_view(db, CAMBS, date(2018, 3, 1))
    change = view.changes[0]
    then = rolling_total("31-03-2017", "Cambridgeshire")
    assert then == 57_899
    assert (change.numerator, change.denominator) == (66_194, then)
    assert change.value == pytest.approx((66_194 - 57_899) / 57_899 * 100)  # +14.3%
    ew_now, ew_then = rolling_total("31-03-2018"), rolling_total("31-03-2017")
    assert change.england_wales == pytest.approx((ew_now - ew_then) / ew_then * 100)
    assert "rolling-year totals, 12 months to March 2018 and to March 2017" in change.method
    line = national_section(view, charts=False).changes[0]
    assert line.force.startswith("+14.3% [")


def test_change_for_2019_20_is_not_available_and_says_what_is_held(db: Store) -> None:
    change = national_view(db, CAMBS, MARCH_2020).changes[0]
    assert change.status == "no_data" and change.value is None
    assert "no recorded crime total for 2018/19" in change.reason
    assert "to the year ending December 2018" in change.reason


def test_a_force_not_in_the_national_tables_is_not_available_never_zero(db: Store) -> None:
    view = national_view(db, "Demo Constabulary", date(2021, 3, 1))
    assert view.status == "no_data" and view.comparison is None
    section = national_section(view)
    assert not section.available and "not one of the 43 police force areas" in section.reason
    (record,) = section.records
    assert record["status"] == "no_data" and record["value"] is None


def test_a_store_without_national_tables_says_so(store: Store) -> None:
    view = national_view(store, CAMBS, MARCH_2020)
    assert view.status == "no_data"
    assert "run 'policeperf national ingest'" in view.reason


def test_funnel_limits_at_a_force_size_are_the_funnel_limits_of_that_force(db: Store) -> None:
    view = national_view(db, CAMBS, MARCH_2020)
    assert view.comparison is not None
    row = view.comparison.rows[0]
    funnel = view.funnels[0]
    mine = next(p for p in funnel.points if p.role == "this force")
    f = fn.funnel([68_690.0], [852_500.0], target=funnel.target, scale="rate", per=1000.0)
    f = fn.Funnel(f.target, row.funnel_phi or 0.0, row.funnel_tau2 or 0.0, "additive", f.points)
    at = limits_at(mine.size, f, "rate")
    assert at.lower_998 == pytest.approx(row.funnel_lower_998)
    assert at.upper_998 == pytest.approx(row.funnel_upper_998)


def test_the_funnel_plot_marks_the_force_and_names_forces_beyond_its_range(db: Store) -> None:
    view = national_view(db, CAMBS, MARCH_2020)
    spec = funnel_spec(view.funnels[0])
    points = spec["datasets"][spec["layer"][2]["data"]["name"]]
    assert [p["force"] for p in points if p["role"] == "this force"] == ["Cambridgeshire"]
    assert sum(p["role"] == "peer" for p in points) == 7
    assert "City of London" not in {p["force"] for p in points}  # 995 per 1,000 residents
    chart = national_section(view).charts[0]
    assert "Beyond the chart's range, listed in the table: City of London" in chart.description
    assert len(chart.rows) == 43 and chart.svg.startswith("<svg")
    json.dumps(spec)


@pytest.fixture(scope="module")
def demo_results(demo_store_path: Path) -> object:
    with Store(demo_store_path, read_only=True) as store:
        return evaluate(store, load_framework("pcp"), date(2021, 3, 1))


def test_html_xlsx_and_csv_carry_the_section(
    db: Store, demo_results: object, tmp_path: Path
) -> None:
    view = national_view(db, CAMBS, MARCH_2020)
    paths = write_report(demo_results, load_framework("pcp"), date(2021, 3, 1), tmp_path,  # type: ignore[arg-type]
                         formats=("html", "xlsx", "csv"), national=view, today=date(2021, 4, 1))  # fmt: skip
    html = paths["html"].read_text(encoding="utf-8")
    assert '<section id="compare"' in html and "How we compare" in html
    assert '<td class="n">80.57</td>' in html and "88.58 [a]" in html
    assert "Funnel plot data" in html and "<svg" in html[html.index('id="compare"') :]
    rows = list(csv.DictReader(io.StringIO(paths["compare-csv"].read_text(encoding="utf-8"))))
    assert list(rows[0]) == RECORD_COLUMNS
    first = rows[0]
    assert first["measure_id"] == "recorded_crime" and float(first["value"]) == pytest.approx(
        80.5748, abs=1e-4
    )
    outcome = next(r for r in rows if r["measure_id"] == "positive_outcome_rate")
    assert outcome["value"] == "" and outcome["status"] == "no_data"
    book = openpyxl.load_workbook(paths["xlsx"])
    sheet = book["How we compare"]
    values = [[c.value for c in r] for r in sheet.iter_rows()]
    head = values.index(RECORD_COLUMNS)
    assert values[head + 1][RECORD_COLUMNS.index("value")] == pytest.approx(80.5748, abs=1e-4)


def test_data_strings_are_escaped_and_inert_in_spreadsheets(
    db: Store, demo_results: object, tmp_path: Path
) -> None:
    hostile = '=HYPERLINK("http://x","<script>alert(1)</script>")'
    view = national_view(db, hostile, MARCH_2020)
    section = national_section(view)
    report = build_report(demo_results, load_framework("pcp"), date(2021, 3, 1), charts=False)  # type: ignore[arg-type]
    report.extra["national"] = section
    html = render_html(report)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    section_html = html[html.index('<section id="compare"') :]
    assert re.search(
        r'<p class="para notice"><span class="num">\d+\.1</span> Not available: ', section_html
    )
    (row,) = list(csv.DictReader(io.StringIO(section_csv(section))))
    assert row["force"] == "'" + hostile and row["reason"].startswith("'=HYPERLINK")
    paths = write_report(demo_results, load_framework("pcp"), date(2021, 3, 1), tmp_path,  # type: ignore[arg-type]
                         formats=("xlsx",), national=view, today=date(2021, 4, 1))  # fmt: skip
    sheet = openpyxl.load_workbook(paths["xlsx"])["How we compare"]
    cells = [c for row in sheet.iter_rows() for c in row if c.value == hostile]
    assert cells and all(c.data_type == "s" for c in cells)


def test_every_national_measure_has_a_line(db: Store) -> None:
    section = national_section(national_view(db, CAMBS, MARCH_2020), charts=False)
    assert [line.measure for line in section.lines] == [m.label for m in MEASURES]


@pytest.mark.slow
def test_board_report_for_cambridgeshire_march_2020_compares_from_the_home_office_tables(
    tmp_path: Path,
) -> None:
    store = tmp_path / "cambs.duckdb"
    for args in (
        ("ingest", "police-uk", str(CAMBS_2018_2020)),
        ("national", "ingest", str(PRC_2019), str(POPULATION), str(ROLLING)),
    ):
        done = policeperf(*args, "--store", str(store))
        assert done.returncode == 0, done.stderr
    out = tmp_path / "out"
    done = policeperf("report", "--framework", "police-uk", "--month", "2020-03", "--store",
                      str(store), "--force", CAMBS, "--format", "html,csv", "--out", str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr
    html = (out / "police-uk-2020-03.html").read_text(encoding="utf-8")
    section = html[html.index('<section id="compare"') :]
    assert (
        "national year 2019/20: the latest financial year ending at or before March 2020" in section
    )
    assert "80.57" in section and "88.58 [a]" in section
    assert (out / "police-uk-2020-03-how-we-compare.csv").exists()
    done = policeperf("report", "--framework", "police-uk", "--month", "2020-03", "--store",
                      str(store), "--force", CAMBS, "--format", "html", "--out", str(out),
                      "--overwrite", "--peers", str(tmp_path / "missing.yaml"),
                      "--most-like", "3")  # fmt: skip
    assert done.returncode == 2 and "give --peers or --most-like, not both" in done.stderr


def test_the_section_is_said_unavailable_when_asked_for_and_left_out_only_when_not(
    store: Store, db: Store
) -> None:
    from policeperf.report.board import national_for_report

    assert national_for_report(store, CAMBS, MARCH_2020, None, None, None) is None
    asked = national_for_report(store, CAMBS, MARCH_2020, True, None, None)
    assert asked.status == "no_data"
    assert "no national recorded crime held; run 'policeperf national ingest'" in asked.reason
    section = national_section(asked)
    assert not section.available and section.records[0]["value"] is None
    assert national_for_report(db, CAMBS, MARCH_2020, False, None, None) is None
    by_default = national_for_report(db, CAMBS, MARCH_2020, None, None, 3)
    assert by_default.comparison.peers.method.startswith("most similar 3 computed")


def test_a_peer_file_names_its_source_on_the_section_and_every_peer_row(
    db: Store, tmp_path: Path
) -> None:
    peers = tmp_path / "peers.yaml"
    peers.write_text(
        "source: a test group\npeers:\n  Cambridgeshire: [Suffolk, Norfolk, Bedfordshire]\n",
        encoding="utf-8",
    )
    view = national_view(db, CAMBS, MARCH_2020, peer_file=peers)
    section = national_section(view, charts=False)
    assert section.peers.startswith("peer group from peers.yaml (a test group), 3 forces")
    assert any("simple mean of 3 peers' figures" in text for _, text in section.methods)
    assert all(r["peer_group"] == section.peers for r in section.records if r["status"] == "ok")
    assert section.records[-1]["peer_group"] == section.peers  # the change row
