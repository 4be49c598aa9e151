"""Fuzzing the ingest command with mutated real files: the bundled data.police.uk members and the
demo force's mapped exports, with the faults of issue 9 and random byte edits. Whatever the
input, the command exits 0 or 1, a failure is one line on stderr and never a traceback, every
batch balances (and matches the file's lines when nothing merges them), and nothing is written
outside the input, store and temporary folders."""

from __future__ import annotations

import io
import json
import os
import random
import re
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from policeperf.cli import app
from policeperf.ingest.files import TEMP_PREFIX
from policeperf.store import Store
from tests.conftest import CAMBS_2024

runner = CliRunner()
SAMPLE_LINES = 120
"""Lines taken from each real file: enough for every fault, small enough for ~50 runs a minute."""


def _head(data: bytes, lines: int = SAMPLE_LINES) -> bytes:
    return b"".join(io.BytesIO(data).readlines()[: lines + 1])


@pytest.fixture(scope="module")
def samples(demo_exports: list) -> dict[str, tuple[str, bytes, Path | None]]:
    """(file name, bytes, mapping) per kind: the first lines of real files."""
    with zipfile.ZipFile(CAMBS_2024) as zf:
        street = _head(zf.read("2024-10/2024-10-cambridgeshire-street.csv"))
        outcomes = _head(zf.read("2024-10/2024-10-cambridgeshire-outcomes.csv"))
    found: dict[str, tuple[str, bytes, Path | None]] = {
        "street": ("2024-10-cambridgeshire-street.csv", street, None),
        "outcomes": ("2024-10-cambridgeshire-outcomes.csv", outcomes, None),
    }
    for export in demo_exports:
        if export.csv.stem in ("demo-crimes", "demo-outcomes", "demo-calls"):
            found[export.csv.stem] = (
                export.csv.name,
                _head(export.csv.read_bytes()),
                export.mapping,
            )
    return found


def _insert(data: bytes, r: random.Random, what: bytes) -> bytes:
    at = r.randrange(len(data) + 1)
    return data[:at] + what + data[at:]


def _random_edits(data: bytes, r: random.Random) -> bytes:
    alphabet = [b"\x00", b"\xff", b"\n", b"\r", b",", b'"', b"x", b"9", b".", b"-", b"\xe9"]
    out = bytearray(data)
    for _ in range(r.randint(1, 8)):
        at = r.randrange(len(out) + 1)
        choice = r.random()
        if choice < 0.4 and at < len(out):
            out[at : at + 1] = r.choice(alphabet)
        elif choice < 0.8:
            out[at:at] = r.choice(alphabet)
        elif at < len(out):
            del out[at]
    return bytes(out)


def _header_edit(data: bytes, r: random.Random, duplicate: bool) -> bytes:
    header, _, rest = data.partition(b"\n")
    names = header.split(b",")
    i = r.randrange(len(names))
    names[i] = names[(i + 1) % len(names)] if duplicate else b""
    return b",".join(names) + b"\n" + rest


def _replace_number(data: bytes, r: random.Random) -> bytes:
    numbers = list(re.finditer(rb"(?<=,)\"?\d{1,2}\"?(?=,|\r?\n)", data))
    if not numbers:
        return data
    m = r.choice(numbers)
    return data[: m.start()] + r.choice([b"2.5", b"1e1", b"15.9", b"3.5"]) + data[m.end() :]


MUTATIONS: dict[str, Callable[[bytes, random.Random], bytes]] = {
    "none": lambda d, r: d,
    "stray_cr": lambda d, r: _insert(d, r, b"\r"),
    "cr_only": lambda d, r: d.replace(b"\r\n", b"\n").replace(b"\n", b"\r"),
    "crlf": lambda d, r: d.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"),
    "quote": lambda d, r: _insert(d, r, b'"'),
    "two_quotes": lambda d, r: _insert(_insert(d, r, b'"'), r, b'"'),
    "inexact_number": _replace_number,
    "month_0000": lambda d, r: re.sub(rb"20(2[0-9]|1[0-9])-(\d\d)", b"0000-\\2", d, count=1),
    "blank_header": lambda d, r: _header_edit(d, r, duplicate=False),
    "duplicate_header": lambda d, r: _header_edit(d, r, duplicate=True),
    "truncated": lambda d, r: d[: r.randrange(len(d) + 1)],
    "random_bytes": _random_edits,
}
WRAPPERS = ("file", "zip", "zip_slip", "zip_same_name", "zip_twice")


def _write_input(work: Path, name: str, data: bytes, wrapper: str) -> list[str]:
    """The input as the command names it: the file, or an archive holding it."""
    folder = work / "in"
    folder.mkdir()
    if wrapper == "file":
        (folder / name).write_bytes(data)
        return [str(folder / name)]
    archive = folder / "upload.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"2024-10/{name}", data)
        if wrapper == "zip_slip":
            zf.writestr(f"../../escaped-{name}", data)
        if wrapper == "zip_same_name":
            zf.writestr(zipfile.ZipInfo(f"2024-10/{name}"), data[: len(data) // 2])
    return [str(archive)] * (2 if wrapper == "zip_twice" else 1)


def _lines_seen(data: bytes) -> int | None:
    """Data lines a user sees (after the header), when no quote can merge lines; else None.
    Lines end with LF (CRLF), or with CR in a file that has no LF; a CR inside a line of an LF
    file is a stray byte of that line (quarantined as stray_cr)."""
    if b'"' in data:
        return None
    lines = data.split(b"\n") if b"\n" in data else data.split(b"\r")
    return sum(1 for line in lines[1:] if line.strip(b" \t\r"))


def _own_temp_folders() -> list[Path]:
    return list(Path(tempfile.gettempdir()).glob(f"{TEMP_PREFIX}{os.getpid()}-*"))


@settings(
    max_examples=45,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    kind=st.sampled_from(["street", "outcomes", "demo-crimes", "demo-outcomes", "demo-calls"]),
    mutation=st.sampled_from(sorted(MUTATIONS)),
    wrapper=st.sampled_from(WRAPPERS),
    seed=st.integers(0, 2**32 - 1),
)
@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_any_mutated_real_file_exits_0_or_1_with_one_line_and_exact_accounting(
    tmp_path_factory: pytest.TempPathFactory,
    samples: dict[str, tuple[str, bytes, Path | None]],
    kind: str,
    mutation: str,
    wrapper: str,
    seed: int,
) -> None:
    root = tmp_path_factory.mktemp("fuzz")
    work = root / "work"
    work.mkdir()
    name, original, mapping = samples[kind]
    data = MUTATIONS[mutation](original, random.Random(seed))
    paths = _write_input(work, name, data, wrapper)
    store = work / "store.duckdb"
    if mapping is None:
        args = ["ingest", "police-uk", *paths]
    else:
        table = {"demo-crimes": "crimes", "demo-outcomes": "outcomes", "demo-calls": "calls"}[kind]
        args = ["ingest", "table", table, *paths, "--mapping", str(mapping)]
    done = runner.invoke(app, [*args, "--store", str(store), "--json"])

    assert done.exit_code in (0, 1), (done.exit_code, done.stderr, done.exception)
    assert done.exception is None or isinstance(done.exception, SystemExit), done.exception
    assert "Traceback" not in done.stderr
    assert sorted(p.name for p in root.iterdir()) == ["work"]
    assert sorted(p.name for p in work.iterdir() if not p.name.startswith("store.duckdb")) == ["in"]
    assert _own_temp_folders() == []
    assert not list(Path(tempfile.gettempdir()).glob("escaped-*"))
    if done.exit_code == 1:
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert done.stderr.startswith("error: ")
        if store.exists():
            with Store(store, read_only=True) as db:
                assert db.scalar("SELECT count(*) FROM ingest_batches") == 0
        return
    report = json.loads(done.stdout)
    for batch in report["batches"]:
        assert batch["rows_in"] == batch["rows_accepted"] + batch["rows_quarantined"]
    with Store(store, read_only=True) as db:
        stored = db.fetchall("SELECT sum(rows_in), sum(rows_accepted), sum(rows_quarantined) FROM ingest_batches")[0]  # fmt: skip
        assert stored == (report["rows_in"], report["rows_accepted"], report["rows_quarantined"])
        assert db.scalar("SELECT count(*) FROM quarantine") == report["rows_quarantined"]
    seen = _lines_seen(data)
    copies = 2 if wrapper == "zip_same_name" else 1
    if seen is not None and copies == 1:
        assert report["rows_in"] == seen
