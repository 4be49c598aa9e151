"""The report as an XLSX workbook: a summary sheet, one sheet per pillar (the scorecard with
numbers as numbers and number formats) and the full results table.

Text is always written as a string cell, never as a formula, so a district or location named
`=HYPERLINK(...)` stays inert; suppressed figures are the string marker.
"""

from __future__ import annotations

import io
import math
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import xlsxwriter

from policeperf.engine.export import ordered
from policeperf.framework.kinds import UNITS, unit
from policeperf.outfile import replacing
from policeperf.report.model import Report
from policeperf.report.national import TITLE as NATIONAL_TITLE
from policeperf.report.national import write_section_sheet
from policeperf.report.suppress import rule_text

FORMATS = {name: u.xlsx for name, u in UNITS.items()}
"""Each unit's number format, as the unit gives it."""
CHANGE_FORMATS = {"pct": '+0.0"ppt";-0.0"ppt"', "count": '+0.0"%";-0.0"%"'}
"""Changes in percentage points (units whose change is in ppt) or in % (every other unit)."""


def _sheet_name(name: str, used: set[str]) -> str:
    clean = "".join(ch for ch in name if ch not in "[]:*?/\\")[:31] or "Sheet"
    candidate, k = clean, 2
    while candidate in used:
        candidate = f"{clean[:28]} {k}"
        k += 1
    used.add(candidate)
    return candidate


def _write(ws: Any, row: int, col: int, value: Any, fmt: Any = None) -> None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, bool):
        ws.write_boolean(row, col, value)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        ws.write_number(row, col, float(value), fmt)
    elif isinstance(value, datetime | date):
        ws.write_datetime(row, col, datetime(value.year, value.month, value.day), fmt)
    else:
        ws.write_string(row, col, str(value))


def _rows(frame: pd.DataFrame) -> Any:
    """The frame's rows as tuples of Python values, each column converted at once (reading
    pandas cell by cell dominated writing the workbook)."""
    return zip(*(frame.iloc[:, k].tolist() for k in range(frame.shape[1])), strict=True)


def write_xlsx(
    report: Report, results: pd.DataFrame, month: date, path: Path, *, overwrite: bool = False
) -> Path:
    """Write the workbook, whole or not at all; `results` is the (possibly suppressed) results
    table."""
    with replacing(path, overwrite=overwrite) as tmp:
        _write_book(report, results, month, tmp)
    return path


def _created_as_at(book: xlsxwriter.Workbook, results: pd.DataFrame) -> None:
    """The workbook's creation time is when the store was read, not when the file was written:
    the same results give the same file, whoever writes it (command line or dashboard)."""
    stamp = results.attrs.get("as_at")
    if stamp:
        book.set_properties({"created": datetime.strptime(str(stamp), "%Y-%m-%dT%H:%M:%SZ")})


def _write_book(report: Report, results: pd.DataFrame, month: date, path: Path) -> None:
    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    _created_as_at(book, results)
    bold = book.add_format({"bold": True})
    head = book.add_format({"bold": True, "bottom": 1, "text_wrap": True, "valign": "top"})
    date_fmt = book.add_format({"num_format": "yyyy-mm"})
    number_formats = {unit: book.add_format({"num_format": f}) for unit, f in FORMATS.items()}
    change_formats = {
        unit: book.add_format({"num_format": f}) for unit, f in CHANGE_FORMATS.items()
    }
    used: set[str] = set()

    summary = book.add_worksheet(_sheet_name("Summary", used))
    for r, (label, text) in enumerate([("Title", report.title), ("Force", report.force), ("12 months to", report.month),
                                       ("Framework", report.framework), ("Date", report.date),
                                       ("Confidence", report.confidence)]):  # fmt: skip
        summary.write_string(r, 0, label, bold)
        summary.write_string(r, 1, text)
    if report.suppressed_below:
        summary.write_string(7, 0, "Public version", bold)
        summary.write_string(7, 1, rule_text(report.suppressed_below))
    if report.testing:
        summary.write_string(8, 0, "Verdicts tested", bold)
        summary.write_string(8, 1, report.testing)
    summary.set_column(0, 0, 16)
    summary.set_column(1, 1, 80)

    now = results[(results["month"] == month) & (results["area_level"] == "force")]
    columns = [
        "Measure",
        "Rolling 12 months",
        "Baseline",
        "Baseline period",
        "Change",
        "Perf v Benchmark",
        "Method",
        "SPC",
        "n (12 months)",
        "Status",
        "Reason",
    ]
    for pillar in report.pillars:
        ws = book.add_worksheet(_sheet_name(pillar.name, used))
        for c, title in enumerate(columns):
            ws.write_string(0, c, title, head)
        rows = now[now["measure_id"].isin([s.measure_id for s in pillar.scorecard])]
        for r, row in enumerate(rows.to_dict(orient="records"), start=1):
            u = unit(str(row["unit"]))
            fmt = number_formats.get(str(row["unit"]))
            # A table whose every series lacks data has no figure columns at all: blanks.
            change = row.get("change_ppt") if u.is_pct else row.get("change_pct")
            _write(ws, r, 0, row["measure"])
            _write(ws, r, 1, row.get("rolling_12m"), fmt)
            _write(ws, r, 2, row.get("baseline"), fmt)
            _write(ws, r, 3, row.get("baseline_period"))
            _write(ws, r, 4, change, change_formats["pct" if u.is_pct else "count"])
            _write(ws, r, 5, row.get("verdict"))
            _write(ws, r, 6, row.get("method"))
            _write(ws, r, 7, row.get("spc_class"))
            _write(
                ws,
                r,
                8,
                row.get("rolling_12m_denominator")
                if u.is_pct
                else row.get("rolling_12m_numerator"),
                number_formats["count"],
            )
            _write(ws, r, 9, row.get("status"))
            _write(ws, r, 10, row.get("reason"))
        ws.set_column(0, 0, 52)
        ws.set_column(1, 9, 16)
        ws.set_column(10, 10, 60)
        ws.freeze_panes(1, 1)

    full = ordered(results[results["month"] == month])
    _series_sheet(book, results, used, head, date_fmt)
    ws = book.add_worksheet(_sheet_name("Results", used))
    for c, name in enumerate(full.columns):
        ws.write_string(0, c, str(name), head)
    units = full["unit"].astype(str).tolist() if "unit" in full else []
    figure_columns = {
        "value",
        "rolling_12m",
        "baseline",
        "fytd",
        "same_month_last_year",
        "previous_month",
        "rolling_12m_monthly",
        "baseline_monthly",
    }
    names = [str(name) for name in full.columns]
    for r, values in enumerate(_rows(full), start=1):
        for c, (name, value) in enumerate(zip(names, values, strict=True)):
            fmt = (
                number_formats.get(units[r - 1])
                if name in figure_columns
                else (date_fmt if name == "month" else None)
            )
            _write(ws, r, c, value, fmt)
    ws.freeze_panes(1, 2)
    ws.autofilter(0, 0, len(full), len(full.columns) - 1)
    national = report.extra.get("national")
    if national is not None:
        write_section_sheet(book, national, _sheet_name(NATIONAL_TITLE, used), head)
    book.close()


SERIES_COLUMNS = [
    "measure_id",
    "measure",
    "area_level",
    "area",
    "month",
    "value",
    "rolling_12m",
    "baseline",
    "spc_class",
    "status",
    "reason",
]


def _series_sheet(
    book: Any, results: pd.DataFrame, used: set[str], head: Any, date_fmt: Any
) -> None:
    """Every month of every series, for charts of one's own."""
    ws = book.add_worksheet(_sheet_name("Series", used))
    frame = results[[c for c in SERIES_COLUMNS if c in results]]
    names = [str(name) for name in frame.columns]  # once: reading a pandas Index per cell is slow
    formats = [date_fmt if name == "month" else None for name in names]
    for c, name in enumerate(names):
        ws.write_string(0, c, name, head)
    for r, values in enumerate(_rows(frame), start=1):
        for c, value in enumerate(values):
            _write(ws, r, c, value, formats[c])
    ws.freeze_panes(1, 0)


def table_xlsx_bytes(frame: pd.DataFrame, sheet: str = "Results") -> bytes:
    """One sheet holding `frame` (numbers as numbers, text as text), as bytes for a download."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    head = book.add_format({"bold": True, "bottom": 1})
    date_fmt = book.add_format({"num_format": "yyyy-mm"})
    ws = book.add_worksheet(sheet)
    full = ordered(frame)
    names = [str(name) for name in full.columns]
    formats = [date_fmt if name == "month" else None for name in names]
    for c, name in enumerate(names):
        ws.write_string(0, c, name, head)
    for r, values in enumerate(_rows(full), start=1):
        for c, value in enumerate(values):
            _write(ws, r, c, value, formats[c])
    book.close()
    return buffer.getvalue()
