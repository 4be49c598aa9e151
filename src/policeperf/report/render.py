"""Rendering the report model: one self-contained HTML file (inline CSS and SVG, no scripts, no
network), a PDF from the same HTML with WeasyPrint, and an XLSX workbook."""

from __future__ import annotations

import base64
from importlib import resources
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from policeperf.errors import need_extra
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


def _inline(svg: str) -> Markup:
    return Markup(svg)  # the charts' SVG, drawn by the renderer from escaped data


def _as_image(svg: str) -> Markup:
    """The SVG as an image whose source is the SVG itself (a data URL). WeasyPrint draws it
    exactly as the inline SVG (the same PDF), but need not parse thousands of chart elements as
    HTML and give each a computed style, which took most of the PDF's time."""
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return Markup(f'<img src="data:image/svg+xml;base64,{data}" alt="">')


def render_html(report: Report, *, charts_as_images: bool = False) -> str:
    """The report as one HTML document; every data string is escaped by the template engine.
    `charts_as_images`: the HTML for the PDF, each chart an image holding its SVG."""
    env = _environment()
    macros = env.get_template("macros.html.j2").module
    # The packaged stylesheet, not data: escaping it would turn its quotes into entities, which
    # CSS does not read (the body's font list was dropped).
    css = Markup(
        resources.files("policeperf.report")
        .joinpath("templates", "report.css")
        .read_text(encoding="utf-8")
    )
    return env.get_template("report.html.j2").render(
        r=report,
        css=css,
        scorecard=macros.scorecard,
        breakdown=macros.breakdown,  # type: ignore[attr-defined]
        figure=_as_image if charts_as_images else _inline,
    )


def write_html(report: Report, path: Path, *, overwrite: bool = False) -> Path:
    return write_text(path, render_html(report), overwrite=overwrite)


def write_pdf(html: str, path: Path, *, overwrite: bool = False) -> Path:
    """A4 PDF with page numbers from the same HTML (print CSS), written whole or not at all.
    The report is self-contained: only the `data:` URLs of its own charts are read, and any
    other resource stops the rendering."""
    need_extra("weasyprint", "PDF output", "pdf")
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    inline_only = URLFetcher(allowed_protocols=("data",), fail_on_errors=True)
    with replacing(path, overwrite=overwrite) as tmp:
        HTML(string=html, base_url=None, url_fetcher=inline_only).write_pdf(tmp)
    return path
