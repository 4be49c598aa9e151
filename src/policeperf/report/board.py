"""The board report, assembled once for every caller: the command line's `report` and `demo`
and the dashboard's downloads call `build_board_report` then `write_board_report` (or
`board_report_bytes`), so a report downloaded from the dashboard is the file the command line
writes for the same store, framework, month and options.

The assembly is: the results (evaluated here, or the caller's own for the same inputs), the
provenance of the batches that fed them, the harm section when the framework weighs harm (never
in a public version), and "How we compare" when asked for or when the store holds the national
tables.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from policeperf.engine import evaluate
from policeperf.engine.national_view import NationalView, holds_national, national_view
from policeperf.errors import PolicePerfError
from policeperf.framework import Framework
from policeperf.framework.kinds import kind
from policeperf.report import FORMATS, months_needed, write_report
from policeperf.report.harm import HarmSection
from policeperf.store import Store
from policeperf.store.status import coverage_rows

if TYPE_CHECKING:
    from multiprocessing.pool import Pool

Status = Callable[[str], AbstractContextManager[Any]]
"""Shows that a slow step is running (the command line's spinner); nothing by default."""


def _quiet(_: str) -> AbstractContextManager[Any]:
    return nullcontext()


@dataclass
class BoardReport:
    """Everything a board report is written from."""

    results: pd.DataFrame
    framework: Framework
    """The framework, its force set to the force evaluated."""
    month: date
    provenance: list[tuple[str, str]]
    harm: HarmSection | None
    national: NationalView | None
    suppress_below: int | None


def build_board_report(
    db: Store,
    framework: Framework,
    month: date,
    *,
    force: str | None = None,
    profile: Any = None,
    suppress_below: int | None = None,
    cohort: Path | None = None,
    national: bool | None = None,
    peers: Path | None = None,
    most_like: int | None = None,
    formats: Iterable[str] = FORMATS,
    results: pd.DataFrame | None = None,
    status: Status = _quiet,
) -> BoardReport:
    """The board report of `framework` for the reporting `month` from the store `db`.

    `results`: the results table the caller already holds for the same store, framework,
    force and profile (the dashboard's cache), every month of each series; else evaluated here,
    only the months `formats` read. `national` None: "How we compare" when the store holds the
    national tables (or `peers`/`most_like` ask for it); False: never.

    Raises:
        PolicePerfError: both `peers` and `most_like` given.
    """
    if peers is not None and most_like is not None:
        raise PolicePerfError("give --peers or --most-like, not both")
    if results is None:
        with status("evaluating"):
            results = evaluate(db, framework, month, force=force, profile=profile,
                               row_months=months_needed(month, list(formats), suppress_below))  # fmt: skip
    model = framework.model_copy(update={"force": results.attrs.get("force")})
    force_name = str(model.force)
    harm = None if suppress_below else harm_for_report(db, model, month, force_name, cohort)
    view = national_for_report(db, force_name, month, national, peers, most_like, status)
    return BoardReport(results=results, framework=model, month=month,
                       provenance=provenance_lines(db, results, month), harm=harm,
                       national=view, suppress_below=suppress_below)  # fmt: skip


def national_for_report(
    db: Store,
    force: str,
    reporting: date,
    wanted: bool | None,
    peers: Path | None,
    most_like: int | None,
    status: Status = _quiet,
) -> NationalView | None:
    """The report's "How we compare" content: when asked for (`wanted`, `peers` or
    `most_like`), or by default when the store holds the national tables; None otherwise."""
    asked = bool(wanted) or peers is not None or most_like is not None
    if wanted is False or not (asked or holds_national(db)):
        return None
    with status("comparing with England and Wales"):
        return national_view(db, force, reporting, peer_file=peers, most_like=most_like)


def write_board_report(
    board: BoardReport,
    out_dir: Path,
    *,
    formats: Iterable[str] = ("html", "pdf", "xlsx"),
    overwrite: bool = False,
    today: date | None = None,
    pdf_pool: Pool | None = None,
) -> dict[str, Path]:
    """Write the board report in each format to `out_dir` (`write_report`); the path of each."""
    return write_report(board.results, board.framework, board.month, out_dir, formats=formats,
                        provenance=board.provenance, suppress_below=board.suppress_below,
                        harm=board.harm, overwrite=overwrite, national=board.national,
                        today=today, pdf_pool=pdf_pool)  # fmt: skip


def board_report_name(board: BoardReport, fmt: str) -> str:
    """The file name the board report has in `fmt`, as `write_board_report` names it."""
    public = "-public" if board.suppress_below else ""
    return f"{board.framework.name}-{board.month:%Y-%m}{public}.{fmt}"


def board_report_bytes(board: BoardReport, fmt: str, *, today: date | None = None) -> bytes:
    """The board report in one format as bytes: the very file `write_board_report` writes."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_board_report(board, Path(tmp), formats=[fmt], today=today)
        return paths[fmt].read_bytes()


def harm_for_report(
    db: Store, model: Framework, reporting: date, force: str, cohort_file: Path | None = None
) -> HarmSection | None:
    """The report's harm section when the framework has a harm measure: the 12 months to the
    reporting month, by offender, with a managed cohort if one is given."""
    if not any(kind(m.kind).weighs_harm for *_, m in model.measures()):
        return None
    from policeperf.framework.loader import harm_weights
    from policeperf.harm.cohort import measure_cohort, read_people
    from policeperf.harm.rank import Window, rank
    from policeperf.report.harm import harm_section
    from policeperf.store.database import ibis_backend

    backend = ibis_backend(db)
    weights = harm_weights(model.settings, force)
    ranking = rank(backend, force, Window.months_to(reporting, 12), weights, "offender")
    cohort = None
    if cohort_file is not None:
        end = db.scalar("SELECT max(recorded_date) FROM crimes WHERE force = ?", [force])
        cohort = measure_cohort(backend, force, weights, read_people(cohort_file), 12, end)
    return harm_section(ranking, cohort)


FED = "SELECT DISTINCT batch_id FROM coverage WHERE force = ? AND month <= ?"
"""The batches that fed a force's results for a reporting month: those that delivered any of
its months up to that month. Another force's batches, and later months', did not."""


def provenance_lines(db: Store, results: pd.DataFrame, month: date) -> list[tuple[str, str]]:
    """Where the figures come from: the store, the force's coverage, the batches that fed the
    results and their quarantined rows, and when the store was read."""
    force = results.attrs.get("force")
    lines = [
        ("Store", f"{db.path or ':memory:'} (schema version {db.schema_version})"),
        ("Results as at", str(results.attrs.get("as_at", ""))),
        ("Store state", str(results.attrs.get("store_state", ""))),
        ("Framework", f"{results.attrs.get('framework')} version {results.attrs.get('version')}"),
    ]
    for c in coverage_rows(db):
        if c["force"] == force:
            source = f" ({c['source']})" if c["source"] else ""
            lines.append(
                (
                    f"Coverage: {c['table']}{source}",
                    f"{c['summary']}; {c['months']} months received, {c['rows']:,} rows",
                )
            )
    sources = db.fetch_dicts(
        f"""
        SELECT source, kind, count(*) AS files, sum(rows_in) AS rows_in,
               sum(rows_accepted) AS rows_accepted, sum(rows_quarantined) AS rows_quarantined,
               count(superseded_by) AS superseded
        FROM ingest_batches WHERE batch_id IN ({FED}) GROUP BY ALL ORDER BY 1, 2
        """,
        [force, month],
    )
    for s in sources:
        lines.append(
            (
                f"Batches: {s['source']} {s['kind']}",
                f"{s['files']} file(s); rows in {int(s['rows_in']):,} = accepted "
                f"{int(s['rows_accepted']):,} + quarantined {int(s['rows_quarantined']):,}"
                + (f"; {s['superseded']} superseded by a republication" if s["superseded"] else ""),
            )
        )
    quarantine = db.fetch_dicts(
        f"""
        SELECT table_name AS "table", field, check_name AS "check", count(*) AS rows
        FROM quarantine WHERE batch_id IN ({FED}) GROUP BY ALL ORDER BY rows DESC, 1, 2 LIMIT 10
        """,
        [force, month],
    )
    for q in quarantine:
        lines.append(
            (
                f"Quarantine: {q['table']} {q['check']}",
                f"{q['rows']:,} rows ({q['field'] or 'whole line'})",
            )
        )
    return lines
