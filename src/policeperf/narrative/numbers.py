"""Numbers as board papers write them: 1,242; 14.3%; 2.7ppt; 39.7%; March 2021.

Narrative and report both format through here, so a figure reads the same in the text, the
tables and the spreadsheet, and the tests can find every number the text contains.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any, TypeVar

from policeperf.framework import kinds as units

SUPPRESSED = "[c]"
"""Shown in place of a figure hidden by --suppress-below (a small count, or a rate built on one)."""
MISSING = "-"


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


F = TypeVar("F", bound=Callable[..., str])


def figure(format_value: F) -> F:
    """A formatter that writes '-' for a missing figure and the marker for a suppressed one."""

    @wraps(format_value)
    def guarded(value: Any, *args: Any) -> str:
        if is_missing(value):
            return MISSING
        if value == SUPPRESSED:
            return SUPPRESSED
        return format_value(value, *args)

    return guarded  # type: ignore[return-value]


@figure
def count(value: Any) -> str:
    """1,242

    >>> count(1242.0)
    '1,242'
    """
    return f"{round(float(value)):,}"


@figure
def pct(value: Any) -> str:
    """14.3%

    >>> pct(14.3317)
    '14.3%'
    """
    return f"{float(value):.1f}%"


@figure
def ppt(value: Any) -> str:
    """2.7ppt, always positive: the words say the direction.

    >>> ppt(-2.71)
    '2.7ppt'
    """
    return f"{abs(float(value)):.1f}ppt"


@figure
def change_pct(value: Any) -> str:
    """39.7%, positive: the words say the direction."""
    return f"{abs(float(value)):.1f}%"


@figure
def minutes(value: Any) -> str:
    return f"{float(value):,.0f} minutes"


@figure
def per_population(value: Any, per: int = 1000) -> str:
    return f"{float(value):.1f} per {per:,}"


def month(value: date) -> str:
    """March 2021"""
    return value.strftime("%B %Y")


def month_only(value: date) -> str:
    return value.strftime("%B")


def value(v: Any, unit: str) -> str:
    """A measure's value in its unit."""
    if v == SUPPRESSED:
        return SUPPRESSED
    return "-" if is_missing(v) else units.unit(unit).cell_text(v)


def n(v: Any) -> str:
    return f"n={count(v)}"
