"""Dashboard settings, and the rule that keeps it off the network unless protected."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from policeperf.errors import PolicePerfError

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
MIN_TOKEN_LENGTH = 16


@dataclass(frozen=True)
class Settings:
    store: Path
    framework: str = "pcp"
    force: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    token: str | None = None
    """Required on any host but loopback; every request must then carry it."""
    profile: Path | None = None
    """Force profile (areas, populations); None: the force's shipped profile, if any."""


def check_bind(settings: Settings) -> None:
    """Refuse to listen beyond this machine without a token."""
    if settings.host not in LOOPBACK and not settings.token:
        raise PolicePerfError(
            f"refusing to listen on {settings.host} without --token: anyone on the network could read "
            "the figures; use --host 127.0.0.1 or give a token"
        )
    if settings.token is not None and len(settings.token) < MIN_TOKEN_LENGTH:
        raise PolicePerfError(
            f"--token: got {len(settings.token)} characters; expected at least {MIN_TOKEN_LENGTH}"
        )
