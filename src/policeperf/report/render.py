"""Rendering the report model: one self-contained HTML file (inline CSS and SVG, no scripts, no
network), a PDF from the same HTML with WeasyPrint, and an XLSX workbook."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from policeperf.outfile import replacing, write_text
from policeperf.report.model import Report


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("policeperf.report", "templates"),
        autoescape=select_autoescape(["html", "j2"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def render_html(report: Report) -> str:
    """The report as one HTML document; every data string is escaped by the template engine."""
    env = _environment()
    macros = env.get_template("macros.html.j2").module
    css = (
        resources.files("policeperf.report")
        .joinpath("templates", "report.css")
        .read_text(encoding="utf-8")
    )
    return env.get_template("report.html.j2").render(
        r=report,
        css=css,
        scorecard=macros.scorecard,
        breakdown=macros.breakdown,  # type: ignore[attr-defined]
    )


def write_html(report: Report, path: Path, *, overwrite: bool = False) -> Path:
    return write_text(path, render_html(report), overwrite=overwrite)


def write_pdf(html: str, path: Path, *, overwrite: bool = False) -> Path:
    """A4 PDF with page numbers from the same HTML (print CSS), written whole or not at all."""
    from weasyprint import HTML

    with replacing(path, overwrite=overwrite) as tmp:
        HTML(string=html, base_url=None, url_fetcher=_refuse).write_pdf(tmp)
    return path


def _refuse(url: str, *args: object, **kwargs: object) -> dict[str, object]:
    """The report is self-contained: any attempt to fetch a resource is an error."""
    raise ValueError(f"the report must not load {url!r}")
