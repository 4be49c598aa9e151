"""Output files are written whole or not at all.

Every writer of a report, export or results file goes through `replacing`: the content is
written to a temporary file in the target folder, flushed to disk, then renamed onto the real
name. A full disk or a crash mid-write leaves the old file (or nothing) under that name, never a
truncated one. A symbolic link at the target is refused rather than followed, and an existing
file is replaced only when the caller says so (`--overwrite` on the command line).
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from policeperf.errors import OutputFileError

DEFAULT_UMASK = 0o022
"""Used where the process umask cannot be read without changing it (outside Linux)."""


def check_target(path: Path, *, overwrite: bool) -> None:
    """Refuse a target that is a symbolic link, a folder, or (without `overwrite`) a file.

    Raises:
        OutputFileError: one line naming the path and what to do.
    """
    if path.is_symlink():
        raise OutputFileError(
            f"{path}: is a symbolic link; refusing to write through it (remove it or choose "
            "another --out)"
        )
    if path.is_dir():
        raise OutputFileError(f"{path}: is a folder; expected a file name")
    if path.exists() and not overwrite:
        raise OutputFileError(f"{path}: already exists; pass --overwrite to replace it")


@contextmanager
def replacing(path: Path, *, overwrite: bool = False) -> Iterator[Path]:
    """A temporary path next to `path` to write to; renamed onto `path` if the block succeeds.

    Example:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> with replacing(folder / "a.txt") as tmp:
        ...     _ = tmp.write_text("whole")
        >>> (folder / "a.txt").read_text(), sorted(p.name for p in folder.iterdir())
        ('whole', ['a.txt'])

    Raises:
        OutputFileError: the target is refused (see `check_target`) or the write failed (disk
            full, no permission); nothing is left under the real name or beside it.
    """
    check_target(path, overwrite=overwrite)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    except OSError as exc:
        raise _write_error(path, exc) from None
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        _settle(tmp)
        _rename(tmp, path, overwrite=overwrite)
    except OSError as exc:
        raise _write_error(path, exc) from None
    finally:
        tmp.unlink(missing_ok=True)


def write_text(path: Path, text: str, *, overwrite: bool = False) -> Path:
    """Write `text` (UTF-8) to `path` whole or not at all."""
    with replacing(path, overwrite=overwrite) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def _settle(tmp: Path) -> None:
    """Give the file the mode a plain `open()` would have, and flush it to the disk."""
    os.chmod(tmp, 0o666 & ~_umask())
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())


def _rename(tmp: Path, path: Path, *, overwrite: bool) -> None:
    """`os.replace` never follows a link at the target; without `overwrite` a hard link makes
    the no-clobber check and the rename one atomic step where the file system allows it."""
    check_target(path, overwrite=overwrite)  # again: something may have appeared meanwhile
    if overwrite:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise OutputFileError(f"{path}: already exists; pass --overwrite to replace it") from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
            raise
        os.replace(tmp, path)  # no hard links here (e.g. FAT, some network shares)


def _write_error(path: Path, exc: OSError) -> OutputFileError:
    reason = exc.strerror or str(exc)
    return OutputFileError(f"{path}: cannot write ({reason}); nothing was written under that name")


def _umask() -> int:
    """The process umask, read without setting it (`os.umask` would race other threads)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return DEFAULT_UMASK
