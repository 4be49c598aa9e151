"""Finding input files, unpacking archives, hashing content and checking headers.

Only the header line is read here; rows are parsed by DuckDB's CSV reader (`reader.py`).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import re
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from policeperf.errors import InputFileError

_HEADER_PROBE_BYTES = 64 * 1024


@dataclass(frozen=True)
class InputFile:
    """One file to ingest: where to read it, and how to name it to the user."""

    path: Path
    """A readable file on disk (a temporary copy for archive members)."""
    name: str
    """What messages and the quarantine call it, e.g. `archive.zip!2024-01/2024-01-x-street.csv`."""
    sha256: str


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _is_data_file(path: Path, suffixes: Sequence[str]) -> bool:
    return path.is_file() and not path.name.startswith(".") and path.suffix.lower() in suffixes


@contextmanager
def expand_inputs(
    paths: Sequence[str | Path], suffixes: Sequence[str] = (".csv",)
) -> Iterator[list[InputFile]]:
    """Every data file named by `paths`: files, folders (searched recursively, as in the
    data.police.uk archive layout `YYYY-MM/YYYY-MM-force-kind.csv`) and `.zip` archives.

    Archive members are extracted to a temporary folder that lives as long as the context.
    """
    found: list[InputFile] = []
    with tempfile.TemporaryDirectory(prefix="policeperf-") as tmp:
        for raw in paths:
            path = Path(raw)
            if not path.exists():
                raise InputFileError(path, "no such file or folder")
            candidates = (
                sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
            )
            for candidate in candidates:
                if candidate.suffix.lower() == ".zip":
                    found.extend(_extract_zip(candidate, Path(tmp), suffixes))
                elif _is_data_file(candidate, suffixes) or not path.is_dir():
                    found.append(InputFile(candidate, str(candidate), sha256_of(candidate)))
        yield found


def _extract_zip(archive: Path, tmp: Path, suffixes: Sequence[str]) -> list[InputFile]:
    try:
        zf = zipfile.ZipFile(archive)
    except zipfile.BadZipFile as exc:
        raise InputFileError(archive, "not a readable zip archive") from exc
    out: list[InputFile] = []
    with zf:
        target = tmp / hashlib.sha1(str(archive).encode()).hexdigest()[:12]
        for member in sorted(zf.namelist()):
            inner = Path(member)
            if member.endswith("/") or inner.name.startswith(".") or "__MACOSX" in inner.parts:
                continue
            if inner.suffix.lower() not in suffixes:
                continue
            dest = target / inner
            dest.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(member) as src, dest.open("wb") as dst:
                for chunk in iter(lambda: src.read(1 << 20), b""):
                    dst.write(chunk)
            out.append(InputFile(dest, f"{archive}!{member}", sha256_of(dest)))
    return out


def read_header(path: Path, display: str) -> list[str]:
    """The column names on the first line. Refuses empty, binary and non-UTF-8 files with one line."""
    with path.open("rb") as handle:
        probe = handle.read(_HEADER_PROBE_BYTES)
    if not probe.strip():
        raise InputFileError(display, "empty file; expected a CSV header line")
    first = probe.split(b"\n", 1)[0].rstrip(b"\r")
    if first.startswith(codecs.BOM_UTF8):
        first = first[len(codecs.BOM_UTF8) :]
    if b"\x00" in first:
        raise InputFileError(display, "binary file (NUL bytes); expected CSV text")
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputFileError(display, "header is not UTF-8 text; expected a CSV header") from exc
    return [name.strip() for name in next(csv.reader([text]), [])]


def require_header(path: Path, display: str, expected: Sequence[str], what: str) -> None:
    """Check that the header is exactly `expected` (order and names)."""
    header = read_header(path, display)
    if header != list(expected):
        missing = [c for c in expected if c not in header]
        extra = [c for c in header if c not in expected]
        detail = []
        if missing:
            detail.append("missing " + ", ".join(repr(c) for c in missing))
        if extra:
            detail.append("unexpected " + ", ".join(repr(c) for c in extra))
        if not detail:
            detail.append("columns in a different order")
        raise InputFileError(
            display,
            f"not a {what} file ({'; '.join(detail)}); expected header: {','.join(expected)}",
        )


_POLICE_UK_NAME = re.compile(r"^(\d{4})-(\d{2})-(.+)-(street|outcomes|stop-and-search)\.csv$")


def police_uk_month(name: str) -> date | None:
    """The month a data.police.uk file name says it holds ('2024-03-kent-street.csv')."""
    match = _POLICE_UK_NAME.match(Path(name.split("!")[-1]).name)
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1:
        return None
    return date(int(match.group(1)), int(match.group(2)), 1)


def police_uk_name_parts(name: str) -> tuple[str, str] | None:
    """(force slug, kind) from a data.police.uk file name, or None if it does not follow the form."""
    match = _POLICE_UK_NAME.match(Path(name.split("!")[-1]).name)
    return (match.group(3), match.group(4)) if match else None
