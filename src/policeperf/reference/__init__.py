"""Reference data: versioned files with their sources, and their loaders."""

from policeperf.reference.loaders import (
    OutcomeSet,
    ReferenceTable,
    catalogue,
    load_table,
    outcome_sets,
    reference_file,
)

__all__ = [
    "OutcomeSet",
    "ReferenceTable",
    "catalogue",
    "load_table",
    "outcome_sets",
    "reference_file",
]
