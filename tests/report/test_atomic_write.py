"""Report files are written whole or not at all: a temporary file in the target folder renamed
onto the real name, symbolic links refused, an existing report replaced only with --overwrite."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from policeperf.errors import OutputFileError
from policeperf.outfile import replacing, write_text
from policeperf.report.render import write_pdf
from tests.conftest import policeperf

HTML = "<html><body><p>Board report</p></body></html>"


def _full_disk_after(written: bytes):  # type: ignore[no-untyped-def]
    """A stand-in for WeasyPrint's writer that writes part of the file, then finds the disk full."""

    def write_pdf(self: object, target: str | Path, *args: object, **kwargs: object) -> None:
        Path(target).write_bytes(written)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    return write_pdf


def test_a_full_disk_leaves_no_truncated_pdf_under_the_real_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import weasyprint

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", _full_disk_after(b"%PDF-1.7 trunc"))
    target = tmp_path / "pcp-2021-03.pdf"
    with pytest.raises(OutputFileError, match="No space left on device") as raised:
        write_pdf(HTML, target)
    assert "\n" not in str(raised.value)
    assert list(tmp_path.iterdir()) == []  # no truncated file, no temporary left beside it

    target.write_bytes(b"%PDF-1.7 last month's whole report")
    with pytest.raises(OutputFileError):
        write_pdf(HTML, target, overwrite=True)
    assert target.read_bytes() == b"%PDF-1.7 last month's whole report"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


def test_a_symlink_at_the_target_is_refused_and_its_target_left_alone(tmp_path: Path) -> None:
    precious = tmp_path / "precious.txt"
    precious.write_text("do not overwrite")
    link = tmp_path / "out" / "pcp-2021-03.html"
    link.parent.mkdir()
    link.symlink_to(precious)
    for overwrite in (False, True):
        with pytest.raises(OutputFileError, match="is a symbolic link; refusing to write through"):
            write_text(link, "<html>report</html>", overwrite=overwrite)
    assert precious.read_text() == "do not overwrite"
    assert sorted(p.name for p in link.parent.iterdir()) == [link.name]


def test_a_report_is_written_by_rename_with_the_mode_a_plain_file_gets(tmp_path: Path) -> None:
    target = tmp_path / "r.csv"
    seen: list[Path] = []
    with replacing(target) as tmp:
        seen.append(tmp)
        assert tmp.parent == tmp_path and tmp.name.startswith(".r.csv.")
        tmp.write_text("a,b\n")
        assert not target.exists()  # nothing under the real name until the write is whole
    assert target.read_text() == "a,b\n" and not seen[0].exists()
    assert target.stat().st_mode & 0o777 == 0o666 & ~_umask()


def _umask() -> int:
    old = os.umask(0)
    os.umask(old)
    return old


def test_report_refuses_to_replace_an_existing_report_without_overwrite(
    tmp_path: Path, demo_store_path: Path
) -> None:
    args = ("report", "--framework", "pcp", "--month", "2021-03", "--store", str(demo_store_path),
            "--format", "csv", "--out", str(tmp_path))  # fmt: skip
    report = tmp_path / "pcp-2021-03.csv"
    report.write_text("kept")  # last run's report
    again = policeperf(*args, timeout=120)
    assert again.returncode == 1
    assert again.stderr.strip().splitlines() == [
        f"error: {report}: already exists; pass --overwrite to replace it"
    ]
    assert report.read_text() == "kept"
    replaced = policeperf(*args, "--overwrite", timeout=120)
    assert replaced.returncode == 0, replaced.stderr
    assert report.read_text().startswith("measure_id,")
    assert sorted(p.name for p in tmp_path.iterdir()) == [report.name]
