"""Public versions: small counts, and rates built on them, replaced by a marker in every format.

A count below the threshold (but above zero) is suppressed; a rate or proportion is suppressed
when its numerator or denominator is. Suppression is applied to the results table before
anything is rendered, so tables, charts, commentary and spreadsheets all show the same marker.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from policeperf.narrative.numbers import SUPPRESSED

# figure column -> (numerator column, denominator column) it is built from
BUILT_FROM = {
    "value": ("numerator", "denominator"),
    "rolling_12m": ("rolling_12m_numerator", "rolling_12m_denominator"),
    "rolling_12m_monthly": ("rolling_12m_numerator", "rolling_12m_denominator"),
    "baseline": ("baseline_numerator", "baseline_denominator"),
    "baseline_monthly": ("baseline_numerator", "baseline_denominator"),
}
DERIVED = ("change", "change_pct", "change_ppt", "same_month_last_year", "previous_month", "fytd",
           "same_month_last_year_change_pct", "ci_low", "ci_high", "rolling_12m_ci_low", "rolling_12m_ci_high")  # fmt: skip


def _small(series: pd.Series, threshold: int) -> pd.Series:
    numbers = pd.to_numeric(series, errors="coerce")
    return (numbers > 0) & (numbers < threshold)


def suppress(results: pd.DataFrame, threshold: int | None) -> pd.DataFrame:
    """A copy with small figures replaced by the marker and a `suppressed` flag per row (set when
    the rolling 12 months or baseline is hidden)."""
    out = results.copy()
    out["suppressed"] = False
    if not threshold:
        return out
    hidden_any = pd.Series(False, index=out.index)
    for figure, (num, den) in BUILT_FROM.items():
        if figure not in out:
            continue
        hide = pd.Series(False, index=out.index)
        if num in out:
            hide |= _small(out[num], threshold)
        if den in out:
            hide |= _small(out[den], threshold) & out["unit"].isin(["pct"])
        out[figure] = out[figure].astype(object).where(~hide, SUPPRESSED)
        if figure in ("rolling_12m", "baseline"):
            hidden_any |= hide
    for column in DERIVED:
        if column in out:
            out[column] = out[column].astype(object).where(~hidden_any, SUPPRESSED)
    for column in ("numerator", "denominator", "n", "rolling_12m_numerator", "rolling_12m_denominator",
                   "baseline_numerator", "baseline_denominator"):  # fmt: skip
        if column in out:
            out[column] = (
                out[column].astype(object).where(~_small(out[column], threshold), SUPPRESSED)
            )
    out["suppressed"] = hidden_any
    out.loc[hidden_any, "verdict"] = "Suppressed"
    return out


def numeric(series: pd.Series) -> pd.Series:
    """Figures for charts: the marker becomes a gap."""
    return pd.to_numeric(series.replace(SUPPRESSED, np.nan), errors="coerce")
