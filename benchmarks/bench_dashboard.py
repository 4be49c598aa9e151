"""Dashboard latency: the overview and a measure page under 20 concurrent clients on loopback,
after warm-up (results, charts and pages cached). A real `policeperf serve` process; the load
comes from `wrk` (20 connections, 2 threads, 10 s per page) in a second process, which reports
the 95th percentile latency. Clients written in Python would measure their own GIL instead."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from benchmarks.harness import WORK, Result
from benchmarks.national import demo_store

CLIENTS = 20
PORT = 8765
PAGES = ("/", "/measures/dwelling_burglary_crime")


def run() -> Result:
    store = demo_store()
    server = subprocess.Popen(
        [sys.executable, "-m", "policeperf", "serve", "--store", str(store), "--port", str(PORT)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{PORT}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                httpx.get(base + "/healthz", timeout=1)
                break
            except httpx.HTTPError:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        for page in PAGES:  # warm-up: compute and cache results and charts
            httpx.get(base + page, timeout=120).raise_for_status()

        per_page = {page: wrk(base + page) for page in PAGES}
    finally:
        server.terminate()
        server.wait(timeout=10)
    p95 = max(r["p95_ms"] for r in per_page.values())
    return Result(
        name="dashboard_latency",
        description=__doc__ or "",
        metric="p95 latency (ms), 20 concurrent clients, worst page",
        value=p95,
        target="<= 100 ms",
        passed=p95 <= 100,
        command="python -m benchmarks.run dashboard",
        details={page: r for page, r in per_page.items()},
    )


WRK_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %.3f %.3f %.3f %.3f\\n", summary.requests, summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000, summary.duration / 1e6))
end
"""


def wrk(url: str) -> dict[str, float]:
    """20 connections for 10 seconds; latencies in milliseconds."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed; run scripts/install-system-deps.sh")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(WRK_SCRIPT)
    done = subprocess.run(["wrk", "-t2", f"-c{CLIENTS}", "-d10s", "-s", handle.name, url],
                          capture_output=True, text=True, check=True)  # fmt: skip
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT"))
    requests, errors, p50, p95, p99, seconds = (float(v) for v in line.split()[1:])
    return {"requests": requests, "errors": errors, "p50_ms": round(p50, 1), "p95_ms": round(p95, 1),
            "p99_ms": round(p99, 1), "requests_per_s": round(requests / seconds, 1)}  # fmt: skip


LOAD_PORT = 8766
COLD_CLIENTS = 50
COLD_MONTHS = [f"2021-{m:02d}" for m in range(4, 13)] + ["2022-01", "2022-02", "2022-03"]
SLOWLORIS_CONNECTIONS = 10_000
SLOWLORIS_S = 40.0
TOKEN = "benchmark-token-0123456789"
RSS_LIMIT_GB = 1.0


def run_load() -> Result:
    """50 clients on a cold cache, then a 10,000-connection slowloris, against a real
    `policeperf serve` on 127.0.0.1 with a token; authenticated requests are timed throughout
    and the server's resident memory is sampled."""
    store = demo_store()
    WORK.mkdir(exist_ok=True)
    log_path = WORK / "dashboard-load-server.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "policeperf", "serve", "--store", str(store), "--port", str(LOAD_PORT)],
            stdout=log, stderr=log, env={**os.environ, "POLICEPERF_TOKEN": TOKEN},
        )  # fmt: skip
        memory = RssSampler(server.pid)
        base = f"http://127.0.0.1:{LOAD_PORT}"
        auth = {"Authorization": f"Bearer {TOKEN}"}
        try:
            _wait_until_up(base, auth)
            memory.start()
            cold = _cold_clients(base, auth)
            cold["server peak RSS after (GB)"] = round(memory.peak_gb, 3)
            attack = _slowloris_with_probes(base, auth)
        finally:
            memory.stop()
            server.terminate()
            server.wait(timeout=30)
    log_bytes = log_path.stat().st_size
    peak = memory.peak_gb
    answered = cold["ok"] == COLD_CLIENTS and attack["probe_failures"] == 0
    return Result(
        name="dashboard_load",
        description=(run_load.__doc__ or "").replace("\n    ", " "),
        metric="server peak RSS (GB): 50 cold clients, then a 10,000-connection slowloris",
        value=peak,
        target=f"< {RSS_LIMIT_GB:g} GB, every authenticated request answered",
        passed=peak < RSS_LIMIT_GB and answered,
        command="python -m benchmarks.run dashboard-load",
        details={"cold cache": cold, "slowloris": attack, "server log bytes": log_bytes,
                 "server peak RSS (GB)": round(peak, 3)},
    )  # fmt: skip


def _wait_until_up(base: str, auth: dict[str, str]) -> None:
    deadline = time.time() + 60
    while True:
        try:
            httpx.get(base + "/healthz", headers=auth, timeout=1)
            return
        except httpx.HTTPError:
            if time.time() > deadline:
                raise
            time.sleep(0.2)


def _cold_clients(base: str, auth: dict[str, str]) -> dict[str, Any]:
    """50 clients at once on a cold cache, over 12 months (so 12 evaluations are due)."""
    start = threading.Barrier(COLD_CLIENTS)

    def visit(i: int) -> tuple[int, float]:
        start.wait()
        began = time.perf_counter()
        try:
            status = httpx.get(f"{base}/?month={COLD_MONTHS[i % len(COLD_MONTHS)]}",
                               headers=auth, timeout=120).status_code  # fmt: skip
        except httpx.HTTPError:
            status = 0
        return status, time.perf_counter() - began

    began = time.perf_counter()
    with ThreadPoolExecutor(COLD_CLIENTS) as pool:
        answers = list(pool.map(visit, range(COLD_CLIENTS)))
    seconds = [s for _, s in answers]
    return {"clients": COLD_CLIENTS, "months": len(COLD_MONTHS),
            "ok": sum(status == 200 for status, _ in answers),
            "statuses": sorted({status for status, _ in answers}),
            "slowest_s": round(max(seconds), 1), "median_s": round(statistics.median(seconds), 1),
            "all_answered_s": round(time.perf_counter() - began, 1)}  # fmt: skip


def _slowloris_with_probes(base: str, auth: dict[str, str]) -> dict[str, Any]:
    """The attack in its own process; meanwhile one authenticated request every half second
    (cached pages and the API)."""
    attacker = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.slowloris", str(LOAD_PORT), str(SLOWLORIS_CONNECTIONS), str(SLOWLORIS_S)],
        stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parent.parent,
    )  # fmt: skip
    time.sleep(5)  # let it open its connections
    latencies: list[float] = []
    failures: dict[str, int] = {}
    probes = ["/", "/api/months", "/measures/dwelling_burglary_crime"]
    with httpx.Client(headers=auth, timeout=10) as client:
        k = 0
        while attacker.poll() is None:
            began = time.perf_counter()
            try:
                status = client.get(base + probes[k % len(probes)]).status_code
                failure = None if status == 200 else f"HTTP {status}"
            except httpx.HTTPError as exc:
                failure = type(exc).__name__
            latencies.append(time.perf_counter() - began)
            if failure is not None:
                failures[failure] = failures.get(failure, 0) + 1
            k += 1
            time.sleep(0.5)
    stats = json.loads((attacker.stdout.read() if attacker.stdout else "") or "{}")
    latencies.sort()
    return {**stats, "probes": len(latencies), "probe_failures": sum(failures.values()),
            "probe_failure_kinds": failures,
            "probe_p50_ms": round(1000 * latencies[len(latencies) // 2], 1),
            "probe_p95_ms": round(1000 * latencies[int(len(latencies) * 0.95)], 1),
            "probe_max_ms": round(1000 * latencies[-1], 1)}  # fmt: skip


class RssSampler:
    """The resident memory of a process, sampled every 0.2 s from /proc; keeps the peak."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_gb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            try:
                status = Path(f"/proc/{self.pid}/status").read_text()
            except OSError:
                return
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    self.peak_gb = max(self.peak_gb, int(line.split()[1]) / 1024 / 1024)


PAGES_PORT = 8767
COLD_WARM_PAGES = (
    "/",
    "/measures/dwelling_burglary_crime",
    "/harm",
    "/download/results.xlsx",
)
WARM_REPEAT = 5


def run_pages() -> Result:
    """Each dashboard page as one user meets it, against a fresh `policeperf serve` process:
    the server's start until it answers, each page's first (cold) request, which evaluates and
    draws, then the median of the next requests (warm, from the cache). One client at a time."""
    store = demo_store()
    began = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "policeperf", "serve", "--store", str(store), "--port", str(PAGES_PORT)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{PAGES_PORT}"
    pages: dict[str, dict[str, Any]] = {}
    try:
        _wait_until_up(base, {})
        up_s = time.perf_counter() - began
        for page in COLD_WARM_PAGES:
            times = []
            for _ in range(1 + WARM_REPEAT):
                start = time.perf_counter()
                status = httpx.get(base + page, timeout=300).status_code
                times.append(time.perf_counter() - start)
            pages[page] = {"status": status, "cold_s": round(times[0], 3),
                           "warm_median_ms": round(1000 * statistics.median(times[1:]), 1)}  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=30)
    first = pages[COLD_WARM_PAGES[0]]["cold_s"]
    ok = all(p["status"] == 200 for p in pages.values())
    return Result(
        name="dashboard_pages",
        description=(run_pages.__doc__ or "").replace("\n    ", " "),
        metric="seconds to the first page of a fresh server (start + cold overview)",
        value=up_s + first,
        target="every page answered; cold and warm reported per page",
        passed=ok,
        command="python -m benchmarks.run dashboard-pages",
        details={"server up (s)": round(up_s, 3), **pages},
    )
