"""Gzipped inputs: the published national tables ship as `.csv.gz`.

Each `.csv.gz` named directly or found in a folder is unpacked to a temporary `.csv` of the same
name for the ordinary CSV path; the temporary folder goes when the block ends, however it ends.
An input that unpacks to more than `MAX_UNPACKED_BYTES` is refused while it is being written.
"""

from __future__ import annotations

import gzip
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from policeperf.errors import InputFileError

MAX_UNPACKED_BYTES = 4 * 1024**3
"""A gzipped input may unpack to at most this (the outcomes table is ~90 MB unpacked)."""


@contextmanager
def unpacked(paths: Sequence[str | Path]) -> Iterator[list[Path]]:
    """`paths` with every `.csv.gz` (named directly or found in a folder) unpacked to a
    temporary `.csv` of the same name; the published tables ship gzipped."""
    with tempfile.TemporaryDirectory(prefix="policeperf-national-") as tmp:
        out: list[Path] = []
        for raw in paths:
            path = Path(raw)
            if not path.exists():
                raise InputFileError(path, "no such file or folder")
            found = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
            for item in found:
                if item.name.lower().endswith(".gz"):
                    target = Path(tmp) / str(len(out)) / item.name[:-3]
                    target.parent.mkdir()
                    _gunzip(item, target)
                    out.append(target)
                elif not path.is_dir() or item.suffix.lower() in (".csv", ".zip"):
                    out.append(item)
        yield out


def _gunzip(source: Path, target: Path) -> None:
    written = 0
    try:
        with gzip.open(source, "rb") as src, target.open("wb") as dst:
            for chunk in iter(lambda: src.read(1 << 20), b""):
                written += len(chunk)
                if written > MAX_UNPACKED_BYTES:
                    raise InputFileError(
                        source, f"unpacks to more than {MAX_UNPACKED_BYTES // 1024**3} GiB; refused"
                    )
                dst.write(chunk)
    except (OSError, EOFError) as exc:
        raise InputFileError(source, f"cannot be unpacked ({exc}); expected a gzip file") from None
    shutil.copystat(source, target)
