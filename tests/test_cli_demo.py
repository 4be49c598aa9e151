"""The demo's worker process: errors come back as one line, a stop leaves no partial file."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from policeperf.cli import _demo_worker, _in_worker
from policeperf.errors import InputFileError, PolicePerfError
from policeperf.outfile import replacing


def _bad_input() -> None:
    # Its own __init__ takes two arguments, so it cannot be rebuilt from its message alone.
    raise InputFileError("exports/demo-calls.csv", "no header row")


def _bug() -> None:
    raise ZeroDivisionError("a bug in the worker")


def _write_slowly(path: Path) -> None:
    with replacing(path) as tmp:
        tmp.write_text("half")
        time.sleep(60)


def _start_a_thread() -> bool:
    threading.Thread(target=time.sleep, args=(600,), daemon=True).start()
    return True


def test_an_error_the_user_can_act_on_comes_back_from_the_worker_as_its_one_line() -> None:
    with _demo_worker() as pool, pytest.raises(PolicePerfError) as caught:
        pool.apply_async(_in_worker, (_bad_input,)).get(timeout=60)
    assert str(caught.value) == "exports/demo-calls.csv: no header row"


def test_a_bug_in_the_worker_comes_back_with_its_traceback_as_text() -> None:
    with _demo_worker() as pool, pytest.raises(RuntimeError) as caught:
        pool.apply_async(_in_worker, (_bug,)).get(timeout=60)
    assert "ZeroDivisionError: a bug in the worker" in str(caught.value)
    assert "_bug" in str(caught.value)


def test_the_worker_returns_what_the_task_returns() -> None:
    with _demo_worker() as pool:
        assert pool.apply_async(_in_worker, (sum, [1, 2, 3])).get(timeout=60) == 6


def test_leaving_the_block_stops_a_busy_worker_and_no_partial_file_is_left(
    tmp_path: Path,
) -> None:
    target = tmp_path / "report.pdf"
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt), _demo_worker(tmp_path) as pool:
        pool.apply_async(_in_worker, (_write_slowly, target))
        while not list(tmp_path.iterdir()) and time.monotonic() - started < 60:
            time.sleep(0.05)
        assert [p.suffix for p in tmp_path.iterdir()] == [".part"]
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []
    assert time.monotonic() - started < 30


def test_a_worker_waiting_for_work_is_stopped_at_once() -> None:
    started = time.monotonic()
    with _demo_worker() as pool:
        # Threads of its own (as DuckDB's and the chart renderer's) must not keep it alive.
        assert pool.apply_async(_in_worker, (_start_a_thread,)).get(timeout=60)
    assert time.monotonic() - started < 20
