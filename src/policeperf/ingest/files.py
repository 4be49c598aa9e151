"""Finding input files, unpacking archives, hashing content and checking headers.

Only the header line is read here; rows are parsed by DuckDB's CSV reader (`reader.py`).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import os
import re
import shutil
import stat
import tempfile
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePosixPath

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


@dataclass(frozen=True)
class ArchiveLimits:
    """How much a zip archive may unpack to. A zip bomb (a few megabytes that expand to
    gigabytes) is stopped while it is being written, not trusted from the sizes it declares."""

    max_total_bytes: int = 20 * 1024**3
    """Uncompressed bytes over every archive of one command (20 GiB: several years of the
    data.police.uk archive for all forces)."""
    max_ratio: int = 100
    """Uncompressed / compressed size of one member. Police CSVs compress 5-15 times."""
    ratio_floor_bytes: int = 1024**2
    """Members smaller than this (1 MiB) are not ratio-checked: tiny files compress oddly."""


DEFAULT_LIMITS = ArchiveLimits()
TEMP_PREFIX = "policeperf-ingest-"
"""Temporary folders are `policeperf-ingest-<pid>-*`, so a later run can remove the folders of a
run that was killed (its process no longer exists)."""
_STALE = re.compile(rf"^{TEMP_PREFIX}(\d+)-")


def remove_stale_folders(root: Path) -> None:
    """Remove the unpacked copies left in `root` by ingests that were killed (kill -9, power)."""
    for folder in root.glob(TEMP_PREFIX + "*"):
        match = _STALE.match(folder.name)
        if match is None or not folder.is_dir():
            continue
        try:
            os.kill(int(match.group(1)), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except (PermissionError, OverflowError):  # another user's process, or no such pid
            continue


@contextmanager
def expand_inputs(
    paths: Sequence[str | Path],
    suffixes: Sequence[str] = (".csv",),
    limits: ArchiveLimits = DEFAULT_LIMITS,
) -> Iterator[list[InputFile]]:
    """Every data file named by `paths`: files, folders (searched recursively, as in the
    data.police.uk archive layout `YYYY-MM/YYYY-MM-force-kind.csv`) and `.zip` archives.

    Archive members are extracted to a temporary folder that is removed when the context ends,
    however it ends. A file or archive named twice (directly or through a folder) is read once.
    """
    found: list[InputFile] = []
    root = Path(tempfile.gettempdir())
    remove_stale_folders(root)
    seen: set[Path] = set()
    budget = _Budget(limits)
    with tempfile.TemporaryDirectory(prefix=f"{TEMP_PREFIX}{os.getpid()}-") as tmp:
        for raw in paths:
            path = Path(raw)
            if not path.exists():
                raise InputFileError(path, "no such file or folder")
            candidates = (
                sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
            )
            for candidate in candidates:
                real = candidate.resolve()
                if real in seen:
                    continue
                seen.add(real)
                if candidate.suffix.lower() == ".zip":
                    target = Path(tmp) / str(len(seen))
                    found.extend(_extract_zip(candidate, target, suffixes, budget))
                elif _is_data_file(candidate, suffixes) or not path.is_dir():
                    found.append(InputFile(candidate, str(candidate), sha256_of(candidate)))
        yield found


@dataclass
class _Budget:
    limits: ArchiveLimits
    used: int = 0


def _member_path(archive: Path, info: zipfile.ZipInfo) -> PurePosixPath:
    """The member's path inside the archive; refuses names that would land outside the
    extraction folder (zip slip) and symbolic links."""
    name = info.filename
    inner = PurePosixPath(name.replace("\\", "/"))
    if inner.is_absolute() or ".." in inner.parts or (inner.parts and ":" in inner.parts[0]):
        raise InputFileError(
            archive, f"member {name!r} points outside the archive folder; refused (zip slip)"
        )
    if stat.S_ISLNK(info.external_attr >> 16):
        raise InputFileError(archive, f"member {name!r} is a symbolic link; refused")
    return inner


def _extract_zip(
    archive: Path, target: Path, suffixes: Sequence[str], budget: _Budget
) -> list[InputFile]:
    """Unpack the data members of `archive` under `target`, each in its own folder, so members
    with the same name stay apart: they are named `archive.zip[1]!name`, `archive.zip[2]!name`."""
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputFileError(archive, "not a readable zip archive") from exc
    out: list[InputFile] = []
    with zf:
        members = []
        for info in zf.infolist():
            inner = _member_path(archive, info)
            if info.is_dir() or inner.name.startswith(".") or "__MACOSX" in inner.parts:
                continue
            if inner.suffix.lower() in suffixes:
                members.append((info, inner))
        members.sort(key=lambda m: m[0].filename)
        counts = Counter(info.filename for info, _ in members)
        seen: Counter[str] = Counter()
        for number, (info, inner) in enumerate(members):
            seen[info.filename] += 1
            dest = target / str(number) / inner.name
            dest.parent.mkdir(parents=True, exist_ok=True)
            _unpack(archive, zf, info, dest, budget)
            tag = f"[{seen[info.filename]}]" if counts[info.filename] > 1 else ""
            out.append(InputFile(dest, f"{archive}{tag}!{info.filename}", sha256_of(dest)))
    return out


def _unpack(
    archive: Path, zf: zipfile.ZipFile, info: zipfile.ZipInfo, dest: Path, budget: _Budget
) -> None:
    limits = budget.limits
    ratio_cap = max(info.compress_size, 1) * limits.max_ratio
    written = 0
    try:
        with zf.open(info) as src, dest.open("wb") as dst:
            for chunk in iter(lambda: src.read(1 << 20), b""):
                written += len(chunk)
                budget.used += len(chunk)
                if written > limits.ratio_floor_bytes and written > ratio_cap:
                    raise InputFileError(
                        archive,
                        f"member {info.filename!r} expands more than {limits.max_ratio} times its "
                        "packed size; refused as a possible zip bomb",
                    )
                if budget.used > limits.max_total_bytes:
                    raise InputFileError(
                        archive,
                        f"archives expand to more than {limits.max_total_bytes / 1024**3:g} GiB; "
                        "refused (ingest them in smaller parts)",
                    )
                dst.write(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError) as exc:
        raise InputFileError(
            archive, f"member {info.filename!r} cannot be unpacked ({exc})"
        ) from exc
    except OSError as exc:
        raise InputFileError(
            archive, f"cannot unpack {info.filename!r} to {dest.parent}: {exc.strerror or exc}"
        ) from exc


def read_header(path: Path, display: str, delimiter: str = ",") -> list[str]:
    """The column names on the first line. Refuses empty, binary and non-UTF-8 files, and blank
    or repeated names, with one line."""
    with path.open("rb") as handle:
        probe = handle.read(_HEADER_PROBE_BYTES)
    if not probe.strip():
        raise InputFileError(display, "empty file; expected a CSV header line")
    first = re.split(rb"\r\n|\n|\r", probe, maxsplit=1)[0]  # LF, CRLF or CR-only lines
    if first.startswith(codecs.BOM_UTF8):
        first = first[len(codecs.BOM_UTF8) :]
    if b"\x00" in first:
        raise InputFileError(display, "binary file (NUL bytes); expected CSV text")
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputFileError(display, "header is not UTF-8 text; expected a CSV header") from exc
    try:
        header = [name.strip() for name in next(csv.reader([text], delimiter=delimiter), [])]
    except csv.Error as exc:
        raise InputFileError(display, f"header line is not CSV ({exc})") from None
    blank = [i + 1 for i, name in enumerate(header) if not name]
    if blank and len(header) > 1:
        raise InputFileError(display, f"header column {blank[0]} has no name; expected a name")
    twice = sorted({name for name in header if header.count(name) > 1})
    if twice:
        raise InputFileError(
            display,
            f"header names {', '.join(repr(n) for n in twice)} more than once; expected each once",
        )
    return header


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
