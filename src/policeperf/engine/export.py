"""Writing the results table to CSV, Parquet or JSON.

Text cells that a spreadsheet would run as a formula (starting with =, +, -, @, tab or carriage
return) are prefixed with an apostrophe in CSV, as OWASP advises for CSV injection. Numbers stay
numbers; Parquet and JSON keep text as it is (they are not opened by spreadsheets as formulas).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from policeperf.outfile import replacing, write_text

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
Format = Literal["csv", "parquet", "json"]

KEY_COLUMNS = [
    "measure_id",
    "area",
    "month",
    "rolling_12m",
    "baseline",
    "change_pct",
    "verdict",
    "method",
    "status",
    "reason",
]


def neutralise(value: Any) -> Any:
    """A text cell made inert for spreadsheets; anything else unchanged.

    >>> neutralise("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> neutralise(-39.7)
    -39.7
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def ordered(frame: pd.DataFrame) -> pd.DataFrame:
    """Key columns first, in the documented order, then the rest."""
    rest = [c for c in frame.columns if c not in KEY_COLUMNS]
    return frame[[c for c in KEY_COLUMNS if c in frame.columns] + rest]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and value != value:
        return None
    return value


def to_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    cleaned = frame.astype(object).where(frame.notna(), None)
    return [{k: _plain(v) for k, v in row.items()} for row in cleaned.to_dict(orient="records")]


def write_results(
    frame: pd.DataFrame, path: Path | None, fmt: Format, *, overwrite: bool = True
) -> str | None:
    """Write `frame` to `path` in `fmt`, whole or not at all (`outfile.replacing`); with no
    path, return the text (CSV/JSON only)."""
    frame = ordered(frame)
    if fmt == "parquet":
        if path is None:
            raise ValueError("parquet needs --out")
        with replacing(path, overwrite=overwrite) as tmp:
            frame.to_parquet(tmp, index=False)
        return None
    if fmt == "json":
        text = (
            json.dumps(
                {"attrs": dict(frame.attrs), "rows": to_records(frame)}, indent=1, default=str
            )
            + "\n"
        )
    else:
        safe = frame.copy()
        for column in safe.columns:
            if not pd.api.types.is_numeric_dtype(safe[column]):
                safe[column] = safe[column].astype(object).map(neutralise)
        text = safe.to_csv(index=False)
    if path is None:
        return text
    write_text(path, text, overwrite=overwrite)
    return None
