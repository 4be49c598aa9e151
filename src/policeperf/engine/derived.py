"""Measures built from other measures' figures after aggregation (ratios).

A ratio's numerator and denominator are the monthly totals of the two measures it names, place
by place, so its rolling 12 months and baseline are ratios of sums, like every rate here. The
base measures are aggregated in their own tables' scans: a ratio costs no scan of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pandas as pd

from policeperf.framework.kinds import kind
from policeperf.framework.models import Measure

KEYS = ["level", "area", "period"]


def ratio_frames(
    additive: pd.DataFrame, measures: Sequence[Measure], months: dict[str, tuple[date, date]]
) -> list[pd.DataFrame]:
    """Cube rows (measure_id, level, area, period, num, den) of each derived measure, from the
    additive rows of the measures it references; `months` gains each one's span (the months
    both references have)."""
    out = []
    for m in measures:
        refs = kind(m.kind).references(m)
        if kind(m.kind).computation != "derived" or any(r not in months for r in refs):
            continue
        num_id, den_id = refs
        num = additive.loc[additive["measure_id"] == num_id, [*KEYS, "num"]]
        den = additive.loc[additive["measure_id"] == den_id, [*KEYS, "num"]]
        both = num.merge(den.rename(columns={"num": "den"}), on=KEYS, how="outer")
        # A place and month one base has rows for and the other none: no records, so 0.
        both = both.fillna({"num": 0.0, "den": 0.0}).sort_values(
            [*KEYS[:2], "period"], kind="stable"
        )
        both.insert(0, "measure_id", m.id)
        out.append(both.reset_index(drop=True))
        (a0, a1), (b0, b1) = months[num_id], months[den_id]
        months[m.id] = (max(a0, b0), min(a1, b1))
    return out
