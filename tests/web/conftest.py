"""A running dashboard for browser and network tests: uvicorn configured as `policeperf serve`
configures it, on a free loopback port in a thread; and a TestClient that sends a Host header
the dashboard answers."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient

from policeperf.web import Settings, create_app
from policeperf.web.server import Limits, server_config
from policeperf.web.service import ResultsService


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def client(settings: Settings, service: ResultsService | None = None) -> TestClient:
    """A TestClient addressing the dashboard as a browser on this machine would."""
    return TestClient(create_app(settings, service), base_url=f"http://127.0.0.1:{settings.port}")


class Server:
    def __init__(
        self,
        settings: Settings,
        *,
        service: ResultsService | None = None,
        limits: Limits | None = None,
    ) -> None:
        self.settings = settings
        config = server_config(
            create_app(settings, service), host=settings.host, port=settings.port, limits=limits
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.settings.host}:{self.settings.port}"

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.time() + 30
        while not self.server.started:
            if time.time() > deadline:
                raise RuntimeError("dashboard did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def dashboard(demo_store_path: Path) -> Iterator[Server]:
    with Server(Settings(store=demo_store_path, port=free_port())) as server:
        yield server
