"""Writing a national comparison to CSV or XLSX, whole or not at all.

Force names, methods and reasons are text a spreadsheet must never run: in CSV a text cell that
starts like a formula is prefixed with an apostrophe (`engine/export.neutralise`, OWASP's advice
for CSV injection); in XLSX every text cell is written as a string, never as a formula or link.
A figure that is not available is an empty cell, with its reason in `reason`, never 0.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import xlsxwriter

from policeperf.engine.export import neutralise
from policeperf.engine.national_compare import Comparison
from policeperf.errors import OutputFileError
from policeperf.outfile import replacing, write_text

ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0. "
    "Source: data.police.uk / Home Office."
)


def columns(comparison: Comparison) -> list[str]:
    records = comparison.records()
    return list(records[0]) if records else []


def write_comparison(comparison: Comparison, path: Path, *, overwrite: bool = False) -> Path:
    """Write `comparison` to `path` (.csv or .xlsx, chosen by the suffix)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        write_text(path, comparison_csv(comparison), overwrite=overwrite)
    elif suffix == ".xlsx":
        with replacing(path, overwrite=overwrite) as tmp:
            _write_xlsx(comparison, tmp)
    else:
        raise OutputFileError(f"{path}: got a {suffix or 'nameless'} file; expected .csv or .xlsx")
    return path


def comparison_csv(comparison: Comparison) -> str:
    """The comparison as CSV text, text cells made inert for spreadsheets."""
    buffer = io.StringIO()
    names = columns(comparison)
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(names)
    for record in comparison.records():
        writer.writerow([_cell(record[n]) for n in names])
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    return neutralise(value) if isinstance(value, str) else value


def _write_xlsx(comparison: Comparison, path: Path) -> None:
    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    head = book.add_format({"bold": True, "bottom": 1})
    sheet = book.add_worksheet("comparison")
    names = columns(comparison)
    for col, name in enumerate(names):
        sheet.write_string(0, col, name, head)
    for row, record in enumerate(comparison.records(), start=1):
        for col, name in enumerate(names):
            value = record[name]
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                sheet.write_string(row, col, str(value))
            else:
                sheet.write_number(row, col, value)
    about = book.add_worksheet("about")
    lines = [
        f"Force: {comparison.force.short_name} ({comparison.force.code})",
        f"Year: {comparison.year}",
        f"Peers: {comparison.peers.method}",
        ATTRIBUTION,
    ]
    for row, line in enumerate(lines):
        about.write_string(row, 0, line)
    book.close()
