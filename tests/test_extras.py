"""The core install (no extras) runs ingest, evaluate and the HTML, XLSX and CSV report; a
feature that needs an extra says in one line which to install. The extras' modules are blocked
here as if they were not installed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from policeperf.errors import MissingExtra, need_extra
from tests.conftest import CAMBS_2024, ROOT

EXTRAS = ("weasyprint", "fastapi", "uvicorn", "starlette", "pyspark", "py4j")
PDF_LINE = "PDF output needs the pdf extra: pip install 'policeperf[pdf]'"


def test_a_missing_module_is_named_by_its_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    need_extra("json", "Anything", "nothing")  # present: no error
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    with pytest.raises(MissingExtra) as caught:
        need_extra("weasyprint", "PDF output", "pdf")
    assert str(caught.value) == PDF_LINE


def test_pdf_and_spark_say_which_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from policeperf.report.render import write_pdf
    from policeperf.store.spark import spark_session

    monkeypatch.setitem(sys.modules, "weasyprint", None)
    monkeypatch.setitem(sys.modules, "pyspark", None)
    with pytest.raises(MissingExtra, match=r"^PDF output needs the pdf extra"):
        write_pdf("<p>x</p>", tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()
    with pytest.raises(MissingExtra) as caught:
        spark_session()
    assert str(caught.value) == (
        "The Spark backend needs the spark extra: pip install 'policeperf[spark]'"
    )


def core_only(tmp_path: Path) -> dict[str, str]:
    """An environment whose Python cannot import any extra's module."""
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(
        "import sys\n" + "".join(f"sys.modules[{m!r}] = None\n" for m in EXTRAS), encoding="utf-8"
    )
    path = [str(blocker), str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in path if p)}


@pytest.mark.slow
def test_the_core_install_ingests_evaluates_and_reports(tmp_path: Path) -> None:
    env = core_only(tmp_path)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "policeperf", *args], capture_output=True,
                              text=True, env=env, timeout=600)  # fmt: skip

    blocked = subprocess.run([sys.executable, "-c", "import weasyprint"], capture_output=True,
                             text=True, env=env)  # fmt: skip
    assert blocked.returncode == 1 and "ModuleNotFoundError" in blocked.stderr
    store = str(tmp_path / "s.duckdb")
    force = ("--force", "Cambridgeshire Constabulary")
    month = ("--framework", "police-uk", "--month", "2024-12", "--store", store)
    done = run("ingest", "police-uk", str(CAMBS_2024), "--store", store)
    assert done.returncode == 0, done.stderr
    done = run("evaluate", *month, *force, "--out", str(tmp_path / "results.csv"))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "results.csv").stat().st_size > 0
    out = tmp_path / "reports"
    done = run("report", *month, *force, "--format", "html,xlsx,csv", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert sorted(p.suffix for p in out.iterdir() if p.name.startswith("police-uk-2024-12.")) == [
        ".csv", ".html", ".xlsx"
    ]  # fmt: skip
    done = run("report", *month, *force, "--format", "pdf", "--out", str(out))
    assert done.returncode == 1 and done.stderr.strip() == f"error: {PDF_LINE}"
    done = run("serve", "--store", store, "--framework", "police-uk")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "error: The dashboard needs the web extra: pip install 'policeperf[web]'"
    )
