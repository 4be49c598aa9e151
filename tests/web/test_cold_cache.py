"""Issue 9 item 12: 50 clients on a cold cache started 50 evaluations (50 of 61 requests timed
out, memory 0.4 -> 3 GB) and the cache never evicted. Now one evaluation per key serves every
waiting request, and the cache is bounded by bytes, least recently used first."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pandas as pd

from policeperf.engine import evaluate
from policeperf.web import Settings
from policeperf.web.cache import BoundedCache
from policeperf.web.service import ResultsService
from tests.web.conftest import Server, free_port

CLIENTS = 50


class CountingEvaluate:
    """The engine's evaluate, counted, and slowed so every client arrives while it runs."""

    def __init__(self) -> None:
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self, *args: Any, **kwargs: Any) -> pd.DataFrame:
        with self._lock:
            self.calls += 1
        time.sleep(0.5)
        return evaluate(*args, **kwargs)


def test_fifty_clients_on_a_cold_cache_share_one_evaluation(demo_store_path: Path) -> None:
    counting = CountingEvaluate()
    settings = Settings(store=demo_store_path, port=free_port())
    service = ResultsService(settings, evaluate=counting)
    with Server(settings, service=service) as server, httpx.Client(timeout=60) as http:
        start = threading.Barrier(CLIENTS)

        def visit(i: int) -> int:
            start.wait()
            return http.get(server.url + "/").status_code

        with ThreadPoolExecutor(CLIENTS) as pool:
            statuses = list(pool.map(visit, range(CLIENTS)))
    assert statuses == [200] * CLIENTS
    assert counting.calls == 1


def test_the_cache_drops_least_recently_used_entries_beyond_its_byte_budget() -> None:
    cache = BoundedCache(1000, size_of=len)
    cache.get_or_make("a", lambda: "a" * 400)
    cache.get_or_make("b", lambda: "b" * 400)
    assert cache.get("a") is not None  # "a" is now the most recently used
    cache.get_or_make("c", lambda: "c" * 400)
    assert cache.get("b") is None and cache.get("a") is not None and cache.get("c") is not None
    assert cache.bytes_used == 800 <= cache.max_bytes
    huge = cache.get_or_make("huge", lambda: "h" * 5000)
    assert len(huge) == 5000 and cache.get("huge") is None  # returned, never kept
    assert cache.bytes_used <= cache.max_bytes


def test_a_failed_computation_reaches_every_waiter_and_is_not_cached() -> None:
    cache = BoundedCache(1000, size_of=len)
    calls: list[int] = []
    gate = threading.Event()

    def fail() -> str:
        calls.append(1)
        gate.wait(5)
        raise LookupError("no results for 1999-01")

    def ask() -> str:
        try:
            return str(cache.get_or_make("k", fail))
        except LookupError as exc:
            return str(exc)

    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(ask) for _ in range(8)]
        time.sleep(0.2)
        gate.set()
        answers = [f.result(timeout=10) for f in futures]
    assert answers == ["no results for 1999-01"] * 8 and len(calls) == 1
    assert cache.get_or_make("k", lambda: "ok") == "ok"


def test_results_for_many_months_stay_within_the_cache_budget(demo_store_path: Path) -> None:
    budget = 64 * 1024 * 1024  # the smallest `serve --cache-mb` allows
    service = ResultsService(Settings(store=demo_store_path, cache_mb=64))
    one = int(service.results(None).memory_usage(deep=True).sum())
    assert 20e6 < one < budget / 2  # about 25 MB a month for the demo force
    for month in service.months()[1:3]:
        service.results(month)
        assert service.cache.bytes_used <= budget
    assert service.cache.get(("results", service.state(), None)) is None  # the oldest went
