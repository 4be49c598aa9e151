"""Running an ingest: check every file first, then one batch per file.

All files are planned (header and kind checked) before any is ingested, so a wrong file stops the
command before it writes anything; and every kind of one command is one transaction, so a
failure in a later kind leaves nothing of the earlier kinds either. Progress is reported through a callback so that the command
line can draw a bar without this package knowing about terminals.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import duckdb

from policeperf.errors import InputFileError
from policeperf.ingest import home_office, mapped, police_uk
from policeperf.ingest.batch import BatchResult, Clock, StageFiles, run_batches, utc_now
from policeperf.ingest.files import InputFile, expand_inputs
from policeperf.ingest.reference_tables import register_reference
from policeperf.ingest.revisions import DEFAULT_REVISION_POLICY, RevisionPolicy
from policeperf.ingest.validate import Route
from policeperf.store import Store

Plan = tuple[str, tuple[str, ...], StageFiles, list[Route]]
"""(kind, group key, staging function, routes): files with one group key are staged together."""
Planner = Callable[[duckdb.DuckDBPyConnection, InputFile], Plan]
Progress = Callable[[BatchResult, int], None]
"""Called after each file with its result and the file's size in bytes."""
Starting = Callable[[str, int, int], None]
"""Called before each file's batch begins with the file's name, its number and the file count."""


@dataclass
class IngestReport:
    """Every batch of one ingest command."""

    batches: list[BatchResult] = field(default_factory=list)

    @property
    def rows_in(self) -> int:
        return sum(b.rows_in for b in self.batches)

    @property
    def rows_accepted(self) -> int:
        return sum(b.rows_accepted for b in self.batches)

    @property
    def rows_quarantined(self) -> int:
        return sum(b.rows_quarantined for b in self.batches)

    @property
    def skipped(self) -> int:
        return sum(1 for b in self.batches if b.skipped)

    def as_dict(self) -> dict[str, object]:
        return {
            "rows_in": self.rows_in,
            "rows_accepted": self.rows_accepted,
            "rows_quarantined": self.rows_quarantined,
            "files": len(self.batches),
            "files_already_ingested": self.skipped,
            "batches": [b.as_dict() for b in self.batches],
        }


def total_bytes(paths: Sequence[str | Path], suffixes: Sequence[str] = (".csv",)) -> int:
    """Size of what `paths` name, for a progress bar (archives count at their packed size)."""
    total = 0
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            total += sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        elif path.exists():
            total += path.stat().st_size
    return total


def ingest_files(
    store: Store,
    paths: Sequence[str | Path],
    *,
    source: str,
    planner: Planner,
    suffixes: Sequence[str] = (".csv",),
    fingerprint: str = "",
    on_progress: Progress | None = None,
    on_start: Starting | None = None,
    clock: Clock = utc_now,
    revisions: RevisionPolicy | None = None,
    period: tuple[date, date] | None = None,
) -> IngestReport:
    """Ingest every file `paths` name with `planner` deciding kind, staging and routes; with a
    `revisions` policy, republished months and revised records replace what the store holds.

    `fingerprint` is what else decides the rows a file gives (a mapping's canonical content):
    it is folded into each file's content hash, so the same file read through a corrected
    mapping is a new batch rather than "already ingested"."""
    register_reference(store.con)
    report = IngestReport()
    with expand_inputs(paths, suffixes) as found:
        if not found:
            names = ", ".join(str(p) for p in paths)
            raise InputFileError(names, f"no {'/'.join(suffixes)} files found")
        files = [with_fingerprint(f, fingerprint) for f in found]
        plans = [(file, planner(store.con, file)) for file in files]
        groups: dict[tuple[str, ...], list[tuple[InputFile, Plan]]] = {}
        for file, planned in plans:
            groups.setdefault(planned[1], []).append((file, planned))
        with store.transaction(bulk=True):  # the whole command commits or rolls back as one
            _run_groups(store, groups, report, len(plans), source, on_progress, on_start, clock,
                        revisions, period)  # fmt: skip
    return report


def _run_groups(
    store: Store,
    groups: dict[tuple[str, ...], list[tuple[InputFile, Plan]]],
    report: IngestReport,
    count: int,
    source: str,
    on_progress: Progress | None,
    on_start: Starting | None,
    clock: Clock,
    revisions: RevisionPolicy | None,
    period: tuple[date, date] | None,
) -> None:
    number = 0
    for members in groups.values():
        kind, _, stage, routes = members[0][1]
        batch = [file for file, _ in members]
        for file in batch:
            number += 1
            if on_start is not None:
                on_start(file.name, number, count)
        results = run_batches(
            store, batch, source=source, kind=kind, stage=stage, routes=routes, clock=clock,
            revisions=revisions, period=period,
        )  # fmt: skip
        for file, result in zip(batch, results, strict=True):
            report.batches.append(result)
            if on_progress is not None:
                on_progress(result, file.path.stat().st_size)


def with_fingerprint(file: InputFile, fingerprint: str) -> InputFile:
    if not fingerprint:
        return file
    digest = hashlib.sha256(f"{file.sha256}\n{fingerprint}".encode()).hexdigest()
    return replace(file, sha256=digest)


def ingest_police_uk(
    store: Store,
    paths: Sequence[str | Path],
    *,
    force: str | None = None,
    on_progress: Progress | None = None,
    on_start: Starting | None = None,
    clock: Clock = utc_now,
    revisions: RevisionPolicy = DEFAULT_REVISION_POLICY,
) -> IngestReport:
    """data.police.uk street, outcomes and stop-and-search files, folders or zip archives.
    data.police.uk republishes months: `revisions` says which publication wins (docs/revisions.md)."""
    return ingest_files(
        store,
        paths,
        source=police_uk.SOURCE,
        planner=lambda con, f: police_uk.plan(con, f, force),
        on_progress=on_progress,
        on_start=on_start,
        clock=clock,
        revisions=revisions,
    )


def ingest_home_office(
    store: Store,
    paths: Sequence[str | Path],
    *,
    on_progress: Progress | None = None,
    on_start: Starting | None = None,
    clock: Clock = utc_now,
) -> IngestReport:
    """The Home Office police recorded crime PFA open data table."""
    return ingest_files(
        store, paths, source=home_office.SOURCE, planner=home_office.plan,
        on_progress=on_progress, on_start=on_start, clock=clock,
    )  # fmt: skip


def ingest_table(
    store: Store,
    paths: Sequence[str | Path],
    *,
    mapping_path: Path,
    on_progress: Progress | None = None,
    on_start: Starting | None = None,
    clock: Clock = utc_now,
) -> IngestReport:
    """A force's own CSV / Parquet / XLSX export for a canonical table, through a column mapping."""
    mapping = mapped.load_mapping(mapping_path)
    return ingest_files(
        store,
        paths,
        source=mapped.SOURCE,
        planner=lambda con, f: mapped.plan(con, f, mapping),
        suffixes=(".csv", ".parquet", ".xlsx"),
        fingerprint=mapped.fingerprint(mapping),
        period=mapping.period.months() if mapping.period else None,
        on_progress=on_progress,
        on_start=on_start,
        clock=clock,
    )
