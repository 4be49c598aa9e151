"""The board report: HTML (self-contained, offline), PDF (WeasyPrint), XLSX and CSV, all from the
results table and its narrative."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

import pandas as pd

from policeperf.engine.export import write_results
from policeperf.framework import Framework
from policeperf.report.model import Report, build_report
from policeperf.report.render import render_html, write_pdf
from policeperf.report.suppress import suppress
from policeperf.report.xlsx import write_xlsx

FORMATS = ("html", "pdf", "xlsx", "csv")

__all__ = ["FORMATS", "Report", "build_report", "render_html", "write_report"]


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
) -> dict[str, Path]:
    """Write the report in each format to `out_dir`; returns the path of each."""
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
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    html = render_html(report) if {"html", "pdf"} & set(wanted) else ""
    if "html" in wanted:
        paths["html"] = out_dir / f"{name}.html"
        paths["html"].write_text(html, encoding="utf-8")
    if "pdf" in wanted:
        paths["pdf"] = write_pdf(html, out_dir / f"{name}.pdf")
    if "xlsx" in wanted:
        paths["xlsx"] = write_xlsx(report, shown, month, out_dir / f"{name}.xlsx")
    if "csv" in wanted:
        paths["csv"] = out_dir / f"{name}.csv"
        write_results(shown[shown["month"] == month], paths["csv"], "csv")
    return paths
