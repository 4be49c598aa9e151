"""Results for the dashboard: computed once per (store state, framework, force, month), cached,
and recomputed after an ingest changes the store. The store is opened read-only, briefly, per
request, so an ingest can run while the dashboard is up."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from policeperf.engine import evaluate
from policeperf.errors import PolicePerfError
from policeperf.framework import Framework, load_framework
from policeperf.store import Store
from policeperf.store.database import store_state
from policeperf.web.settings import Settings


class ResultsService:
    def __init__(self, settings: Settings, *, today: Callable[[], date] = date.today) -> None:
        self.settings = settings
        self.framework: Framework = load_framework(settings.framework)
        self._today = today
        self._lock = threading.Lock()
        self._results: dict[tuple[str, date | None], pd.DataFrame] = {}
        self._extras: dict[tuple[Any, ...], Any] = {}
        self._state: str | None = None
        self._fingerprint_seen: tuple[int, ...] = ()

    def _open(self) -> Store:
        return Store(self.settings.store, read_only=True)

    def _fingerprint(self) -> tuple[int, ...]:
        """Size and modification time of the store and its write-ahead log: cheap to read on
        every request, and changed by any ingest."""
        out: list[int] = []
        for path in (self.settings.store, Path(f"{self.settings.store}.wal")):
            try:
                st = path.stat()
                out += [st.st_size, st.st_mtime_ns]
            except FileNotFoundError:
                out += [-1, -1]
        return tuple(out)

    def state(self) -> str:
        """The store's state now; a change drops every cached result."""
        fingerprint = self._fingerprint()
        with self._lock:
            if fingerprint == self._fingerprint_seen and self._state is not None:
                return self._state
        with self._open() as db:
            state = store_state(db)
        with self._lock:
            self._fingerprint_seen = fingerprint
            if state != self._state:
                self._results.clear()
                self._extras.clear()
                self._state = state
        return state

    def results(self, month: date | None = None) -> pd.DataFrame:
        """Results for `month` (None: the latest month with data)."""
        state = self.state()
        key = (state, month)
        with self._lock:
            cached = self._results.get(key)
        if cached is not None:
            return cached
        with self._open() as db:
            frame = evaluate(db, self.framework, month or self._latest(db), force=self.settings.force,
                             profile=self.settings.profile)  # fmt: skip
        with self._lock:
            self._results[key] = frame
        return frame

    def latest_month(self) -> date:
        return self.months()[0]

    def months(self) -> list[date]:
        def make() -> list[date]:
            # Only months with data: a month every measure lacks is not offered.
            frame = self.results(None)
            held = frame[(frame["area_level"] == "force") & (frame["status"] != "no_data")]
            return sorted(set(held["month"]), reverse=True)

        return self.memo(("months",), make)  # type: ignore[no-any-return]

    def peek(self, key: tuple[Any, ...]) -> Any | None:
        """A cached value for the current store state, or None (never computes)."""
        full = (self.state(), *key)
        with self._lock:
            return self._extras.get(full)

    def memo(self, key: tuple[Any, ...], make: Callable[[], Any]) -> Any:
        """Cache anything derived from results (charts, PDFs) for the current store state."""
        full = (self.state(), *key)
        with self._lock:
            if full in self._extras:
                return self._extras[full]
        value = make()
        with self._lock:
            self._extras[full] = value
        return value

    def check_force(self) -> str:
        """The force the dashboard shows, checked against the store before serving: a clear line
        now rather than an error on every page."""
        with self._open() as db:
            held = [
                str(r[0]) for r in db.fetchall("SELECT DISTINCT force FROM coverage ORDER BY 1")
            ]
        wanted = self.settings.force or self.framework.force
        if wanted is None and len(held) == 1:
            return held[0]
        if wanted is None or wanted not in held:
            what = (
                f"framework {self.framework.name!r} is for {wanted}"
                if wanted
                else (f"framework {self.framework.name!r} names no force")
            )
            raise PolicePerfError(
                f"{what}; the store holds data for {', '.join(held) or 'no force'}: choose one with --force"
            )
        return wanted

    def _latest(self, db: Store) -> date:
        """The latest month any table was received for the force (today if none is recorded)."""
        force = self.settings.force or self.framework.force
        if force is None:
            held = db.fetchall("SELECT DISTINCT force FROM coverage")
            force = str(held[0][0]) if len(held) == 1 else None
        sql = "SELECT max(month) FROM coverage" + (" WHERE force = ?" if force else "")
        latest = db.scalar(sql, [force] if force else [])
        return latest if isinstance(latest, date) else self._today()

    @property
    def force(self) -> str:
        return str(self.results(None).attrs.get("force") or self.framework.force or "")


def check_month(service: ResultsService, text: str | None) -> date | None:
    """A month from the query string, or None for the latest; unknown months are errors."""
    if text is None or text == "":
        return None
    from policeperf.engine.calendar import parse_month

    try:
        month = parse_month(text)
    except ValueError as exc:
        raise PolicePerfError(str(exc)) from None
    if month not in service.months():
        raise LookupError(f"no results for {text}")
    return month
