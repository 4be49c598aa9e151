"""Serving the dashboard on a network: bounded connections, request timeouts, bounded logs.

uvicorn alone waits for ever for a request's headers, keeps every connection it accepts, and
logs every malformed request, so a few thousand half-sent requests ("slowloris") use up its file
descriptors while writing hundreds of MB of log. Here:

- a request must arrive whole (headers and any body) within `header_timeout_s` of the
  connection opening or of the previous response, however slowly it trickles in;
- at most `max_connections` are open: a new connection closes the oldest one still waiting for
  its request (a real client sends its request at once, so it is the slow ones that go);
- a connection carries one request at a time, so requests in flight are bounded by the same cap;
  uvicorn's `limit_concurrency` (503 beyond it) is set just above it as a backstop. It is not
  the cap itself because it counts connections still waiting for their request: with it alone, a
  slowloris makes every real request a 503;
- request heads are bounded by `max_header_bytes`;
- the access log is off unless asked for, and all server log lines share a budget of
  `log_lines_per_minute`; what is dropped is counted in the next line written.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import resource
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import h11
import uvicorn
from uvicorn.config import LOGGING_CONFIG
from uvicorn.protocols.http.h11_impl import H11Protocol

FD_RESERVE = 64
"""File descriptors kept free for the store, templates and logs when capping connections; also
the margin of uvicorn's backstop over the cap (shed connections count until their close)."""


@dataclass(frozen=True)
class Limits:
    """How much of the machine the dashboard's server may use, and how long it waits."""

    max_connections: int = 1000
    """Open connections at once (also capped by the process's file descriptor limit)."""
    header_timeout_s: float = 10.0
    """Seconds a client has to send a whole request."""
    backlog: int = 4096
    """Connections the kernel queues before they are accepted (bounded by somaxconn)."""
    keep_alive_s: int = 5
    """Seconds an idle keep-alive connection stays open."""
    max_header_bytes: int = 16 * 1024
    """Largest request head accepted."""
    log_lines_per_minute: int = 60
    """Server log lines written per minute, at most; the rest are counted, not written."""
    access_log: bool = False
    """One line per request (within the log budget)."""

    def connection_cap(self) -> int:
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft == resource.RLIM_INFINITY:
            return self.max_connections
        return max(1, min(self.max_connections, soft - FD_RESERVE))


def guarded_protocol(limits: Limits) -> type[H11Protocol]:
    """uvicorn's h11 protocol with a whole-request timeout and a connection cap that sheds the
    oldest connection still waiting for its request. The waiting list belongs to one server."""
    cap = limits.connection_cap()
    waiting: OrderedDict[GuardedH11Protocol, None] = OrderedDict()

    class GuardedH11Protocol(H11Protocol):
        _request_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if len(self.connections) > cap:
                self._shed()
            self._await_request()

        def data_received(self, data: bytes) -> None:
            if self not in waiting and self.conn.their_state is h11.IDLE:
                self._await_request()  # the next request on a keep-alive connection
            super().data_received(data)
            if self.conn.their_state is not h11.IDLE and self.conn.their_state is not h11.SEND_BODY:
                self._request_arrived()

        def connection_lost(self, exc: Exception | None) -> None:
            self._request_arrived()
            super().connection_lost(exc)

        def _await_request(self) -> None:
            waiting[self] = None
            if self._request_timer is None:
                self._request_timer = self.loop.call_later(
                    limits.header_timeout_s, self._request_too_slow
                )

        def _request_arrived(self) -> None:
            waiting.pop(self, None)
            if self._request_timer is not None:
                self._request_timer.cancel()
                self._request_timer = None

        def _request_too_slow(self) -> None:
            self._request_timer = None
            waiting.pop(self, None)
            if not self.transport.is_closing():
                self.transport.close()

        def _shed(self) -> None:
            oldest = next(iter(waiting), None)
            victim = oldest if oldest is not None else self
            victim._request_arrived()
            # Out of the count now, not when the close completes: uvicorn's backstop counts
            # these, and a burst of new connections must not make real requests 503s.
            victim.connections.discard(victim)
            if not victim.transport.is_closing():
                victim.transport.close()

    return GuardedH11Protocol


class LogBudget(logging.Filter):
    """At most `lines` log records per `per_s` seconds pass; the rest are counted and the count
    is written at the head of the next record that passes."""

    def __init__(
        self, lines: int = 60, per_s: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__()
        self.lines = lines
        self.per_s = per_s
        self.clock = clock
        self._window_start = clock()
        self._passed = 0
        self.dropped = 0

    def filter(self, record: logging.LogRecord) -> bool:
        now = self.clock()
        if now - self._window_start >= self.per_s:
            self._window_start, self._passed = now, 0
        if self._passed >= self.lines:
            self.dropped += 1
            return False
        self._passed += 1
        if self.dropped:
            record.msg = f"({self.dropped:,} log lines dropped over the budget) {record.msg}"
            self.dropped = 0
        return True


def log_config(limits: Limits) -> dict[str, Any]:
    """uvicorn's logging configuration with the log budget on every handler."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {
        "budget": {"()": LogBudget, "lines": limits.log_lines_per_minute, "per_s": 60.0}
    }
    for handler in config["handlers"].values():
        handler["filters"] = ["budget"]
    return config


def server_config(
    app: Any, *, host: str, port: int, limits: Limits | None = None
) -> uvicorn.Config:
    """The uvicorn configuration the dashboard is served with (`policeperf serve`)."""
    limits = limits or Limits()
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=guarded_protocol(limits),
        limit_concurrency=limits.connection_cap() + FD_RESERVE,
        backlog=limits.backlog,
        timeout_keep_alive=limits.keep_alive_s,
        h11_max_incomplete_event_size=limits.max_header_bytes,
        access_log=limits.access_log,
        log_config=log_config(limits),
        log_level="info" if limits.access_log else "warning",
        server_header=False,
    )
