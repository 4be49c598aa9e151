"""Public versions: every figure that is a small count, or would give one away, is replaced by a
marker, in every output.

The rule (docs/methods.md "Suppression"; the report's appendix prints `rule_text`):

1. A count is *small* when 0 < count < N. The counts behind a figure depend on the measure kind
   (`BASIS`): a count its numerator; a rate or proportion its numerator and denominator; harm the
   crimes whose weights it sums (`crime_count`), never its days; a median its n.
2. *Monthly figures*: if any month of a series (measure x area) has a small count, none of the
   series' monthly figures is published: the month's value, numerator, denominator, n, previous
   month, same month last year and its change, financial year to date (whose month-to-month
   differences are the months), SPC limits and signals, records and trends. Hiding only the
   small months would not do: the rolling 12 months minus the 11 months shown is the hidden one.
3. *12-month figures*: a rolling 12 months or baseline whose counts are small is hidden, with
   its rate, counts, interval and monthly average. The baseline is the 12 months ending in March,
   so the two are one figure: hidden in one place, hidden in the other. A series with a hidden
   12-month figure has its monthly figures hidden too (they would add up to it).
4. *Comparisons*: every change (absolute, %, ppt) and verdict built on a hidden figure is hidden;
   the verdict reads "Suppressed". Test statistics, p-values and intervals are published only for
   rows with nothing hidden.
5. *Areas*: a hidden figure must not be the area or force minus the figures shown beside it;
   `complementary.protect` hides the smallest further figure until none is recoverable.

Zeros are shown (a zero discloses no one). Hidden numbers read as the marker; facts that are not
numbers (records, SPC signals, trends) are left blank, and the row's `suppressed` flag (its rolling
12 months or baseline is hidden) and `month_suppressed` flag (its monthly figures are hidden) say
why, so a suppressed figure is never confused with one not available.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from policeperf.calendar import add_months
from policeperf.framework.kinds import KINDS
from policeperf.framework.kinds.base import RATE_BASIS, Basis
from policeperf.narrative.numbers import SUPPRESSED
from policeperf.reference import load_table
from policeperf.report.complementary import Cell, protect, relations

BASIS: dict[str, Basis] = {name: k.basis for name, k in KINDS.items()}
"""Each kind's suppression basis, as the kind gives it; a kind not known is judged on
numerator and denominator, as a rate."""

MONTH_FIGURES = ("value", "numerator", "denominator", "n", "crime_count", "previous_month",
                 "same_month_last_year", "same_month_last_year_change_pct", "fytd", "spc_mean",
                 "spc_lower", "spc_upper", "spc_lower_near", "spc_upper_near", "month_lower",
                 "month_upper", "trend_p")  # fmt: skip
MONTH_FACTS = ("spc_class", "spc_rule", "spc_side", "spc_assurance", "month_verdict",
               "record_high_since", "record_low_since", "highest_on_record", "lowest_on_record",
               "twelve_month_high", "twelve_month_low", "trend_direction", "trend_halted",
               "previous_trend_direction")  # fmt: skip
ROLLING_FIGURES = ("rolling_12m", "rolling_12m_monthly", "rolling_12m_numerator",
                   "rolling_12m_denominator", "rolling_12m_crime_count", "rolling_12m_n",
                   "rolling_12m_ci_low", "rolling_12m_ci_high")  # fmt: skip
BASELINE_FIGURES = ("baseline", "baseline_monthly", "baseline_numerator", "baseline_denominator",
                    "baseline_crime_count", "baseline_n")  # fmt: skip
CHANGE_FIGURES = ("change", "change_pct", "change_ppt")
TEST_FIGURES = ("statistic", "p_value", "p_adjusted", "ci_low", "ci_high", "dispersion")
VERDICT_FACTS = ("verdict_direction", "verdict_note")
COMPARISON_FIGURES = ("comparison_statistic", "comparison_p_value", "comparison_ci_low",
                      "comparison_ci_high")  # fmt: skip
COMPARISON_FACTS = ("comparison_direction", "baseline_comparison_direction")
DIRECTION_MONTHS = 4
"""`rolling_direction_3m` compares the rolling figure of the month and the three before."""


def rule_text(threshold: int) -> str:
    """The rule in a sentence, for the report's appendix and the workbook's summary."""
    return (
        f"Public version: counts from 1 to {threshold - 1}, and every figure that would reveal "
        f"one, are shown as {SUPPRESSED}. That covers rates and proportions built on a small "
        "numerator or denominator, medians of fewer cases, harm from fewer crimes, every monthly "
        "figure (including previous month, same month last year and financial year to date) of a "
        "series with any small month, changes and verdicts involving a hidden figure, and further "
        "areas or districts where a hidden figure would otherwise be the total minus those shown. "
        "Zeros are shown."
    )


def _small(frame: pd.DataFrame, columns: tuple[str, ...], threshold: int) -> pd.Series:
    hit = pd.Series(False, index=frame.index)
    for column in columns:
        if column in frame:
            numbers = pd.to_numeric(frame[column], errors="coerce")
            hit |= (numbers > 0) & (numbers < threshold)
    return hit


def _first(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series:
    for column in columns:
        if column in frame:
            return pd.to_numeric(frame[column], errors="coerce")
    return pd.Series(np.nan, index=frame.index)


def baseline_end(label: Any) -> date | None:
    """The last month of a baseline year: '2019/20' -> March 2020.

    >>> baseline_end("2019/20")
    datetime.date(2020, 3, 1)
    """
    text = str(label or "")
    return date(int(text[:4]) + 1, 3, 1) if text[:4].isdigit() else None


def district_areas(results: pd.DataFrame) -> dict[str, str | None]:
    """Each district's policing area, from the force's reference districts."""
    force = results.attrs.get("force") or (
        results["force"].dropna().iloc[0]
        if "force" in results and results["force"].notna().any()
        else None
    )
    table = load_table("districts").to_pandas()
    table = table[table["force"] == force]
    return {
        str(d): (None if pd.isna(a) else str(a))
        for d, a in zip(table["district"], table["area"], strict=True)
    }


def _month(value: Any) -> date:
    ts = pd.Timestamp(value)
    return date(ts.year, ts.month, 1)


class _Basis:
    """The small counts and sizes of every row, by the row's kind."""

    def __init__(self, frame: pd.DataFrame, threshold: int) -> None:
        kinds = frame["kind"].astype(str) if "kind" in frame else pd.Series("", index=frame.index)
        self.month_small = pd.Series(False, index=frame.index)
        self.rolling_small = pd.Series(False, index=frame.index)
        self.baseline_small = pd.Series(False, index=frame.index)
        self.month_size = pd.Series(np.nan, index=frame.index)
        self.rolling_size = pd.Series(np.nan, index=frame.index)
        self.baseline_size = pd.Series(np.nan, index=frame.index)
        for kind in kinds.unique():
            rows = frame[kinds == kind]
            month, rolling, baseline = BASIS.get(kind, RATE_BASIS)
            self.month_small[rows.index] = _small(rows, month, threshold)
            self.rolling_small[rows.index] = _small(rows, rolling, threshold)
            self.baseline_small[rows.index] = _small(rows, baseline, threshold)
            self.month_size[rows.index] = _first(rows, month)
            self.rolling_size[rows.index] = _first(rows, rolling)
            self.baseline_size[rows.index] = _first(rows, baseline)


def _keys(frame: pd.DataFrame) -> pd.DataFrame:
    """Per row: its measure, cell (area level, area), month, and the month its baseline ends."""
    periods = frame["baseline_period"] if "baseline_period" in frame else [None] * len(frame)
    return pd.DataFrame(
        {
            "measure": frame["measure_id"].astype(str).tolist(),
            "cell": list(
                zip(frame["area_level"].astype(str), frame["area"].astype(str), strict=True)
            ),
            "month": [_month(m) for m in frame["month"]],
            "end": [baseline_end(b) for b in periods],
        },
        index=frame.index,
    )


def _shown(frame: pd.DataFrame, column: str) -> pd.Series:
    return frame[column].notna() if column in frame else pd.Series(False, index=frame.index)


def hidden_cells(
    frame: pd.DataFrame, threshold: int, parents: Mapping[str, str | None]
) -> tuple[dict[str, set[Cell]], dict[tuple[str, date], set[Cell]]]:
    """The series whose monthly figures are hidden (per measure) and the 12-month figures that
    are hidden (per measure and the month the 12 months end: a rolling 12 months ending in March
    and the baseline of that financial year are one figure)."""
    basis = _Basis(frame, threshold)
    keys = _keys(frame)
    windows = pd.concat(
        [
            keys.assign(end=keys["month"], small=basis.rolling_small, size=basis.rolling_size)[
                _shown(frame, "rolling_12m")
            ],
            keys.assign(small=basis.baseline_small, size=basis.baseline_size)[
                _shown(frame, "baseline") & keys["end"].notna()
            ],
        ]
    )
    twelve: dict[tuple[str, date], set[Cell]] = {}
    for (measure, end), group in windows.groupby(["measure", "end"], sort=False):
        hidden = set(group.loc[group["small"], "cell"])
        if hidden:
            sizes = dict(zip(group["cell"], group["size"], strict=True))
            rels = relations(set(group["cell"]), parents)
            twelve[(str(measure), end)] = protect(hidden, rels, sizes)

    month_hidden: dict[str, set[Cell]] = {}
    series = keys.assign(small=basis.month_small, size=basis.month_size)
    for measure, group in series.groupby("measure", sort=False):
        hidden = set(group.loc[group["small"], "cell"])
        for (other, _), cells in twelve.items():
            if other == measure:
                hidden |= cells  # the months would add up to the hidden 12 months
        if hidden:
            sizes = group.groupby("cell")["size"].sum().to_dict()
            rels = relations(set(group["cell"]), parents)
            month_hidden[str(measure)] = protect(hidden, rels, sizes)
    return month_hidden, twelve


def _blank(out: pd.DataFrame, columns: tuple[str, ...], where: pd.Series, marker: Any) -> None:
    """Put `marker` in `columns` where `where` holds. A figure that is not available stays
    empty: it discloses nothing, and its status says why (`[c]` always means suppressed)."""
    for column in columns:
        if column in out:
            hide = where & out[column].notna()
            out[column] = out[column].astype(object).where(~hide, marker)


def suppress(
    results: pd.DataFrame,
    threshold: int | None,
    *,
    parents: Mapping[str, str | None] | None = None,
) -> pd.DataFrame:
    """The public copy of `results`: every figure that is, or would reveal, a count below
    `threshold` replaced by the marker, with `suppressed` and `month_suppressed` flags per row.
    `parents` maps districts to policing areas (default: the force's reference districts).
    Pass the whole table, not one month: monthly figures are judged over the whole series."""
    out = results.copy()
    out["suppressed"] = False
    out["month_suppressed"] = False
    if not threshold or out.empty:
        return out
    month_hidden, twelve = hidden_cells(
        out, threshold, district_areas(out) if parents is None else parents
    )

    keys = _keys(out)
    measures, cells = keys["measure"].tolist(), keys["cell"].tolist()

    def flag(ends: list[date | None]) -> pd.Series:
        """Rows whose 12 months ending in `ends` (one per row) are hidden."""
        hidden = [
            end is not None and cell in twelve.get((measure, end), ())
            for measure, cell, end in zip(measures, cells, ends, strict=True)
        ]
        return pd.Series(hidden, index=out.index)

    months, ends = keys["month"].tolist(), keys["end"].tolist()
    month = pd.Series(
        [c in month_hidden.get(m, ()) for m, c in zip(measures, cells, strict=True)],
        index=out.index,
    )
    rolling = flag(list(months))
    baseline = flag(ends)
    direction = rolling.copy()
    for back in range(1, DIRECTION_MONTHS):
        earlier: list[date | None] = [add_months(m, -back) for m in months]
        direction |= flag(earlier)

    headline = rolling | baseline
    _blank(out, MONTH_FIGURES, month, SUPPRESSED)
    _blank(out, MONTH_FACTS, month, None)
    _blank(out, ROLLING_FIGURES, rolling, SUPPRESSED)
    _blank(out, BASELINE_FIGURES, baseline, SUPPRESSED)
    _blank(out, CHANGE_FIGURES, headline, SUPPRESSED)
    _blank(out, TEST_FIGURES, headline | month, SUPPRESSED)
    _blank(out, VERDICT_FACTS, headline, None)
    _blank(out, ("rolling_direction_3m",), direction, None)
    if "verdict" in out:
        out["verdict"] = out["verdict"].astype(object).where(~headline, "Suppressed")
    _hide_comparisons(out, headline, list(zip(measures, months, strict=True)))
    out["suppressed"] = headline
    out["month_suppressed"] = month | headline
    return out


def _hide_comparisons(out: pd.DataFrame, headline: pd.Series, keys: list[tuple[str, date]]) -> None:
    """A comparison between places (engine/compare.py) tests each place against the others of
    its level: if any of their 12-month figures is hidden, the test of every place of that
    level, measure and month is hidden too (its statistic would give the hidden figure away)."""
    if "comparison" not in out:
        return
    group = pd.Series(
        [(*key, level) for key, level in zip(keys, out["area_level"].astype(str), strict=True)],
        index=out.index,
    )
    touched = headline.groupby(group).transform("any").astype(bool)
    _blank(out, COMPARISON_FIGURES, touched, SUPPRESSED)
    _blank(out, COMPARISON_FACTS, touched, None)
    shown = out["comparison"].notna()
    out["comparison"] = out["comparison"].astype(object).where(~(touched & shown), "Suppressed")


def numeric(series: pd.Series) -> pd.Series:
    """Figures for charts: the marker becomes a gap."""
    return pd.to_numeric(series.replace(SUPPRESSED, np.nan), errors="coerce")
