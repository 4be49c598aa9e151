"""Results for the dashboard: computed once per (store state, framework, force, month), cached,
and recomputed after an ingest changes the store. The store is opened read-only, briefly, per
request, so an ingest can run while the dashboard is up.

While an ingest holds the store (DuckDB lets one process write, and then no other may open the
file), the dashboard keeps serving the results of the last state it read, and says so
(`updating`). A page that was never computed waits a moment for the store, then answers 503
"store updating"; it never fails with a traceback.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from policeperf.engine import evaluate
from policeperf.errors import PolicePerfError, StoreError
from policeperf.framework import Framework, load_framework
from policeperf.store import Store
from policeperf.store.database import store_state
from policeperf.store.schema import RECORD_TABLES
from policeperf.web.cache import BoundedCache
from policeperf.web.settings import Settings

MAX_EVALUATIONS = 2
"""Evaluations running at once (one per core on the reference machine); more only share the
CPU and multiply the memory of their working sets."""

STORE_WAIT_S = 3.0
"""How long a request with nothing cached waits for an ingest to release the store."""


class StoreBusy(PolicePerfError):
    """The store is being written (an ingest) and nothing consistent is cached for this page."""


class ResultsService:
    """The one source of results for the dashboard.

    Args:
        settings: the dashboard's settings (store, framework, force, cache budget).
        today: the clock for "the latest month".
        evaluate: the engine's `evaluate`; injectable so tests can count evaluations.
        store_wait_s: how long a cold request waits for the store to be free.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        today: Callable[[], date] = date.today,
        evaluate: Callable[..., pd.DataFrame] = evaluate,
        store_wait_s: float = STORE_WAIT_S,
    ) -> None:
        self.settings = settings
        self.framework: Framework = load_framework(settings.framework)
        self._today = today
        self._evaluate = evaluate
        self._store_wait_s = store_wait_s
        self._lock = threading.Lock()
        self._evaluations = threading.BoundedSemaphore(MAX_EVALUATIONS)
        self.cache = BoundedCache(settings.cache_mb * 1024 * 1024)
        self._state: str | None = None
        self._fingerprint_seen: tuple[int, ...] = ()
        self.updating = False
        """True while the store is held by a writer and the last state read is being served."""

    @contextmanager
    def open_store(self, *, wait_s: float | None = None) -> Iterator[Store]:
        """The store read-only, waiting up to `wait_s` for a writer to finish.

        Raises:
            StoreBusy: still held by a writer (or unreadable) after the wait.
        """
        deadline = time.monotonic() + (self._store_wait_s if wait_s is None else wait_s)
        pause = 0.05
        while True:
            try:
                db = Store(self.settings.store, read_only=True)
                break
            except StoreError:
                if time.monotonic() + pause > deadline:
                    raise StoreBusy(
                        "the store is being updated (an ingest is running); try again in a moment"
                    ) from None
                time.sleep(pause)
                pause = min(pause * 2, 0.5)
        with db:
            yield db

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
        """The store's state now; a change drops every cached result. While a writer holds the
        store, the last state read (and so everything cached for it) is kept."""
        fingerprint = self._fingerprint()
        with self._lock:
            if fingerprint == self._fingerprint_seen and self._state is not None:
                return self._state
            known = self._state
        try:
            with self.open_store(wait_s=0 if known is not None else None) as db:
                state = store_state(db)
        except StoreBusy:
            if known is None:
                raise
            self.updating = True
            return known
        with self._lock:
            self._fingerprint_seen = fingerprint
            self.updating = False
            if state != self._state:
                self.cache.clear()
                self._state = state
        return state

    def results(self, month: date | None = None) -> pd.DataFrame:
        """Results for `month` (None: the latest month with data)."""

        def make() -> pd.DataFrame:
            with self._evaluations, self.open_store() as db:
                return self._evaluate(db, self.framework, month or self._latest(db),
                                      force=self.settings.force, profile=self.settings.profile)  # fmt: skip

        frame: pd.DataFrame = self.cache.get_or_make(("results", self.state(), month), make)
        return frame

    def latest_month(self) -> date:
        months = self.months()
        if not months:
            # A data condition, said as one (409), not an index error (500).
            raise PolicePerfError(
                f"no measure of framework {self.framework.name!r} has data in this store for "
                "the force; check the framework's record tables in 'policeperf status'"
            )
        return months[0]

    def months(self) -> list[date]:
        def make() -> list[date]:
            # Only months with data: a month every measure lacks is not offered.
            frame = self.results(None)
            held = frame[(frame["area_level"] == "force") & (frame["status"] != "no_data")]
            return sorted(set(held["month"]), reverse=True)

        return self.memo(("months",), make)  # type: ignore[no-any-return]

    def peek(self, key: tuple[Any, ...]) -> Any | None:
        """A cached value for the current store state, or None (never computes)."""
        return self.cache.get(("extra", self.state(), *key))

    def memo(self, key: tuple[Any, ...], make: Callable[[], Any]) -> Any:
        """Cache anything derived from results (charts, pages, PDFs) for the current store
        state; computed once however many requests ask at the same time."""
        return self.cache.get_or_make(("extra", self.state(), *key), make)

    def _chosen_force(self, held: list[str]) -> str | None:
        """The force asked for (option, else framework), else the store's only force."""
        wanted = self.settings.force or self.framework.force
        return wanted or (held[0] if len(held) == 1 else None)

    def check_force(self) -> str:
        """The force the dashboard shows, checked against the store before serving: a clear line
        now rather than an error on every page."""
        with self.open_store() as db:
            held = _forces_held(db)
        chosen = self._chosen_force(held)
        if chosen is None or chosen not in held:
            what = (
                f"framework {self.framework.name!r} is for {chosen}"
                if chosen
                else f"framework {self.framework.name!r} names no force"
            )
            raise PolicePerfError(
                f"{what}; the store holds data for {', '.join(held) or 'no force'}: choose one with --force"
            )
        return chosen

    def _latest(self, db: Store) -> date:
        """The latest month any table was received for the force (today if none is recorded)."""
        force = self._chosen_force(_forces_held(db))
        sql = f"SELECT max(month) FROM coverage WHERE {OWN_RECORDS}" + (
            " AND force = ?" if force else ""
        )
        latest = db.scalar(sql, [force] if force else [])
        return latest if isinstance(latest, date) else self._today()

    @property
    def force(self) -> str:
        return str(self.results(None).attrs.get("force") or self.framework.force or "")


OWN_RECORDS = "table_name IN (" + ", ".join(f"'{t}'" for t in RECORD_TABLES) + ")"
"""Coverage of the forces' own record tables: the published national tables cover every force
and are not a force's data."""


def _forces_held(db: Store) -> list[str]:
    sql = f"SELECT DISTINCT force FROM coverage WHERE {OWN_RECORDS} ORDER BY 1"
    return [str(r[0]) for r in db.fetchall(sql)]


def check_month(service: ResultsService, text: str | None) -> date | None:
    """A month from the query string, or None for the latest; unknown months are errors."""
    if text is None or text == "":
        return None
    from policeperf.calendar import parse_month

    try:
        month = parse_month(text)
    except ValueError as exc:
        raise PolicePerfError(str(exc)) from None
    if month not in service.months():
        raise LookupError(
            f"no data for {text}: that month was not received for this force (see policeperf status)"
        )
    return month
