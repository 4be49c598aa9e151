"""Dashboard settings, and the rules that keep it off the network unless protected."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from policeperf.errors import PolicePerfError
from policeperf.web.cache import DEFAULT_CACHE_MB

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
MIN_TOKEN_LENGTH = 16
"""Non-space characters a token needs: 16 random characters are beyond guessing online."""
TOKEN_ENV = "POLICEPERF_TOKEN"
TOKEN_SOURCES = f"--token-file FILE or ${TOKEN_ENV}"


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
    allowed_hosts: tuple[str, ...] = ()
    """Host header names accepted besides the loopback names (`--allowed-host`); an entry
    without a port matches with or without the dashboard's port."""
    cache_mb: int = DEFAULT_CACHE_MB
    """The results and page cache's budget in MB (least recently used dropped beyond it)."""


def check_bind(settings: Settings) -> None:
    """Refuse to listen beyond this machine without a token, and refuse weak tokens."""
    if settings.host not in LOOPBACK and not settings.token:
        raise PolicePerfError(
            f"refusing to listen on {settings.host} without a token ({TOKEN_SOURCES}): anyone "
            "on the network could read the figures; use --host 127.0.0.1 or give a token"
        )
    if settings.token is not None:
        check_token(settings.token)


def check_token(token: str) -> None:
    """A token of whitespace, or with fewer than 16 non-space characters, is refused."""
    solid = len("".join(token.split()))
    if solid < MIN_TOKEN_LENGTH:
        raise PolicePerfError(
            f"token: got {solid} non-space characters; expected at least {MIN_TOKEN_LENGTH}"
        )


def read_token(token_file: Path | None, environ: Mapping[str, str] | None = None) -> str | None:
    """The token from `--token-file` (surrounding whitespace and the final newline dropped),
    else from `$POLICEPERF_TOKEN`, else None. Never from the command line, where `ps` shows it.
    """
    if token_file is not None:
        try:
            text = token_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            raise PolicePerfError(f"--token-file {token_file}: cannot read ({reason})") from None
        token = text.strip()
        check_token(token)
        return token
    env = os.environ if environ is None else environ
    value = env.get(TOKEN_ENV)
    if value is None:
        return None
    token = value.strip()
    check_token(token)
    return token


def allowed_host_names(settings: Settings) -> frozenset[str]:
    """Every Host header value the dashboard answers: the loopback names with its port, the
    address it listens on (unless a wildcard), and each `--allowed-host`.

    >>> sorted(allowed_host_names(Settings(store=Path("s"), port=8000)))
    ['127.0.0.1:8000', '[::1]:8000', 'localhost:8000']
    """
    port = settings.port
    names = {f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"}
    if settings.host not in ("0.0.0.0", "::", ""):
        names.add(f"{_bracketed(settings.host)}:{port}")
    for entry in settings.allowed_hosts:
        entry = entry.strip().lower()
        if _has_port(entry):
            names.add(entry)
        else:
            names |= {_bracketed(entry), f"{_bracketed(entry)}:{port}"}
    return frozenset(name.lower() for name in names)


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _has_port(entry: str) -> bool:
    if entry.startswith("["):
        return "]:" in entry
    return entry.count(":") == 1
