"""SPC of any series a user brings: a CSV file with a value column and, optionally, a date
column. The chart is drawn in date order (the reference sorts by date) and its points are given
back in the file's own order, one per row.

Every problem with the file is one line naming the file, the line, the field, what was found
and what was expected: `SpcInputError`.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np

from policeperf.engine import spc as spc_mod
from policeperf.errors import PolicePerfError

MISSING = frozenset({"", "NA", "NaN", "nan"})
"""Cells read as a missing value: the point has no type and breaks every run."""
DATE_FORMS = "a date such as 2020-04-01, 2020-04 or 01/04/2020"
_THOUSANDS = re.compile(r"-?\d{1,3}(,\d{3})+(\.\d+)?")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_UK_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


class SpcInputError(PolicePerfError):
    """The file, a column or a value cannot be read as the series asked for."""


@dataclass(frozen=True)
class Series:
    """A series as read: values and dates in the file's order, with each row's line number."""

    path: Path
    values: list[float]
    dates: list[date] | None
    lines: list[int]


@dataclass(frozen=True)
class SpcReport:
    """The chart of a series: its points in the file's order, the variation and assurance."""

    series: Series
    result: spc_mod.SpcResult
    order: list[int]
    """Position in the chart (date order) of each row of the file."""
    variation: str | None
    assurance: str | None

    def points(self) -> list[dict[str, Any]]:
        """One record per row of the file: date, value, mean, limits, point type and rules."""
        r, out = self.result, []
        for row, k in enumerate(self.order):
            out.append({
                "date": self.series.dates[row].isoformat() if self.series.dates else None,
                "value": _number(self.series.values[row]),
                "mean": _number(r.mean[k]), "lpl": _number(r.lower[k]), "upl": _number(r.upper[k]),
                "point_type": r.types[k], "rules": [x for x in r.rules[k].split(",") if x],
            })  # fmt: skip
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"points": self.points(), "variation": self.variation, "assurance": self.assurance}


def _number(x: float) -> float | None:
    return None if math.isnan(x) else float(x)


def parse_date(text: str) -> date | None:
    """An ISO date (2020-04-01, or a timestamp), a month (2020-04, its first day) or a UK date
    (01/04/2020); None when the text is none of them."""
    text = text.strip()
    try:
        if month := _MONTH.fullmatch(text):
            return date(int(month[1]), int(month[2]), 1)
        if uk := _UK_DATE.fullmatch(text):
            return date(int(uk[3]), int(uk[2]), int(uk[1]))
        return datetime.fromisoformat(text).date()
    except ValueError:
        return None


def _value(text: str) -> float | None:
    """A number, NaN for a missing cell, None when the text is not a number."""
    text = text.strip()
    if text in MISSING:
        return float("nan")
    if _THOUSANDS.fullmatch(text):
        text = text.replace(",", "")
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def read_series(path: Path, *, value: str, date_column: str | None = None) -> Series:
    """The `value` column (and `date_column`) of a CSV file with a header row."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SpcInputError(f"{path}: no such file; expected a CSV file") from None
    except UnicodeDecodeError:
        raise SpcInputError(f"{path}: not UTF-8 text; expected a CSV file") from None
    except OSError as exc:
        raise SpcInputError(f"{path}: {exc.strerror}; expected a readable CSV file") from None
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    if not header or not any(h.strip() for h in header):
        raise SpcInputError(f"{path}: empty; expected a header row naming the columns, then rows")
    names = [h.strip() for h in header]
    columns = {}
    for option, name in (("--value", value), ("--date", date_column)):
        if name is None:
            continue
        if name not in names:
            raise SpcInputError(
                f"{path}:1 {option}: no column {name!r}; expected one of {', '.join(names)}"
            )
        columns[option] = names.index(name)
    values: list[float] = []
    dates: list[date] = []
    lines: list[int] = []
    seen: dict[date, int] = {}
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        line = reader.line_num
        cell = row[columns["--value"]] if columns["--value"] < len(row) else ""
        number = _value(cell)
        if number is None:
            raise SpcInputError(f"{path}:{line} {value}: got {cell!r}; expected a number")
        if date_column is not None:
            raw = row[columns["--date"]] if columns["--date"] < len(row) else ""
            when = parse_date(raw)
            if when is None:
                raise SpcInputError(
                    f"{path}:{line} {date_column}: got {raw!r}; expected {DATE_FORMS}"
                )
            if when in seen:
                raise SpcInputError(
                    f"{path}:{line} {date_column}: {when.isoformat()} again (first on line "
                    f"{seen[when]}); expected one row per date"
                )
            seen[when] = line
            dates.append(when)
        values.append(number)
        lines.append(line)
    if not values:
        raise SpcInputError(f"{path}: no rows under the header; expected at least one")
    return Series(path, values, dates if date_column is not None else None, lines)


def spc_report(
    series: Series,
    *,
    improvement: str = "increase",
    rebase: Sequence[date] = (),
    target: float | None = None,
    options: spc_mod.SpcOptions | None = None,
) -> SpcReport:
    """The chart of `series` in date order, rebased at the rows dated `rebase`."""
    if series.dates is None:
        if rebase:
            raise SpcInputError(f"{series.path}: --rebase needs --date; expected a date column")
        order = list(range(len(series.values)))
    else:
        dates = series.dates
        by_date = sorted(range(len(dates)), key=lambda k: dates[k])
        order = [0] * len(by_date)
        for position, row in enumerate(by_date):
            order[row] = position
    chart_dates = sorted(series.dates) if series.dates is not None else []
    rebase_at = []
    for when in rebase:
        if when not in chart_dates:
            raise SpcInputError(
                f"{series.path}: --rebase {when.isoformat()}: no row has this date; expected "
                "the date of the first point of the new group"
            )
        rebase_at.append(chart_dates.index(when))
    values = np.empty(len(series.values))
    values[order] = series.values
    result = spc_mod.evaluate_spc(
        values,
        improvement=improvement,
        rebase_at=rebase_at,
        options=options or spc_mod.SpcOptions(),
    )
    last = result.limits(len(values) - 1)
    return SpcReport(
        series, result, order, result.variation, spc_mod.assurance(last, target, improvement)
    )
