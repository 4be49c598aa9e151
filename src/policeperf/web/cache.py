"""The dashboard's cache: least recently used entries evicted by size, one computation per key.

A results table is 12 to 25 MB per month viewed, so an unbounded cache grows with every month a
user clicks through. Entries here are counted by their estimated size in bytes and the least
recently used are dropped once the total passes the budget. When many requests want the same
missing entry at once (a cold cache after start-up or an ingest), the first computes it and the
others wait for that result instead of each starting the same evaluation.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

DEFAULT_CACHE_MB = 256
"""The dashboard's default cache budget: about ten months of results for a force (some 25 MB
each for the demo force's 32 measures), with their pages."""


@dataclass
class _Flight:
    """One computation in progress; waiters block on `done`."""

    done: threading.Event = field(default_factory=threading.Event)
    value: Any = None
    error: BaseException | None = None


class BoundedCache:
    """A thread-safe LRU cache bounded by the estimated bytes of its values.

    Args:
        max_bytes: the budget; a value larger than this is returned but never kept.
        size_of: the size estimate of a value, in bytes.
    """

    def __init__(self, max_bytes: int, *, size_of: Callable[[Any], int] | None = None) -> None:
        self.max_bytes = max_bytes
        self._size_of = size_of or estimate_bytes
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._flights: dict[Hashable, _Flight] = {}
        self.bytes_used = 0
        """Estimated bytes of every value held now; never above `max_bytes`."""

    def get(self, key: Hashable) -> Any | None:
        """The cached value, or None; never computes."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
            return entry[0]

    def get_or_make(self, key: Hashable, make: Callable[[], Any]) -> Any:
        """The cached value, else the result of `make()` run once however many callers ask.

        An exception from `make` reaches every caller waiting on it and nothing is cached.
        """
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                return entry[0]
            flight = self._flights.get(key)
            leader = flight is None
            if flight is None:
                flight = self._flights[key] = _Flight()
        if not leader:
            flight.done.wait()
            if flight.error is not None:
                raise flight.error
            return flight.value
        try:
            flight.value = make()
        except BaseException as exc:
            flight.error = exc
            raise
        else:
            self._put(key, flight.value)
            return flight.value
        finally:
            with self._lock:
                self._flights.pop(key, None)
            flight.done.set()

    def clear(self) -> None:
        """Drop every entry (computations in progress finish and are kept)."""
        with self._lock:
            self._entries.clear()
            self.bytes_used = 0

    def __len__(self) -> int:
        return len(self._entries)

    def _put(self, key: Hashable, value: Any) -> None:
        size = self._size_of(value)
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self.bytes_used -= old[1]
            self._entries[key] = (value, size)
            self.bytes_used += size
            while self.bytes_used > self.max_bytes:
                _, (_, dropped) = self._entries.popitem(last=False)
                self.bytes_used -= dropped


def estimate_bytes(value: Any, _depth: int = 0) -> int:
    """Roughly how much memory `value` holds: data frames by their columns' deep usage, text by
    its length, containers by their items (four levels deep), anything else by `sys.getsizeof`.

    >>> estimate_bytes(b"x" * 1000) >= 1000
    True
    """
    if isinstance(value, pd.DataFrame):
        return int(value.memory_usage(index=True, deep=True).sum())
    if isinstance(value, str | bytes):
        return sys.getsizeof(value)
    size = sys.getsizeof(value)
    if _depth >= 4:
        return size
    if isinstance(value, dict):
        return size + sum(
            estimate_bytes(k, _depth + 1) + estimate_bytes(v, _depth + 1) for k, v in value.items()
        )
    if isinstance(value, list | tuple | set | frozenset):
        return size + sum(estimate_bytes(v, _depth + 1) for v in value)
    if hasattr(value, "__dict__"):
        return size + estimate_bytes(vars(value), _depth + 1)
    return size
