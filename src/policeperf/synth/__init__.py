"""The calibrated demo force: "Demo Constabulary", six districts in two areas, April 2016 - March 2022.

Public data has no markers, exact dates, calls, incidents or surveys, so the demo force is
generated. It is written as the CSV exports a force's own systems would produce, and ingested
through the shipped example column mappings, exactly as a real force's exports would be. Seeded
and reproducible; its 2019/20 and 2020/21 figures reproduce a published year-end report.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from policeperf.ingest.run import IngestReport, Progress, Starting, ingest_table
from policeperf.outfile import replacing
from policeperf.store import Store
from policeperf.synth.activities import generate_activities, with_standards
from policeperf.synth.calendar import fy_of
from policeperf.synth.crimes import generate_crimes
from policeperf.synth.people import generate_person_links
from policeperf.synth.services import (
    generate_asb,
    generate_calls,
    generate_incidents,
    generate_investigations,
    generate_stop_searches,
    generate_surveys,
)

DEMO_FORCE = "Demo Constabulary"
DEFAULT_SEED = 2021


@dataclass(frozen=True)
class Export:
    """One generated export file and the mapping that reads it."""

    csv: Path
    mapping: Path


def mapping_path(name: str) -> Path:
    """A shipped example mapping, e.g. `demo-crimes`."""
    return Path(str(resources.files("policeperf.ingest").joinpath("mappings", f"{name}.yaml")))


def write_demo_exports(out_dir: Path, *, seed: int = DEFAULT_SEED) -> list[Export]:
    """Generate the demo force and write its exports (CSV) into `out_dir`."""
    rng = np.random.default_rng(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    records = generate_crimes(rng)
    links, cohort = generate_person_links(rng, records, records.outcome_type)
    # The managed cohort is an input to `policeperf harm cohort`, not a canonical table.
    _write_csv(cohort, out_dir / "demo-cohort.csv")
    tables: dict[str, pa.Table] = {
        "crimes": records.crimes,
        "outcomes": records.outcomes,
        "person-links": links,
        "investigations": generate_investigations(
            rng, records.crimes.column("CRIME_REF"), records.recorded
        ),
        "incidents": generate_incidents(rng),
        "calls": generate_calls(rng),
        "survey": generate_surveys(rng),
        "asb": generate_asb(rng),
        "stop-searches": generate_stop_searches(rng),
    }
    # Tables added since the calibration draw from their own stream, after the others.
    extra = np.random.default_rng((seed, 1))
    tables["investigations"] = with_standards(
        extra, tables["investigations"], records.crimes, fy_of(records.recorded)
    )
    tables["activities"] = generate_activities(extra)
    exports = []
    for name, table in tables.items():
        path = out_dir / f"demo-{name}.csv"
        _write_csv(table, path)
        exports.append(Export(path, mapping_path(f"demo-{name}")))
    return exports


def _write_csv(table: pa.Table, path: Path) -> None:
    """Whole or not at all; the demo's own files are regenerated in place."""
    with replacing(path, overwrite=True) as tmp:
        pacsv.write_csv(table, tmp)


def ingest_demo(
    store: Store,
    exports: list[Export],
    *,
    on_progress: Progress | None = None,
    on_start: Starting | None = None,
) -> IngestReport:
    """Ingest generated exports through their mappings; returns every batch."""
    report = IngestReport()
    for export in exports:
        part = ingest_table(
            store,
            [export.csv],
            mapping_path=export.mapping,
            on_progress=on_progress,
            on_start=on_start,
        )
        report.batches.extend(part.batches)
    return report
