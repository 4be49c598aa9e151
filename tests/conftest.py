"""Shared fixtures: real bundled data, fresh stores, and one demo store per test session."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from policeperf.store import Store
from policeperf.synth import ingest_demo, write_demo_exports

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
CAMBS_2024 = DATA / "police-uk" / "cambridgeshire-2024.zip"
CAMBS_2018_2020 = DATA / "police-uk" / "cambridgeshire-2018-2020.zip"
HOME_OFFICE = DATA / "home-office" / "prc-pfa-2017-18.zip"
TEST_OUTPUT = ROOT / "test-output"


def policeperf(
    *args: str, cwd: Path | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """The CLI run as a user runs it: a new process, its exit code, stdout and stderr."""
    return subprocess.run(
        [sys.executable, "-m", "policeperf", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
    )


@pytest.fixture(scope="session", autouse=True)
def query_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Compiled queries are kept for the test session (CLI runs included), never in the user's
    own cache folder."""
    folder = tmp_path_factory.mktemp("query-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("POLICEPERF_CACHE", str(folder))
        yield folder


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "store.duckdb") as db:
        yield db


@pytest.fixture(scope="session")
def cambs_2024_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled 2024 archive unpacked, in the data.police.uk layout."""
    target = tmp_path_factory.mktemp("cambs2024")
    with zipfile.ZipFile(CAMBS_2024) as zf:
        zf.extractall(target)
    return target


@pytest.fixture(scope="session")
def demo_exports(tmp_path_factory: pytest.TempPathFactory) -> list:
    return write_demo_exports(tmp_path_factory.mktemp("demo-exports"))


@pytest.fixture(scope="session")
def demo_store_path(tmp_path_factory: pytest.TempPathFactory, demo_exports: list) -> Path:
    """A store holding the demo force, built once per session; open it read-only in tests."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    with Store(path) as db:
        ingest_demo(db, demo_exports)
    return path


@pytest.fixture
def demo_store(demo_store_path: Path) -> Iterator[Store]:
    with Store(demo_store_path, read_only=True) as db:
        yield db


def read_zip_csv_rows(archive: Path, suffix: str) -> list[dict[str, str]]:
    """Rows of every member ending `suffix`, read with Python's csv module (independent of
    policeperf's reader), for cross-checks."""
    rows: list[dict[str, str]] = []
    with zipfile.ZipFile(archive) as zf:
        for name in sorted(zf.namelist()):
            if name.endswith(suffix):
                text = zf.read(name).decode("utf-8-sig")
                rows.extend(csv.DictReader(io.StringIO(text)))
    return rows


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's Chromium, installed by the project's script when missing (no browser download)."""
    import shutil
    import subprocess

    if not Path(CHROMIUM).exists() or shutil.which("pdftoppm") is None:
        subprocess.run(["bash", str(ROOT / "scripts" / "install-system-deps.sh")], check=True)
    return CHROMIUM


@pytest.fixture(scope="session")
def test_output() -> Path:
    TEST_OUTPUT.mkdir(exist_ok=True)
    return TEST_OUTPUT
