"""The exceptions policeperf raises.

Every error a user can fix is a `PolicePerfError` whose message is one line: where, what, and what
was expected. The command line prints that line and exits 1; it never shows a traceback for them.
`failure()` is the one place that also gives a line and an exit code to what the system raises
(a full disk, Ctrl+C): 1 for a problem the user can fix, 130 for an interruption.
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


INTERRUPTED = 130
"""Exit code after Ctrl+C (128 + SIGINT), as shells expect."""
INTERRUPTED_LINE = "interrupted; nothing half-done was kept"
"""What an interrupted command says: an ingest rolled back, a report never half-written."""


def failure(exc: BaseException) -> tuple[int, str] | None:
    """(exit code, one line) for an exception the user can act on, or None for a bug."""
    if isinstance(exc, PolicePerfError):
        return 1, str(exc)
    if isinstance(exc, KeyboardInterrupt):
        return INTERRUPTED, INTERRUPTED_LINE
    if isinstance(exc, OSError) and exc.strerror:
        where = exc.filename if exc.filename is not None else "a file"
        return 1, f"{where}: {exc.strerror}"
    return None


class MissingExtra(PolicePerfError):
    """A feature needs an optional part of policeperf that is not installed."""


def need_extra(module: str, feature: str, extra: str) -> None:
    """Check that `module` imports, else say in one line which extra installs it: the core
    install leaves out the PDF renderer, the dashboard's server and Spark.

    Raises:
        MissingExtra: "PDF output needs the pdf extra: pip install 'policeperf[pdf]'".
    """
    import importlib

    try:
        importlib.import_module(module)
    except ImportError:
        raise MissingExtra(
            f"{feature} needs the {extra} extra: pip install 'policeperf[{extra}]'"
        ) from None
