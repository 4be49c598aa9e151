"""The board report: HTML (self-contained, offline), PDF (WeasyPrint), XLSX and CSV, all from the
results table and its narrative."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from policeperf.calendar import add_months, month_range
from policeperf.engine.export import write_results
from policeperf.engine.national_view import NationalView
from policeperf.framework import Framework
from policeperf.outfile import check_target, write_text
from policeperf.report.charts import CHART_MONTHS
from policeperf.report.model import Report, build_report
from policeperf.report.national import national_section, section_csv
from policeperf.report.render import render_html, write_pdf
from policeperf.report.suppress import suppress
from policeperf.report.xlsx import write_xlsx

if TYPE_CHECKING:
    from multiprocessing.pool import AsyncResult, Pool

FORMATS = ("html", "pdf", "xlsx", "csv")

__all__ = ["FORMATS", "Report", "build_report", "months_needed", "render_html", "write_report"]


def months_needed(
    month: date, formats: Iterable[str], suppress_below: int | None = None
) -> dict[str, list[date]] | None:
    """The months of results rows a report in `formats` reads, per area level, so evaluation
    builds no others: for HTML, PDF and CSV the force's charted months, ending with the
    reporting `month`, and the reporting month of areas and districts (their tables); every
    month (None) for the workbook, whose series sheet holds every month, and for a public
    version, whose suppression looks across a series' months."""
    if "xlsx" in formats or suppress_below:
        return None
    return {"force": month_range(add_months(month, 1 - CHART_MONTHS), month),
            "area": [month], "district": [month]}  # fmt: skip


def write_report(
    results: pd.DataFrame,
    framework: Framework,
    month: date,
    out_dir: Path,
    *,
    formats: Iterable[str] = ("html", "pdf", "xlsx"),
    provenance: list[tuple[str, str]] | None = None,
    suppress_below: int | None = None,
    today: date | None = None,
    stem: str | None = None,
    harm: object | None = None,
    overwrite: bool = False,
    national: NationalView | None = None,
    pdf_pool: Pool | None = None,
) -> dict[str, Path]:
    """Write the report in each format to `out_dir`; returns the path of each.

    Each file is written whole or not at all (`outfile.replacing`). Every target is checked
    before anything is written, so a refused one (existing without `overwrite`, a symbolic
    link) leaves the folder as it was. With `national`, the report has a "How we compare"
    section, a sheet of it in the workbook and, beside the CSV, `<name>-how-we-compare.csv`.
    With `pdf_pool` the PDF, the slowest format and all Python, is rendered in a worker process
    while this one writes the workbook and CSV; the files are the same, and this returns once
    every one is written (or the first error)."""
    wanted = list(dict.fromkeys(formats))
    unknown = sorted(set(wanted) - set(FORMATS))
    if unknown:
        raise ValueError(f"unknown format(s) {', '.join(unknown)}; expected {', '.join(FORMATS)}")
    shown = suppress(results, suppress_below)
    shown.attrs.update(results.attrs)
    report = build_report(shown, framework, month, provenance=provenance, today=today,
                          suppressed_below=suppress_below, charts="html" in wanted or "pdf" in wanted)  # fmt: skip
    # Rankings of people are never part of a public version.
    report.harm = None if suppress_below else harm
    name = stem or f"{framework.name}-{month:%Y-%m}" + ("-public" if suppress_below else "")
    paths = {fmt: out_dir / f"{name}.{fmt}" for fmt in FORMATS if fmt in wanted}
    if national is not None:
        section = national_section(national, charts="html" in wanted or "pdf" in wanted)
        report.extra["national"] = section
        if "csv" in paths:
            paths["compare-csv"] = out_dir / f"{name}-how-we-compare.csv"
    for path in paths.values():
        check_target(path, overwrite=overwrite)
    if "html" in paths:
        write_text(paths["html"], render_html(report), overwrite=overwrite)
    pdf: AsyncResult[Path] | None = None
    if "pdf" in paths:
        html = render_html(report, charts_as_images=True)
        if pdf_pool is None:
            write_pdf(html, paths["pdf"], overwrite=overwrite)
        else:
            pdf = pdf_pool.apply_async(write_pdf, (html, paths["pdf"]), {"overwrite": overwrite})
    try:
        if "xlsx" in paths:
            write_xlsx(report, shown, month, paths["xlsx"], overwrite=overwrite)
        if "csv" in paths:
            write_results(shown[shown["month"] == month], paths["csv"], "csv", overwrite=overwrite)
        if "compare-csv" in paths:
            write_text(paths["compare-csv"], section_csv(section), overwrite=overwrite)
    except Exception:
        if pdf is not None:
            pdf.wait()  # the PDF is settled (written or not) before the error is reported
        raise
    if pdf is not None:
        pdf.get()
    return paths
