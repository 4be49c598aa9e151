"""Which months of a measure's series the data can support, and why not where it cannot.

A measure needs one or more record tables (an outcome rate needs crimes and outcomes). A month is
usable only when every table it needs was received for that month (store coverage); a period
outcome rate also needs the crimes of the months before, whose outcomes it counts. Everything
built on a month that is not usable (rolling windows, baselines, records, trends) is unavailable
too, and each results row carries a `status` and a human `reason`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from policeperf.calendar import add_months, month_index
from policeperf.engine.aggregate import is_period
from policeperf.framework.kinds import kind
from policeperf.framework.models import Framework, Measure
from policeperf.store.coverage import describe, runs

OK = "ok"
NO_DATA = "no_data"
INCOMPLETE_WINDOW = "incomplete_window"
INCOMPLETE_BASELINE = "incomplete_baseline"
NO_POPULATION = "no_population"
NOT_CONFIGURED = "not_configured"
STATUSES = (OK, NO_DATA, INCOMPLETE_WINDOW, INCOMPLETE_BASELINE, NO_POPULATION, NOT_CONFIGURED)

TABLE_LABELS = {
    "crimes": "recorded crime",
    "outcomes": "outcomes",
    "asb_incidents": "anti-social behaviour",
    "stop_searches": "stop and search",
    "incidents": "incidents",
    "calls": "calls",
    "survey_responses": "survey",
    "investigations": "crime-management",
    "activities": "activity",
}


def _built_on(m: Measure, framework: Framework | None) -> list[Measure]:
    """`m` and, for a derived measure, the measures it is built from."""
    refs = kind(m.kind).references(m)
    if not refs or framework is None:
        return [m]
    return [framework.measure(r) for r in refs]


def tables_needed(m: Measure, framework: Framework | None = None) -> tuple[str, ...]:
    """The record tables whose coverage a measure's figure depends on (a derived measure's:
    those of the measures it is built from, which `framework` holds)."""
    found = (t for b in _built_on(m, framework) for t in kind(b.kind).tables_needed(b))
    return tuple(dict.fromkeys(found))


def _label(month: date) -> str:
    return f"{month:%b %Y}"


def _months_text(months: Sequence[date]) -> str:
    spans = runs(months)
    parts = [
        _label(s.first) if s.first == s.last else f"{_label(s.first)} to {_label(s.last)}"
        for s in spans
    ]
    return ", ".join(parts[:4]) + (f" and {len(parts) - 4} more gaps" if len(parts) > 4 else "")


@dataclass(frozen=True)
class Availability:
    """Per month of one measure's series: usable or not, and why not."""

    months: list[date]
    usable: np.ndarray
    why: list[str | None]
    received: np.ndarray | None = None
    """Per month: every table it needs was received (False: no_data). A month received but not
    usable lacks the look-back a period outcome rate needs (incomplete_window)."""

    @classmethod
    def build(
        cls,
        m: Measure,
        months: list[date],
        coverage: Mapping[str, set[date]] | None,
        *,
        lookback: int,
        framework: Framework | None = None,
    ) -> Availability:
        """`coverage`: table -> months received for the force (None: the backend records no
        coverage, so every month of the series is taken as received); `framework` holds the
        measures a derived one is built from."""
        n = len(months)
        if coverage is None:
            return cls(months, np.ones(n, dtype=bool), [None] * n)
        usable = np.ones(n, dtype=bool)
        received = np.ones(n, dtype=bool)
        why: list[str | None] = [None] * n
        needed = tables_needed(m, framework)
        by_outcome_month = any(is_period(b) for b in _built_on(m, framework))
        for i, month in enumerate(months):
            missing = [t for t in needed if month not in coverage.get(t, set())]
            if missing:
                usable[i] = received[i] = False
                why[i] = "; ".join(
                    f"no {TABLE_LABELS.get(t, t)} data for {_label(month)}"
                    if coverage.get(t)
                    else f"no {TABLE_LABELS.get(t, t)} data in the store"
                    for t in missing
                )
                continue
            if by_outcome_month and lookback:
                earlier = [add_months(month, -k) for k in range(1, lookback + 1)]
                absent = [e for e in earlier if e not in coverage.get("crimes", set())]
                if absent:
                    usable[i] = False
                    why[i] = (
                        f"outcomes in {_label(month)} include crimes recorded in the {lookback} "
                        f"months before, and the store has no recorded crime for "
                        f"{_months_text(absent)}"
                    )
        return cls(months, usable, why, received)

    def missing_in(self, indices: Iterable[int]) -> list[date]:
        return [self.months[i] for i in indices if 0 <= i < len(self.months) and not self.usable[i]]

    def window_status(
        self, i: int, length: int, baseline_first: date, what: str = "rolling 12 months"
    ) -> tuple[str, str | None]:
        """Status of the row at month `i` whose headline compares the `length` months ending at
        `i` with the twelve months from `baseline_first`."""
        if not self.usable[i]:
            lookback = self.received is not None and self.received[i]
            return (INCOMPLETE_WINDOW if lookback else NO_DATA), self.why[i]
        start = i - length + 1
        first = self.months[0]
        if start < 0:
            needed_from = add_months(self.months[i], -(length - 1))
            gone = self.missing_in(range(0, i + 1))
            also = f", and months without data: {_months_text(gone)}" if gone else ""
            return INCOMPLETE_WINDOW, (
                f"the {what} need data from {_label(needed_from)}; the data starts "
                f"{_label(first)}{also}"
            )
        gone = self.missing_in(range(start, i + 1))
        if gone:
            return (
                INCOMPLETE_WINDOW,
                f"the {what} include months without data: {_months_text(gone)}",
            )
        b0 = month_index(baseline_first) - month_index(first)
        if b0 < 0:
            return INCOMPLETE_BASELINE, (
                f"the baseline year starts {_label(baseline_first)}, before the data "
                f"({_label(first)})"
            )
        gone = self.missing_in(range(b0, b0 + 12))
        if b0 + 12 > len(self.months) or gone:
            gone = gone or [add_months(baseline_first, k) for k in range(12)]
            return (
                INCOMPLETE_BASELINE,
                f"the baseline year has months without data: {_months_text(gone)}",
            )
        return OK, None

    def run_start(self, i: int) -> int:
        """Index of the first month of the unbroken usable run that ends at `i`."""
        j = i
        while j > 0 and self.usable[j - 1]:
            j -= 1
        return j


def coverage_summary(coverage: Mapping[str, set[date]] | None, tables: Sequence[str]) -> str:
    if coverage is None:
        return "not recorded"
    return "; ".join(f"{t}: {describe(coverage.get(t, set()))}" for t in tables)
