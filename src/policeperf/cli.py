"""The command line. Each command parses, calls one function, renders.

Exit codes: 0 ok, 1 a problem the user can fix (bad data, bad YAML, missing store), 2 bad usage.
Progress bars go to stderr and only on a terminal; `--json` writes only JSON to stdout.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from traceback import format_exception
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from typer.exceptions import TyperException

from policeperf import __version__
from policeperf.errors import INTERRUPTED, PolicePerfError, StoreError, failure, need_extra
from policeperf.ingest.revisions import DEFAULT_REVISION_POLICY, RevisionPolicy
from policeperf.store import Store, resolve_store_path
from policeperf.store.database import backend_failure
from policeperf.store.status import StoreStatus, store_status

if TYPE_CHECKING:
    from multiprocessing.pool import Pool

    # Ingest pulls in pyarrow and openpyxl; commands that read files import it when they run.
    from policeperf.ingest.batch import BatchResult
    from policeperf.ingest.run import IngestReport

app = typer.Typer(
    help="policeperf: police performance frameworks from the records.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
ingest_app = typer.Typer(help="Read source files into the store.", no_args_is_help=True)
app.add_typer(ingest_app, name="ingest")

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

F = TypeVar("F", bound=Callable[..., Any])
R = TypeVar("R")

StoreOption = Annotated[
    Path | None,
    typer.Option(
        "--store",
        help="DuckDB store file (default: $POLICEPERF_STORE, else ./policeperf.duckdb).",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Write JSON to stdout instead of tables.")]
PathsArgument = Annotated[
    list[Path], typer.Argument(help="Files, folders or .zip archives.", show_default=False)
]


def user_errors(func: F) -> F:
    """Print an error the user can act on as one line on stderr and exit with its code (1, or
    130 after Ctrl+C); never a traceback. `errors.failure` and `store.backend_failure` decide."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort, TyperException):
            raise  # exit codes and usage errors (2) that the command line already reports
        except BaseException as exc:
            found = failure(exc) or backend_failure(exc)
            if found is None:
                raise
            code, line = found
            if code == INTERRUPTED:
                _ignore_further_interrupts()
            prefix = "" if code == INTERRUPTED else "[bold red]error:[/] "
            err.print(prefix + escape(line), soft_wrap=True)
            raise typer.Exit(code) from None

    return wrapper  # type: ignore[return-value]


def _ignore_further_interrupts() -> None:
    """Once an interrupt is handled, the command is ending: a signal still pending (DuckDB may
    have seen the same Ctrl+C before Python did) must not kill it before it exits 130."""
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_IGN)


def folder_option(path: Path) -> Path:
    """An --out folder: bad usage (exit 2) when it names an existing file."""
    if path.exists() and not path.is_dir():
        raise typer.BadParameter(f"{path} is a file; expected a folder", param_hint="--out")
    return path


def version_callback(value: bool) -> None:
    if value:
        out.print(f"policeperf {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool | None,
        typer.Option(
            "--version", callback=version_callback, is_eager=True, help="Show the version."
        ),
    ] = None,
) -> None:
    """policeperf: police performance frameworks from the records."""
    # `kill` (SIGTERM) unwinds like Ctrl+C: the open transaction is rolled back, temporary
    # folders are removed, and the command exits 130 with one line. Only a process's main
    # thread can set a handler (the app may be invoked from another, e.g. in tests).
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminated)


def _terminated(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


class IngestFeedback:
    """Progress for an ingest: a bar with rows/s on a terminal, else one line per file on stderr."""

    def __init__(self, progress: Progress, task: Any, lines: bool) -> None:
        self.progress, self.task, self.lines = progress, task, lines

    def start(self, name: str, number: int, count: int) -> None:
        if self.lines:
            err.print(f"ingesting {number}/{count} {name}", soft_wrap=True)

    def done(self, result: BatchResult, size: int) -> None:
        task = self.progress.tasks[0]
        rows = task.fields["rows"] + result.rows_in
        elapsed = task.elapsed or 0
        rate = f"{rows / elapsed:,.0f} rows/s" if elapsed > 0 else ""
        self.progress.update(
            self.task, advance=size, rows=rows, rate=rate, description=Path(result.file).name[:32]
        )


@contextmanager
def ingest_progress(paths: list[Path], enabled: bool) -> Iterator[IngestFeedback]:
    """A progress bar over the bytes of the input files, with rows per second."""
    from policeperf.ingest.run import total_bytes

    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[rows]:,} rows"),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        console=err,
        disable=not (enabled and err.is_terminal),
        transient=False,
    )
    task = progress.add_task("ingest", total=total_bytes(paths) or None, rows=0, rate="")
    with progress:
        yield IngestFeedback(progress, task, lines=enabled and not err.is_terminal)


def render_report(report: IngestReport, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(report.as_dict(), default=str, indent=2) + "\n")
        return
    table = Table(title="Ingest", title_justify="left")
    for col in ("file", "batch", "rows in", "accepted", "quarantined", "note"):
        table.add_column(col, justify="right" if col not in ("file", "note") else "left")
    for b in report.batches:
        note = (
            "already ingested; nothing written"
            if b.skipped
            else ", ".join(
                [f"{k} {v:,}" for k, v in sorted(b.quarantined_by_check.items())]
                + revision_notes(b)
            )
        )
        table.add_row(
            Path(b.file).name, str(b.batch_id), f"{b.rows_in:,}", f"{b.rows_accepted:,}",
            f"{b.rows_quarantined:,}", note,
        )  # fmt: skip
    out.print(table)
    out.print(
        f"rows in {report.rows_in:,} = accepted {report.rows_accepted:,} + quarantined "
        f"{report.rows_quarantined:,}"
        + (f"; {report.skipped} file(s) already ingested" if report.skipped else "")
    )


def revision_notes(b: BatchResult) -> list[str]:
    """What a batch replaced, or what replaced it (docs/revisions.md)."""
    notes = []
    if b.supersedes:
        notes.append("supersedes batch " + ", ".join(str(x) for x in b.supersedes))
    if b.rows_revised:
        notes.append(f"revised {b.rows_revised:,} earlier rows")
    if b.superseded_by is not None:
        notes.append(f"superseded by batch {b.superseded_by}")
    return notes


@ingest_app.command("police-uk")
@user_errors
def ingest_police_uk_command(
    paths: PathsArgument,
    store: StoreOption = None,
    force: Annotated[
        str | None,
        typer.Option(help="Force name for stop-and-search files whose name does not say it."),
    ] = None,
    revisions: Annotated[
        RevisionPolicy,
        typer.Option(
            help="Which publication of a republished month or a revised crime is current: the "
            "latest (earlier ones kept as history) or the first (later ones quarantined). "
            "See docs/revisions.md."
        ),
    ] = DEFAULT_REVISION_POLICY,
    as_json: JsonOption = False,
) -> None:
    """data.police.uk street, outcomes and stop-and-search CSVs (files, folders, zip archives)."""
    from policeperf.ingest.run import ingest_police_uk

    with Store(resolve_store_path(store)) as db, ingest_progress(paths, not as_json) as progress:
        report = ingest_police_uk(
            db, paths, force=force, on_progress=progress.done, on_start=progress.start,
            revisions=revisions,
        )  # fmt: skip
    render_report(report, as_json)


@ingest_app.command("home-office")
@user_errors
def ingest_home_office_command(
    paths: PathsArgument, store: StoreOption = None, as_json: JsonOption = False
) -> None:
    """The Home Office police recorded crime Police Force Area open data table (CSV)."""
    from policeperf.ingest.run import ingest_home_office

    with Store(resolve_store_path(store)) as db, ingest_progress(paths, not as_json) as progress:
        report = ingest_home_office(db, paths, on_progress=progress.done, on_start=progress.start)
    render_report(report, as_json)


@ingest_app.command("table")
@user_errors
def ingest_table_command(
    table: Annotated[str, typer.Argument(help="Canonical table, e.g. crimes, outcomes, calls.")],
    paths: PathsArgument,
    mapping: Annotated[Path, typer.Option(help="YAML column mapping (see docs/mappings.md).")],
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """A force's own CSV / Parquet / XLSX export, described by a YAML column mapping."""
    from policeperf.ingest.mapped import load_mapping
    from policeperf.ingest.run import ingest_table

    spec = load_mapping(mapping)
    if spec.table != table:
        raise PolicePerfError(
            f"{mapping}: maps table '{spec.table}', but the command names '{table}'"
        )
    with Store(resolve_store_path(store)) as db, ingest_progress(paths, not as_json) as progress:
        report = ingest_table(
            db, paths, mapping_path=mapping, on_progress=progress.done, on_start=progress.start
        )
    render_report(report, as_json)


def render_status(status: StoreStatus) -> None:
    out.print(f"[bold]{status.path}[/] (schema version {status.schema_version})")
    tables = Table(title="Tables", title_justify="left")
    tables.add_column("table")
    tables.add_column("rows", justify="right")
    tables.add_column("no district", justify="right")
    for name, rows in status.tables.items():
        outside = status.outside_districts.get(name)
        tables.add_row(name, f"{rows:,}", "" if outside is None else f"{outside:,}")
    out.print(tables)
    if status.coverage:
        cov = Table(title="Coverage (months of data received)", title_justify="left")
        for col in ("force", "table", "source", "months", "covered", "gaps"):
            cov.add_column(col, justify="right" if col == "months" else "left", overflow="fold")
        for c in status.coverage:
            cov.add_row(
                c["force"], c["table"], c["source"], str(c["months"]),
                ", ".join(c["covered"]) or "none", ", ".join(c["gaps"]) or "",
            )  # fmt: skip
        out.print(cov)
    if status.sources:
        src = Table(title="Batches", title_justify="left")
        for col in ("source", "kind", "files", "rows in", "accepted", "quarantined", "superseded"):
            src.add_column(col, justify="left" if col in ("source", "kind") else "right")
        for s in status.sources:
            src.add_row(
                s["source"], s["kind"], str(s["files"]), f"{s['rows_in']:,}",
                f"{s['rows_accepted']:,}", f"{s['rows_quarantined']:,}", str(s["superseded"]),
            )  # fmt: skip
        out.print(src)
    if status.superseded:
        sup = Table(title="Superseded batches (rows kept as history)", title_justify="left")
        for col in ("batch", "kind", "forces", "first", "last", "superseded by", "file"):
            sup.add_column(col, justify="right" if col in ("batch", "superseded by") else "left")
        for b in status.superseded:
            sup.add_row(
                str(b["batch_id"]), b["kind"], b["forces"] or "", b["first_month"] or "",
                b["last_month"] or "", str(b["superseded_by"]), Path(b["file"]).name,
            )  # fmt: skip
        out.print(sup)
    if status.history:
        hist = Table(title="History (replaced by a later publication)", title_justify="left")
        for col in ("table", "because", "rows"):
            hist.add_column(col, justify="right" if col == "rows" else "left")
        for h in status.history:
            hist.add_row(h["table"], h["because"], f"{h['rows']:,}")
        out.print(hist)
    if status.quarantine:
        q = Table(title="Quarantine", title_justify="left")
        for col in ("table", "field", "check", "rows", "example"):
            q.add_column(col, justify="right" if col == "rows" else "left", overflow="fold")
        for r in status.quarantine:
            q.add_row(r["table"], r["field"] or "", r["check"], f"{r['rows']:,}", r["example"])
        out.print(q)


@app.command()
@user_errors
def status(store: StoreOption = None, as_json: JsonOption = False) -> None:
    """Tables, row counts, coverage (months received per force and table, naming every gap),
    batches and quarantine."""
    path = resolve_store_path(store)
    try:
        db = Store(path, read_only=True)
    except StoreError as exc:
        if "needs migrating" not in str(exc):
            raise
        db = Store(path)  # an older store: migrate it forward once, as the error advises
    with db:
        result = store_status(db)
    if as_json:
        sys.stdout.write(json.dumps(result.as_dict(), default=str, indent=2) + "\n")
    else:
        render_status(result)


@app.command()
@user_errors
def synth(
    out_dir: Annotated[
        Path,
        typer.Option("--out", callback=folder_option, help="Folder for the generated exports."),
    ] = Path("out/demo-exports"),
    seed: Annotated[
        int, typer.Option(help="Random seed; the same seed gives the same force.")
    ] = 2021,
    store: StoreOption = None,
    ingest: Annotated[
        bool, typer.Option("--ingest/--no-ingest", help="Also ingest the exports into the store.")
    ] = True,
    as_json: JsonOption = False,
) -> None:
    """Generate the calibrated demo force (Demo Constabulary) as force exports, and ingest them."""
    from policeperf.synth import ingest_demo, write_demo_exports

    with err.status("generating Demo Constabulary", spinner="dots") if not as_json else _nothing():
        exports = write_demo_exports(out_dir, seed=seed)
    if not ingest:
        for e in exports:
            out.print(f"{e.csv}  (mapping {e.mapping})")
        return
    paths = [e.csv for e in exports]
    with Store(resolve_store_path(store)) as db, ingest_progress(paths, not as_json) as progress:
        report = ingest_demo(db, exports, on_progress=progress.done, on_start=progress.start)
    render_report(report, as_json)


@contextmanager
def _nothing() -> Iterator[None]:
    yield


@app.command()
@user_errors
def demo(
    store: Annotated[Path, typer.Option(help="Store file to build.")] = Path("out/demo.duckdb"),
    data: Annotated[Path, typer.Option(help="Folder of bundled public data.")] = Path("data"),
    out_dir: Annotated[
        Path, typer.Option("--out", callback=folder_option, help="Folder for outputs.")
    ] = Path("out"),
) -> None:
    """Build the demo store: real Cambridgeshire police.uk 2024 data, the Home Office 2017/18
    table and the calibrated Demo Constabulary; then print its status."""
    from policeperf.ingest.run import ingest_home_office, ingest_police_uk
    from policeperf.synth import ingest_demo, write_demo_exports

    police_uk = data / "police-uk" / "cambridgeshire-2024.zip"
    home_office = data / "home-office" / "prc-pfa-2017-18.zip"
    for needed in (police_uk, home_office):
        if not needed.exists():
            raise PolicePerfError(f"{needed}: bundled data missing; run from the repository root")
    # Two cores' work: the worker generates the demo force while the real data is ingested
    # here, then writes one report while this process writes the other.
    with _demo_worker(out_dir / "demo-exports", out_dir / "reports") as pool:
        generating = pool.apply_async(_in_worker, (write_demo_exports, out_dir / "demo-exports"))
        with Store(store) as db:
            with ingest_progress([police_uk], True) as progress:
                ingest_police_uk(
                    db, [police_uk], on_progress=progress.done, on_start=progress.start
                )
            ingest_home_office(db, [home_office])
            with err.status("generating Demo Constabulary", spinner="dots"):
                exports = generating.get()
            with ingest_progress([e.csv for e in exports], True) as progress:
                ingest_demo(db, exports, on_progress=progress.done, on_start=progress.start)
            render_status(store_status(db))
        out.print(f"\nDemo store: [bold]{store}[/]")
        _demo_reports(store, out_dir / "reports", pool)
    out.print(
        f"\nDashboard: [bold].venv/bin/policeperf serve --store {store}[/] then open http://127.0.0.1:8000/"
    )


DEMO_REPORTS = [("pcp", "2021-03", None), ("police-uk", "2024-12", "Cambridgeshire Constabulary")]
"""The demo force's board report for March 2021 and a police-uk report for Cambridgeshire."""


def _demo_reports(store: Path, folder: Path, pool: Pool) -> None:
    """The demo reports, the first written here (its PDF by the worker), the others by the
    worker; each listed once written, in order."""
    (name, month, force), *others = DEMO_REPORTS
    elsewhere = [
        pool.apply_async(_in_worker, (_demo_report, store, folder, *job)) for job in others
    ]
    with err.status(f"writing the {name} report for {month}", spinner="dots"):
        done = [_demo_report(store, folder, name, month, force, pdf_pool=pool)]
    for (name, month, _), result in zip(others, elsewhere, strict=True):
        _list_report(*done[-1])
        with err.status(f"writing the {name} report for {month}", spinner="dots"):
            done.append(result.get())
    _list_report(*done[-1])


def _list_report(heading: str, paths: dict[str, Path]) -> None:
    out.print(f"\n{heading}:")
    for fmt, path in paths.items():
        out.print(f"  {fmt:5} {path}")


def _demo_report(
    store: Path,
    folder: Path,
    name: str,
    month: str,
    force: str | None,
    pdf_pool: Pool | None = None,
) -> tuple[str, dict[str, Path]]:
    """One demo report in every format; returns its heading (markup) and its files. The
    demo's generated cohort, when there is one, feeds the harm section."""
    from policeperf.calendar import parse_month
    from policeperf.framework import load_framework
    from policeperf.report.board import build_board_report, write_board_report

    reporting = parse_month(month)
    cohort = folder.parent / "demo-exports" / "demo-cohort.csv"
    with Store(store, read_only=True) as db:
        board = build_board_report(db, load_framework(name), reporting, force=force,
                                   cohort=cohort if cohort.exists() else None, national=False)  # fmt: skip
    try:
        need_extra("weasyprint", "PDF output", "pdf")
        formats = ["html", "pdf", "xlsx", "csv"]
    except PolicePerfError:
        formats = ["html", "xlsx", "csv"]  # a core install: the rest of the demo still runs
    paths = write_board_report(board, folder, formats=formats, overwrite=True, pdf_pool=pdf_pool)
    model, results = board.framework, board.results
    return f"[bold]{model.title}[/] ({results.attrs.get('force')}, {month})", paths


@contextmanager
def _demo_worker(*folders: Path) -> Iterator[Pool]:
    """One worker process (spawned: this one holds DuckDB's threads) for work that can run
    beside this process's. Leaving the block stops it at once, whatever it is doing; on an
    error or Ctrl+C (this process's to handle: the worker ignores it) a file it was writing in
    `folders` is removed, so none is left half-written (`outfile.replacing` writes beside the
    target, `.NAME.*.part`). The stop is the system's: a handler in the worker could run on
    any of its threads, and an idle worker would never see it."""
    import multiprocessing

    pool = multiprocessing.get_context("spawn").Pool(1, initializer=_ignore_interrupts)
    try:
        yield pool
    except BaseException:
        pool.terminate()
        for folder in folders:
            for part in folder.glob(".*.part"):
                part.unlink(missing_ok=True)
        raise
    pool.terminate()


def _ignore_interrupts() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _in_worker(func: Callable[..., R], *args: Any) -> R:
    """`func(*args)` in the worker. An error the user can act on comes back as its one line
    (a `PolicePerfError`), any other with its traceback as text: not every exception survives
    the way back between processes, and one that does not would never be reported."""
    try:
        return func(*args)
    except Exception as exc:
        found = failure(exc) or backend_failure(exc)
        if found is None:
            raise RuntimeError("in the worker:\n" + "".join(format_exception(exc))) from None
        raise PolicePerfError(found[1]) from None


def month_option(text: str, hint: str = "--month") -> Any:
    """A YYYY-MM option as the first day of that month; bad usage (exit 2) otherwise."""
    from policeperf.calendar import parse_month

    try:
        return parse_month(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=hint) from None


FrameworkOption = Annotated[
    str,
    typer.Option(
        "--framework", help="A shipped framework (pcp, police-uk, operations) or a YAML file."
    ),
]
MonthOption = Annotated[str, typer.Option("--month", help="Reporting month, YYYY-MM.")]
PeersOption = Annotated[
    Path | None,
    typer.Option("--peers", help="Peer-group file (YAML or CSV) naming each force's peers."),
]
MostLikeOption = Annotated[
    int | None,
    typer.Option(
        "--most-like",
        min=1,
        max=42,
        help="Compare with the N forces most like this one, computed from the data (the method "
        "is shown).",
    ),
]
ForceOption = Annotated[
    str | None, typer.Option("--force", help="Force to evaluate when the framework names none.")
]
ProfileOption = Annotated[
    Path | None,
    typer.Option(
        "--profile",
        help="Force profile YAML (areas, populations); see 'policeperf force init'. "
        "Default: the shipped profile of the force, if any.",
    ),
]

BackendOption = Annotated[
    str, typer.Option("--backend", help="Where the queries run: duckdb or spark (docs/spark.md).")
]
SparkMasterOption = Annotated[
    str | None,
    typer.Option(
        "--spark-master",
        help="Spark master URL (default local[*]; under spark-submit, the one it was given).",
        show_default=False,
    ),
]
DataOption = Annotated[
    Path | None,
    typer.Option(
        "--data",
        help="Read a Parquet export ('policeperf export parquet') instead of the store.",
        show_default=False,
    ),
]


def backend_option(backend: str, spark_master: str | None) -> str:
    """--backend: duckdb or spark; --spark-master only with spark."""
    if backend not in ("duckdb", "spark"):
        raise typer.BadParameter(
            f"got {backend!r}; expected duckdb or spark", param_hint="--backend"
        )
    if spark_master is not None and backend != "spark":
        raise typer.BadParameter("only with --backend spark", param_hint="--spark-master")
    return backend


def start_spark(master: str | None) -> Any:
    """The Spark session for --backend spark, or one line saying what is missing."""
    import os
    import warnings

    from policeperf.store.spark import spark_missing, spark_session

    # pyspark's notes on the pandas version are for its developers, not for a user's run
    warnings.filterwarnings("ignore", category=FutureWarning, module="pyspark")

    missing = spark_missing()
    if missing:
        raise PolicePerfError(missing)
    if master is None and "PYSPARK_GATEWAY_PORT" not in os.environ:
        master = "local[*]"  # spark-submit sets the gateway and names the master itself
    try:
        return spark_session(master=master)
    except Exception as exc:  # the JVM did not start: Java too old, bad master URL
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise PolicePerfError(f"Spark could not start ({first})") from None


def evaluate_on(
    backend: str,
    spark_master: str | None,
    data: Path | None,
    store: Path | None,
    framework: Any,
    reporting: Any,
    **options: Any,
) -> Any:
    """The results table from the store on DuckDB (its compiled queries kept), or through Ibis
    from a Parquet export (`--data`) on either backend; Spark on the store reads a temporary
    export of it. `options`: force, profile, row_months as `engine.evaluate` takes them."""
    from policeperf.engine import evaluate as run

    if data is not None and store is not None:
        raise typer.BadParameter("read either a store or a Parquet export", param_hint="--data")
    if backend == "duckdb" and data is None:
        with Store(resolve_store_path(store), read_only=True) as db:
            return run(db, framework, reporting, **options)
    import tempfile

    from policeperf.engine import evaluate_backend
    from policeperf.framework import Framework, load_framework
    from policeperf.framework.profile import load_profile
    from policeperf.store.parquet import duckdb_dataset_backend, export_dataset, read_dataset
    from policeperf.store.spark import spark_dataset_backend, spark_missing

    missing = spark_missing() if backend == "spark" else None
    if missing:  # before any export or read: say it at once
        raise PolicePerfError(missing)
    profile = options.pop("profile", None)
    if isinstance(profile, Path):
        profile = load_profile(profile)
    force = options.pop("force", None) or (profile.force if profile else None)
    model = framework if isinstance(framework, Framework) else load_framework(framework)
    with tempfile.TemporaryDirectory(prefix="policeperf-") as scratch:
        if data is None:
            with Store(resolve_store_path(store), read_only=True) as db:
                dataset = export_dataset(db, Path(scratch) / "store")
        else:
            dataset = read_dataset(data)
        if backend == "spark":
            ibis_backend = spark_dataset_backend(start_spark(spark_master), dataset)
        else:
            ibis_backend = duckdb_dataset_backend(dataset)
        return evaluate_backend(ibis_backend, model, reporting, force=force, profile=profile,
                                store_state=dataset.store_state, **options)  # fmt: skip


@app.command()
@user_errors
def evaluate(
    framework: FrameworkOption,
    month: MonthOption,
    store: StoreOption = None,
    force: ForceOption = None,
    fmt: Annotated[str, typer.Option("--format", help="csv, parquet or json.")] = "csv",
    out_file: Annotated[
        Path | None, typer.Option("--out", help="File to write; stdout if absent (csv, json).")
    ] = None,
    all_months: Annotated[
        bool,
        typer.Option(
            "--all-months", help="Every month of each series, not only the reporting month."
        ),
    ] = False,
    area: Annotated[
        str | None, typer.Option("--area", help="Only this area: all, an area or a district.")
    ] = None,
    profile: ProfileOption = None,
    backend: BackendOption = "duckdb",
    spark_master: SparkMasterOption = None,
    data: DataOption = None,
) -> None:
    """The results table: every measure x area for the reporting month, with rolling 12 months,
    baseline, changes, verdict and method, and a status and reason where a figure is not
    available."""
    from policeperf.engine.export import write_results

    backend_option(backend, spark_master)
    if fmt not in ("csv", "parquet", "json"):
        raise typer.BadParameter(
            f"got {fmt!r}; expected csv, parquet or json", param_hint="--format"
        )
    if fmt == "parquet" and out_file is None:
        raise typer.BadParameter("parquet is binary; name a file with --out", param_hint="--format")
    reporting = month_option(month)
    results = evaluate_on(backend, spark_master, data, store, framework, reporting, force=force,
                          profile=profile, row_months=None if all_months else [reporting])  # fmt: skip
    warn_about(results)
    if not all_months:
        results = results[results["month"] == reporting]
    if area is not None:
        results = results[results["area"] == area]
    if results.empty:
        raise PolicePerfError(f"no results for {month}" + (f" and area {area!r}" if area else ""))
    text = write_results(results, out_file, fmt)  # type: ignore[arg-type]
    if text is not None:
        sys.stdout.write(text)
    else:
        err.print(f"wrote {len(results):,} rows to {out_file}")


def day_option(text: str) -> Any:
    """A YYYY-MM-DD option as a date; bad usage (exit 2) otherwise."""
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"got {text!r}; expected a day as YYYY-MM-DD, e.g. 2021-03-10", param_hint="--day"
        ) from None


@app.command()
@user_errors
def tracker(
    framework: FrameworkOption,
    day: Annotated[str, typer.Option("--day", help="Reporting day, YYYY-MM-DD.")],
    store: StoreOption = None,
    force: ForceOption = None,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Also write the tracker to a .csv or .xlsx file.")
    ] = None,
) -> None:
    """The daily tracker: each `grain: day` measure's figure for the day against the same
    weekday last year (with a test), the mean of the 28 days before and its daily SPC chart."""
    from policeperf.engine.daily import tracker as run
    from policeperf.engine.daily import write_tracker
    from policeperf.framework import load_framework
    from policeperf.store.database import ibis_backend

    reporting = day_option(day)
    if out_file is not None and out_file.suffix.lower() not in (".csv", ".xlsx"):
        raise typer.BadParameter(
            f"got {out_file.name!r}; expected a .csv or .xlsx file", param_hint="--out"
        )
    model = load_framework(framework)
    with Store(resolve_store_path(store), read_only=True) as db:
        frame = run(ibis_backend(db), model, reporting, force=force)
    render_tracker(frame)
    if out_file is not None:
        write_tracker(frame, out_file)
        err.print(f"wrote {len(frame):,} rows to {out_file}")


def _daily(value: Any, unit: str, *, change: bool = False) -> str:
    if value is None or value != value:
        return "n/a"
    sign = "+" if change and value > 0 else ""
    return (
        f"{sign}{value:,.1f}{'%' if unit == 'pct' else ''}"
        if unit == "pct" or change
        else (f"{sign}{value:,.1f}" if value != round(value) else f"{sign}{value:,.0f}")
    )


SPC_SHORT = {
    "common_cause": "common cause",
    "special_cause_improvement": "improvement",
    "special_cause_concern": "concern",
    "special_cause_neutral_high": "high",
    "special_cause_neutral_low": "low",
}


def render_tracker(frame: Any) -> None:
    """The tracker as a table; a day not available says why below it."""
    day = frame.attrs["day"]
    table = Table(title=f"Daily tracker, {frame.attrs['force']}, {frame['weekday'].iloc[0]} {day}",
                  title_justify="left")  # fmt: skip
    for col in ("measure", "day", "last year", "change", "verdict", "28d mean", "vs mean",
                "SPC"):  # fmt: skip
        table.add_column(
            col,
            justify="left" if col in ("measure", "verdict", "SPC") else "right",
            overflow="fold",
        )
    notes: list[str] = []
    for r in frame.to_dict("records"):
        unit = r["unit"]
        change_unit = " ppt" if r["change_unit"] == "ppt" else "%"
        change = _daily(r["change"], "", change=True)
        vs_mean = _daily(r["vs_mean_28d_pct"] if unit != "pct" else r["vs_mean_28d"], "",
                         change=True)  # fmt: skip
        mean_unit = " ppt" if unit == "pct" else "%"
        table.add_row(
            escape(r["measure"]), _daily(r["value"], unit), _daily(r["last_year_value"], unit),
            change + (change_unit if change != "n/a" else ""), r["verdict"] or "n/a",
            _daily(r["mean_28d"], unit), vs_mean + (mean_unit if vs_mean != "n/a" else ""),
            SPC_SHORT.get(r["spc_class"], "n/a"),
        )  # fmt: skip
        if r["reason"]:
            notes.append(f"{r['measure']}: not available: {r['reason']}")
        if r["notes"]:
            notes.append(f"{r['measure']}: {r['notes']}")
    out.print(table)
    out.print(
        f"same day last year = {frame['last_year_day'].iloc[0]} (52 weeks before); counts by "
        "the exact Poisson test of two counts, proportions by the two-proportion z test; "
        "28-day mean of the 28 days before; SPC: XmR chart of the days to this one",
        markup=False, soft_wrap=True,
    )  # fmt: skip
    for text in notes:
        out.print(f"  {text}", markup=False, soft_wrap=True)


SPC_HELP = "SPC of any series in a CSV file, as NHSRplotthedots draws it."


@app.command("spc", help=SPC_HELP)
@user_errors
def spc_command(
    file: Annotated[Path, typer.Argument(help="CSV file with a header row.", show_default=False)],
    value: Annotated[
        str, typer.Option("--value", help="Column of the values.", show_default=False)
    ],
    date_column: Annotated[
        str | None,
        typer.Option("--date", help="Column of the dates (2020-04-01, 2020-04 or 01/04/2020)."),
    ] = None,
    improvement: Annotated[
        str,
        typer.Option("--improvement", help="increase, decrease or neutral: which way is better."),
    ] = "increase",
    fix_after: Annotated[
        int | None,
        typer.Option(
            "--fix-after",
            min=12,
            help="Limits from the first N points of each group (at least 12).",
        ),
    ] = None,
    rebase: Annotated[
        list[str] | None,
        typer.Option("--rebase", help="Date of a row that starts a new group (repeat for more)."),
    ] = None,
    target: Annotated[
        float | None, typer.Option("--target", help="Target, for the assurance icon.")
    ] = None,
    shift_points: Annotated[
        int,
        typer.Option("--shift", min=6, max=9, help="Points on one side of the mean for a shift."),
    ] = 7,
    trend_points: Annotated[
        int,
        typer.Option("--trend", min=5, max=9, help="Points each higher (or lower) for a trend."),
    ] = 7,
    no_screen: Annotated[
        bool,
        typer.Option(
            "--no-screen-outliers", help="Keep moving ranges of 3.267 x their mean or more."
        ),
    ] = False,
    as_json: JsonOption = False,
    chart: Annotated[
        Path | None,
        typer.Option("--chart", help="Write the chart as SVG to this file (needs --date)."),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an existing chart file.")
    ] = False,
) -> None:
    """SPC of any series in a CSV file: limits, rules and point types of each row, the variation
    and assurance icons. Exit 2 when the file or an option cannot be used."""
    from policeperf.engine import spc as spc_mod
    from policeperf.engine.spc_file import SpcInputError, parse_date, read_series, spc_report

    if improvement not in ("increase", "decrease", "neutral"):
        raise typer.BadParameter(
            f"got {improvement!r}; expected increase, decrease or neutral",
            param_hint="--improvement",
        )
    if chart is not None and date_column is None:
        raise typer.BadParameter(
            "the chart's axis is time; name the date column with --date", param_hint="--chart"
        )
    dates = []
    for text in rebase or []:
        when = parse_date(text)
        if when is None:
            raise typer.BadParameter(
                f"got {text!r}; expected a date such as 2020-04-01", param_hint="--rebase"
            )
        dates.append(when)
    options = spc_mod.SpcOptions(
        fix_after=fix_after,
        shift_points=shift_points,
        trend_points=trend_points,
        screen_outliers=not no_screen,
    )
    try:
        series = read_series(file, value=value, date_column=date_column)
        report = spc_report(
            series, improvement=improvement, rebase=dates, target=target, options=options
        )
    except SpcInputError as exc:
        err.print("[bold red]error:[/] " + escape(str(exc)), soft_wrap=True)
        raise typer.Exit(1) from None
    if chart is not None:
        _write_spc_chart(report, chart, title=f"{file.name}: {value}", overwrite=overwrite)
    if as_json:
        sys.stdout.write(json.dumps(report.as_dict(), indent=2) + "\n")
        return
    render_spc(report, value)
    if chart is not None:
        err.print(f"wrote the chart to {chart}")


def render_spc(report: Any, value: str) -> None:
    table = Table(title=f"SPC of {value}", title_justify="left")
    for col in ("line", "date", "value", "mean", "lower", "upper", "point type", "rules"):
        table.add_column(
            col, justify="right" if col in ("line", "value", "mean", "lower", "upper") else "left"
        )

    def number(x: float | None) -> str:
        return "" if x is None else f"{x:,.4g}"

    for line, p in zip(report.series.lines, report.points(), strict=True):
        table.add_row(
            str(line), p["date"] or "", number(p["value"]), number(p["mean"]), number(p["lpl"]),
            number(p["upl"]), (p["point_type"] or "missing").removeprefix("special_cause_").replace("_", " "),
            ", ".join(p["rules"]),
        )  # fmt: skip
    out.print(table)
    out.print(f"Variation: {(report.variation or 'none').replace('_', ' ')}")
    out.print(f"Assurance: {(report.assurance or 'no target').replace('_', ' ')}")


def _write_spc_chart(report: Any, path: Path, *, title: str, overwrite: bool) -> None:
    import pandas as pd

    from policeperf.outfile import write_text
    from policeperf.report.charts import spc_chart_svg

    points = report.points()
    rows = pd.DataFrame({
        "month": [p["date"] for p in points], "value": [p["value"] for p in points],
        "spc_mean": [p["mean"] for p in points], "spc_upper": [p["upl"] for p in points],
        "spc_lower": [p["lpl"] for p in points], "spc_class": [p["point_type"] for p in points],
    })  # fmt: skip
    write_text(path, spc_chart_svg(rows, title=title), overwrite=overwrite)


def _spinner(text: str) -> Any:
    """The spinner a slow step of the board report shows on stderr."""
    return err.status(text, spinner="dots")


def warn_about(results: Any) -> None:
    """Problems of configuration the figures carry (a misspelt profile district), on stderr."""
    for warning in results.attrs.get("warnings") or ():
        err.print(f"warning: {escape(warning)}", soft_wrap=True)


@app.command()
@user_errors
def report(
    framework: FrameworkOption,
    month: MonthOption,
    store: StoreOption = None,
    force: ForceOption = None,
    formats: Annotated[
        str, typer.Option("--format", help="Comma-separated: html, pdf, xlsx, csv.")
    ] = "html,pdf,xlsx",
    out_dir: Annotated[
        Path, typer.Option("--out", callback=folder_option, help="Folder for the report files.")
    ] = Path("out/reports"),
    suppress_below: Annotated[
        int | None,
        typer.Option(
            "--suppress-below",
            help="Public version: hide counts below N and every figure that would reveal one.",
            min=2,
        ),
    ] = None,
    cohort: Annotated[
        Path | None,
        typer.Option(
            "--cohort", help="Managed cohort CSV (person_id, adopted) for the harm section."
        ),
    ] = None,
    profile: ProfileOption = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace report files already in the folder.")
    ] = False,
    national: Annotated[
        bool | None,
        typer.Option(
            "--national/--no-national",
            help="The 'How we compare' section (default: when the store holds national tables); "
            "peers from --peers or --most-like, else the 7 forces most like this one.",
        ),
    ] = None,
    peers: PeersOption = None,
    most_like: MostLikeOption = None,
    backend: BackendOption = "duckdb",
    spark_master: SparkMasterOption = None,
) -> None:
    """The board report: header, scorecards per pillar with verdicts and SPC, commentary and
    charts per focus area, area and district tables, method appendix and data provenance, and
    how the force compares nationally when the store holds the national tables."""
    from policeperf.framework import load_framework
    from policeperf.report import FORMATS
    from policeperf.report.board import build_board_report, write_board_report

    backend_option(backend, spark_master)
    wanted = [f.strip() for f in formats.split(",") if f.strip()]
    bad = [f for f in wanted if f not in FORMATS]
    if bad or not wanted:
        raise typer.BadParameter(
            f"got {formats!r}; expected some of {', '.join(FORMATS)}", param_hint="--format"
        )
    if peers is not None and most_like is not None:
        raise typer.BadParameter("give --peers or --most-like, not both", param_hint="--peers")
    if "pdf" in wanted:
        need_extra("weasyprint", "PDF output", "pdf")
    reporting = month_option(month)
    with Store(resolve_store_path(store), read_only=True) as db:
        model = load_framework(framework)
        results = None
        if backend != "duckdb":  # the figures from Spark; the rest of the report from the store
            with err.status(f"evaluating on {backend}", spinner="dots"):
                results = evaluate_on(backend, spark_master, None, store, model, reporting, force=force,
                                      profile=profile)  # fmt: skip
        board = build_board_report(db, model, reporting, force=force,
                                   profile=profile, suppress_below=suppress_below, cohort=cohort,
                                   national=national, peers=peers, most_like=most_like,
                                   formats=wanted, results=results, status=_spinner)  # fmt: skip
        warn_about(board.results)
    with err.status("writing the report", spinner="dots"):
        paths = write_board_report(board, out_dir, formats=wanted, overwrite=overwrite)
    for fmt, path in paths.items():
        out.print(f"{fmt:5} {path}")


@app.command()
@user_errors
def serve(
    store: StoreOption = None,
    framework: Annotated[
        str, typer.Option("--framework", help="A shipped framework or a YAML file.")
    ] = "pcp",
    force: ForceOption = None,
    host: Annotated[
        str,
        typer.Option(
            help="Interface to listen on; anything but loopback needs a token (--token-file or "
            "$POLICEPERF_TOKEN)."
        ),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    token_file: Annotated[
        Path | None,
        typer.Option(
            "--token-file",
            help="File holding the token every request must carry (16+ non-space characters); "
            "else $POLICEPERF_TOKEN.",
        ),
    ] = None,
    profile: ProfileOption = None,
    allowed_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allowed-host",
            help="A Host name (optionally name:port) to answer besides 127.0.0.1, localhost "
            "and [::1]; repeat for more.",
        ),
    ] = None,
    cache_mb: Annotated[
        int | None,
        typer.Option(
            "--cache-mb",
            min=64,
            help="Memory for cached results and pages, in MB (least recently used dropped "
            "beyond it); 256 unless given.",
            show_default=False,
        ),
    ] = None,
    access_log: Annotated[
        bool, typer.Option("--access-log", help="Log each request (within the log budget).")
    ] = False,
    token: Annotated[str | None, typer.Option("--token", hidden=True)] = None,
) -> None:
    """The local dashboard: every measure by pillar with verdict and SPC, drill-down by measure,
    area and month, downloads, and a JSON API (/api/openapi.json)."""
    if token is not None:
        err.print(
            "error: --token is not accepted: every user of this machine can read it with ps; "
            "use --token-file FILE or $POLICEPERF_TOKEN",
            soft_wrap=True,
        )
        raise typer.Exit(2)
    need_extra("fastapi", "The dashboard", "web")
    need_extra("uvicorn", "The dashboard", "web")
    import uvicorn

    from policeperf.web import Settings, check_bind, create_app
    from policeperf.web.server import Limits, server_config
    from policeperf.web.settings import read_token

    settings = Settings(
        store=resolve_store_path(store),
        framework=framework,
        force=force,
        host=host,
        port=port,
        token=read_token(token_file),
        allowed_hosts=tuple(allowed_host or ()),
        profile=profile,
        **({"cache_mb": cache_mb} if cache_mb else {}),
    )
    check_bind(settings)
    Store(settings.store, read_only=True).close()  # a clear error now rather than on the first page
    from policeperf.web.service import ResultsService

    service = ResultsService(settings)
    service.check_force()
    application = create_app(settings, service)
    err.print(f"policeperf dashboard on http://{host}:{port}/  (Ctrl+C to stop)")
    limits = Limits(access_log=access_log)
    uvicorn.Server(server_config(application, host=host, port=port, limits=limits)).run()


force_app = typer.Typer(
    help="Force profiles: policing areas and populations.", no_args_is_help=True
)
app.add_typer(force_app, name="force")


@force_app.command("init")
@user_errors
def force_init(
    name: Annotated[str, typer.Argument(help="The force, as in the data ('Kent Police').")],
    store: StoreOption = None,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Profile file to write; stdout if absent.")
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace a profile file already there.")
    ] = False,
) -> None:
    """Start a force profile from the districts seen in the store: group them into areas and give
    their populations, then pass the file to evaluate, report and serve with --profile."""
    from policeperf.framework.profile import profile_template

    with Store(resolve_store_path(store), read_only=True) as db:
        forces = [str(r[0]) for r in db.fetchall("SELECT DISTINCT force FROM crimes ORDER BY 1")]
        if name not in forces:
            known = ", ".join(forces) or "none"
            raise PolicePerfError(f"no crimes for {name!r} in the store; forces held: {known}")
        districts = [
            str(r[0])
            for r in db.fetchall(
                "SELECT DISTINCT district FROM crimes WHERE force = ? AND district IS NOT NULL",
                [name],
            )
        ]
    text = profile_template(name, districts)
    if out_file is None:
        sys.stdout.write(text)
        return
    from policeperf.outfile import write_text

    out_file.parent.mkdir(parents=True, exist_ok=True)
    write_text(out_file, text, overwrite=overwrite)
    err.print(f"wrote {out_file} with {len(districts)} districts; edit its areas and populations")


harm_app = typer.Typer(
    help="Crime Harm Index: who and where causes most harm, managed cohorts.", no_args_is_help=True
)
app.add_typer(harm_app, name="harm")
WeightsOption = Annotated[
    str,
    typer.Option(
        "--weights", help="'cchi' (Cambridge Crime Harm Index) or a CSV of offence_code,weight."
    ),
]
ProactiveOption = Annotated[
    bool,
    typer.Option(
        "--include-proactive",
        help="Count drug and weapon possession too (excluded by the CHI method).",
    ),
]


def _window_months(text: str) -> int:
    if not text.endswith("m") or not text[:-1].isdigit() or int(text[:-1]) < 1:
        raise typer.BadParameter(
            f"got {text!r}; expected months such as 12m", param_hint="--window"
        )
    return int(text[:-1])


def _force_and_end(db: Store, force: str | None) -> tuple[str, Any]:
    """The force (the only one in crimes, or as given) and the last day of its data."""
    forces = [f for (f,) in db.fetchall("SELECT DISTINCT force FROM crimes ORDER BY 1")]
    if force is None:
        if len(forces) != 1:
            raise PolicePerfError(
                f"the store holds {len(forces)} forces; choose one with --force: {', '.join(forces)}"
            )
        force = forces[0]
    elif force not in forces:
        raise PolicePerfError(f"--force: got {force!r}; expected one of {', '.join(forces)}")
    end = db.scalar("SELECT max(recorded_date) FROM crimes WHERE force = ?", [force])
    return force, end


@harm_app.command("top")
@user_errors
def harm_top(
    by: Annotated[str, typer.Option("--by", help="offender, victim or place.")] = "offender",
    window: Annotated[
        str, typer.Option("--window", help="Months ending with --month, e.g. 12m.")
    ] = "12m",
    month: Annotated[
        str | None, typer.Option("--month", help="Last month of the window (default: the latest).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="Rows to show.", min=1)] = 20,
    place: Annotated[
        str, typer.Option("--place", help="For --by place: lsoa_code, location or district.")
    ] = "lsoa_code",
    store: StoreOption = None,
    force: ForceOption = None,
    weights: WeightsOption = "cchi",
    include_proactive: ProactiveOption = False,
    salt: Annotated[
        str | None,
        typer.Option(
            "--salt",
            help="Hash identifiers with this secret salt in the output.",
            envvar="POLICEPERF_SALT",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Harm per offender, victim or place over a window, ranked, with its concentration."""
    from policeperf.harm.rank import Window, rank
    from policeperf.narrative.harm import concentration_sentences
    from policeperf.reference.harm_weights import load_weights
    from policeperf.store.database import ibis_backend

    if by not in ("offender", "victim", "place"):
        raise typer.BadParameter(
            f"got {by!r}; expected offender, victim or place", param_hint="--by"
        )
    if place not in ("lsoa_code", "location", "district"):
        raise typer.BadParameter(
            f"got {place!r}; expected lsoa_code, location or district", param_hint="--place"
        )
    months = _window_months(window)
    with Store(resolve_store_path(store), read_only=True) as db:
        chosen, end = _force_and_end(db, force)
        last = month_option(month) if month else end
        ranking = rank(ibis_backend(db), chosen, Window.months_to(last, months), load_weights(weights, chosen, include_proactive=include_proactive),
                       by, place=place, salt=salt)  # type: ignore[arg-type]  # fmt: skip
    if as_json:
        payload = {"force": chosen, "by": by, "window": ranking.window.label, "weights": ranking.weights,
                   "total_harm": ranking.total_harm, "unknown_harm": ranking.unknown_harm,
                   "people_or_places": len(ranking.table), "power_few_pct": ranking.power_few_pct,
                   "concentration": ranking.concentration, "top": ranking.table.head(limit).to_dict(orient="records")}  # fmt: skip
        sys.stdout.write(json.dumps(payload, default=str, indent=2) + "\n")
        return
    table = Table(
        title=f"Harm by {by}, {chosen}, {ranking.window.label} ({ranking.weights})",
        title_justify="left",
    )
    for col in ("rank", by, "harm (days)", "crimes", "share", "cumulative"):
        table.add_column(col, justify="left" if col == by else "right")
    for r in ranking.table.head(limit).itertuples():
        table.add_row(
            str(r.rank),
            str(r.key),
            f"{r.harm:,.1f}",
            f"{r.crimes:,}",
            f"{r.share_pct:.2f}%",
            f"{r.cumulative_pct:.1f}%",
        )
    out.print(table)
    for sentence in concentration_sentences(ranking):
        out.print(sentence)


@harm_app.command("cohort")
@user_errors
def harm_cohort(
    people: Annotated[
        Path,
        typer.Option("--people", help="CSV with person_id (and adopted, YYYY-MM-DD, per person)."),
    ],
    adopted: Annotated[
        str | None, typer.Option("--adopted", help="One adoption date for everyone, YYYY-MM-DD.")
    ] = None,
    window: Annotated[
        str, typer.Option("--window", help="Equal before/after windows, e.g. 12m.")
    ] = "12m",
    store: StoreOption = None,
    force: ForceOption = None,
    weights: WeightsOption = "cchi",
    include_proactive: ProactiveOption = False,
    as_json: JsonOption = False,
) -> None:
    """Harm and offences of a managed cohort before and after adoption, with a comparison group."""
    from datetime import date as date_type

    from policeperf.harm.cohort import measure_cohort, read_people
    from policeperf.narrative.harm import cohort_sentences
    from policeperf.reference.harm_weights import load_weights
    from policeperf.store.database import ibis_backend

    if adopted is not None:
        try:
            day = date_type.fromisoformat(adopted)
        except ValueError:
            raise typer.BadParameter(
                f"got {adopted!r}; expected YYYY-MM-DD", param_hint="--adopted"
            ) from None
        members = read_people(people, adopted=day)
    else:
        members = read_people(people)
    months = _window_months(window)
    with Store(resolve_store_path(store), read_only=True) as db:
        chosen, end = _force_and_end(db, force)
        result = measure_cohort(
            ibis_backend(db),
            chosen,
            load_weights(weights, chosen, include_proactive=include_proactive),
            members,
            months,
            end,
        )
    if as_json:
        sys.stdout.write(json.dumps({"force": chosen, "months": months, "totals": result.totals, "comparison": result.comparison,
                                     "excluded": result.excluded, "note": result.note,
                                     "people": result.people.to_dict(orient="records")}, default=str, indent=2) + "\n")  # fmt: skip
        return
    out.print(
        f"[bold]Cohort of {result.totals['people']:.0f}[/] ({chosen}), {months} months before and after each adoption:"
    )
    for line in cohort_sentences(result):
        out.print(f"  {line}", markup=False)
    for person, why in result.excluded:
        out.print(f"  not measured: {person}: {why}")
    out.print(result.note)


@app.command()
@user_errors
def reoffending(
    cohort: Annotated[str, typer.Option("--cohort", help="A quarter, e.g. 2019Q1.")],
    store: StoreOption = None,
    force: ForceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Proven reoffending (Ministry of Justice definition) for a quarterly cohort of offenders."""
    from policeperf.harm.reoffending import Cohort, disposals, measure
    from policeperf.narrative.harm import reoffending_sentence
    from policeperf.store.database import ibis_backend

    quarter = Cohort.parse(cohort)
    with Store(resolve_store_path(store), read_only=True) as db:
        chosen, end = _force_and_end(db, force)
        last_outcome = (
            db.scalar("SELECT max(outcome_date) FROM outcomes WHERE force = ?", [chosen]) or end
        )
        result = measure(disposals(ibis_backend(db), chosen), quarter, max(end, last_outcome))
    if as_json:
        sys.stdout.write(
            json.dumps({"force": chosen, **result.as_dict()}, default=str, indent=2) + "\n"
        )
        return
    out.print(
        f"[bold]Proven reoffending, cohort {quarter.label}[/] ({chosen}, disposals {quarter.start:%d %B %Y} to {quarter.end:%d %B %Y})"
    )
    out.print(f"  {reoffending_sentence(result)}", markup=False)


national_app = typer.Typer(
    help="Every force from published national tables: ingest them, compare a force with England "
    "and Wales and its peers (docs/national.md).",
    no_args_is_help=True,
)
app.add_typer(national_app, name="national")


@national_app.command("ingest")
@user_errors
def national_ingest_command(
    paths: PathsArgument, store: StoreOption = None, as_json: JsonOption = False
) -> None:
    """Home Office PRC PFA tables, rolling-year PFA totals, outcomes open data, ONS PFA
    populations and data.police.uk street counts (CSV, .csv.gz, zip; kind told by header)."""
    from policeperf.ingest.national import ingest_national

    with Store(resolve_store_path(store)) as db, ingest_progress(paths, not as_json) as progress:
        report = ingest_national(db, paths, on_progress=progress.done, on_start=progress.start)
    render_report(report, as_json)


def _month_span(text: str | None) -> str | None:
    """--months: 'YYYY-MM..YYYY-MM', first not after last; bad usage otherwise."""
    import re

    if text is None:
        return None
    match = re.fullmatch(r"(\d{4})-(0[1-9]|1[0-2])\.\.(\d{4})-(0[1-9]|1[0-2])", text.strip())
    if not match or (match.group(1), match.group(2)) > (match.group(3), match.group(4)):
        raise typer.BadParameter(
            f"got {text!r}; expected a span of months such as 2022-01..2022-11"
        )
    return text.strip()


def _financial_year(text: str | None) -> str | None:
    """--year: '2019/20' (also '2019-20'); bad usage otherwise."""
    import re

    if text is None:
        return None
    match = re.fullmatch(r"(\d{4})[/-](\d{2})", text.strip())
    if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        raise typer.BadParameter(f"got {text!r}; expected a financial year such as 2019/20")
    return f"{match.group(1)}/{match.group(2)}"


@national_app.command("compare")
@user_errors
def national_compare_command(
    force: Annotated[str, typer.Option("--force", help="Force name or code, any spelling.")],
    year: Annotated[
        str | None,
        typer.Option(
            "--year",
            help="Financial year, e.g. 2019/20 (Home Office tables).",
            callback=_financial_year,
        ),
    ] = None,
    months: Annotated[
        str | None,
        typer.Option(
            "--months",
            help="Span of months, e.g. 2022-01..2022-11 (police.uk street counts).",
            callback=_month_span,
        ),
    ] = None,
    store: StoreOption = None,
    peers: PeersOption = None,
    most_like: MostLikeOption = None,
    adjustment: Annotated[
        str,
        typer.Option(help="Funnel over-dispersion adjustment: additive, multiplicative or none."),
    ] = "additive",
    seed: Annotated[int, typer.Option(help="Seed of the rank-interval simulation.")] = 20050401,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write the comparison to a .csv or .xlsx file.")
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an existing --out file.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Compare a force with England and Wales and its peers on every national measure: Home
    Office tables for a financial year (--year), or police.uk street counts over months (--months)."""
    from policeperf.engine.national_compare import (
        Peers,
        compare,
        most_like_peers,
        supplied_peers,
    )
    from policeperf.engine.national_data import MEASURES, STREET_MEASURES
    from policeperf.engine.national_export import write_comparison
    from policeperf.reference.national_forces import load_force_reference
    from policeperf.reference.peer_groups import load_peer_groups

    if (year is None) == (months is None):
        raise typer.BadParameter("give --year or --months (one of them)", param_hint="--year")
    period = year or months or ""
    measures = MEASURES if year is not None else STREET_MEASURES
    if peers is not None and most_like is not None:
        raise typer.BadParameter("give --peers or --most-like, not both", param_hint="--peers")
    if adjustment not in ("additive", "multiplicative", "none"):
        raise typer.BadParameter(
            f"got {adjustment!r}; expected additive, multiplicative or none",
            param_hint="--adjustment",
        )
    reference = load_force_reference()
    chosen = reference.require(force)
    if not chosen.territorial:
        raise PolicePerfError(
            f"--force: {chosen.short_name} is not a police force area of England and Wales; "
            "comparisons are between the 43 territorial forces"
        )
    with Store(resolve_store_path(store), read_only=True) as db:
        if peers is not None:
            group = supplied_peers(load_peer_groups(peers, reference), reference, chosen)
        elif most_like is not None:
            group = most_like_peers(db, reference, chosen, period, most_like, measures)
        else:
            group = Peers((), "no peer group chosen: pass --peers FILE or --most-like N")
        result = compare(db, reference, chosen, period, group, measures=measures,
                         adjustment=adjustment, seed=seed)  # type: ignore[arg-type]  # fmt: skip
    if out_file is not None:
        write_comparison(result, out_file, overwrite=overwrite)
    if as_json:
        payload = {"force": chosen.short_name, "code": chosen.code, "period": period,
                   "peers": group.method, "rows": result.records()}  # fmt: skip
        sys.stdout.write(json.dumps(payload, default=str, indent=2) + "\n")
        return
    render_comparison(result)
    if out_file is not None:
        out.print(f"wrote {out_file}")


def _figure(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.1f}%" if unit.startswith("%") else f"{value:,.2f}"


SHORT_VERDICTS = {
    "above the peer range": "above range",
    "below the peer range": "below range",
    "within the peer range": "within range",
    "within 95% limits": "within 95%",
    "not available": "n/a",
}


def render_comparison(result: Any) -> None:
    """The comparison as a table (rates per 1,000 population, outcome rates in %), then the
    peers and every method used, once each; a figure not available is 'n/a' with its reason."""
    table = Table(
        title=f"How {result.force.short_name} compares, {result.year} ({result.rows[0].unit}"
        + ("; outcome rates %)" if any(r.unit.startswith("%") for r in result.rows) else ")"),
        title_justify="left",
    )
    for col in ("measure", "force", "E&W", "peer mean", "peer wtd", "vs peers", "funnel",
                "rank (95% int.)"):  # fmt: skip
        table.add_column(col, justify="left" if col == "measure" else "right")
    for r in result.rows:
        rank = f"{r.rank}/{r.rank_of} ({r.rank_low}-{r.rank_high})" if r.rank is not None else "n/a"
        table.add_row(
            escape(r.measure), _figure(r.value, r.unit), _figure(r.england_wales, r.unit),
            _figure(r.peer_mean, r.unit), _figure(r.peer_weighted_mean, r.unit),
            SHORT_VERDICTS.get(r.peer_verdict, r.peer_verdict),
            SHORT_VERDICTS.get(r.funnel_verdict, r.funnel_verdict).replace(" limit", ""), rank,
        )  # fmt: skip
    out.print(table)
    out.print(f"peers: {result.peers.method}", markup=False, soft_wrap=True)
    methods: dict[str, None] = {}
    for r in result.rows:
        if r.status != "ok":
            methods[f"{r.measure}: not available: {r.reason}"] = None
            continue
        for text in (r.england_wales_method, r.peer_mean_method, r.peer_weighted_mean_method,
                     r.peer_verdict_method, r.funnel_method, r.rank_method):  # fmt: skip
            methods[text] = None
    for text in methods:
        out.print(f"  {text}", markup=False, soft_wrap=True)


export_app = typer.Typer(help="Write the store in other formats.", no_args_is_help=True)
app.add_typer(export_app, name="export")


@export_app.command("parquet")
@user_errors
def export_parquet_command(
    out_dir: Annotated[
        Path,
        typer.Option(
            "--out",
            callback=folder_option,
            help="New (or empty) folder for the dataset.",
            show_default=False,
        ),
    ],
    store: StoreOption = None,
) -> None:
    """The store as a Parquet dataset, each table partitioned by force and month (hive layout),
    with a manifest: what '--data DIR' reads on DuckDB or Spark (docs/spark.md)."""
    from policeperf.store.parquet import export_dataset

    with Store(resolve_store_path(store), read_only=True) as db:
        dataset = export_dataset(db, out_dir)
    for info in dataset.tables.values():
        keys = f" by {', '.join(info.partition_by)}" if info.partition_by else ""
        out.print(f"{info.name:24} {info.rows:>12,} rows{keys}")
    err.print(f"wrote {len(dataset.tables)} tables to {out_dir}")
