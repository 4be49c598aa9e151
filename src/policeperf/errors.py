"""The exceptions policeperf raises.

Every error a user can fix is a `PolicePerfError` whose message is one line: where, what, and what
was expected. The command line prints that line and exits 1; it never shows a traceback for them.
"""

from __future__ import annotations


class PolicePerfError(Exception):
    """Base class of every error a user can act on."""


class StoreError(PolicePerfError):
    """The store cannot be opened or is in a state policeperf cannot use."""


class OutputFileError(PolicePerfError):
    """An output file cannot be written whole where it was asked for (exists, symlink, disk full)."""


class InputFileError(PolicePerfError):
    """An input file is not what its source expects (wrong header, binary, empty, unreadable)."""

    def __init__(self, path: object, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class MappingError(PolicePerfError):
    """A column mapping file is invalid."""


class ReferenceDataError(PolicePerfError):
    """A reference data file is missing or inconsistent."""
