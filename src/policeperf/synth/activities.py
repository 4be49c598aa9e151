"""Police activity and per-standard crime management for the demo force.

Neither is calibrated to a published figure: volumes are of the order a force of the demo's size
records (a few hundred arrests a month, a handful of dispersal authorisations and criminal
behaviour orders). Both draw from their own random stream, so the calibrated tables generated
before them are the same with or without them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from policeperf.synth.calendar import FINANCIAL_YEARS, SEASONAL, days_in_month, fy_months
from policeperf.synth.crimes import DISTRICT_WEIGHTS, DISTRICTS

RAPE_CODES = ("19C", "19D", "19E", "19F", "19G", "19H")
"""Home Office codes of the rape offences subgroup (reference offence_codes)."""


@dataclass(frozen=True)
class ActivityType:
    """One kind of activity in the force's own export codes."""

    code: str
    """The force system's code, mapped to a canonical activity type by the demo mapping."""
    per_month: float
    """Mean records a month in 2019/20."""
    outcomes: tuple[tuple[str, float], ...] = ()
    growth: float = 1.0
    """Multiplier from 2020/21 on (e.g. more dispersal orders once the gang work began)."""
    unit: str | None = None
    quantity_median: float = 0.0
    gang_share: float = 0.0
    domestic_share: float = 0.0
    young_share: float = 0.1


ACTIVITY_TYPES = (
    ActivityType("ARR", 620, (("CHARGED", 0.32), ("RUI", 0.38), ("BAIL", 0.12), ("NFA", 0.18)),
                 domestic_share=0.24, young_share=0.12),
    ActivityType("DISP", 1.0, (("GRANTED", 1.0),), growth=2.0, gang_share=0.6, young_share=0.5),
    ActivityType("CBO", 1.5, (("GRANTED", 0.85), ("REFUSED", 0.15)), growth=1.6, gang_share=0.4,
                 young_share=0.3),
    ActivityType("CPW", 22, (("ISSUED", 1.0),), young_share=0.2),
    ActivityType("CPN", 6, (("ISSUED", 0.8), ("BREACHED", 0.2))),
    ActivityType("CLOSURE", 0.8, (("GRANTED", 1.0),)),
    ActivityType("GANGINJ", 0.3, (("GRANTED", 1.0),), growth=2.5, gang_share=1.0, young_share=0.4),
    ActivityType("DVPN", 14, (("ISSUED", 1.0),), domestic_share=1.0),
    ActivityType("DVPO", 11, (("GRANTED", 0.9), ("REFUSED", 0.1)), domestic_share=1.0),
    ActivityType("SEIZE", 48, (("DRUGS", 0.7), ("WEAPON", 0.2), ("CASH", 0.1)), unit="GRAMS",
                 quantity_median=12.0, gang_share=0.15),
    ActivityType("POCA", 7, (("CONFISCATION", 0.6), ("FORFEITURE", 0.4)), unit="GBP",
                 quantity_median=4_500.0),
    ActivityType("FRAUDREF", 120, (("ASSESSED", 0.7), ("INVESTIGATED", 0.3))),
    ActivityType("RSOVISIT", 70, (("COMPLETED", 0.93), ("MISSED", 0.07))),
    ActivityType("FILE", 260, (("NO_ERROR", 0.88), ("ERROR", 0.12))),
    ActivityType("PRECHARGE", 150, (("ACCEPTED", 0.9), ("FAILED", 0.1))),
    ActivityType("CDI", 60, (("COMPLIANT", 0.93), ("NON_COMPLIANT", 0.07))),
)  # fmt: skip
AGE_BANDS = ("U18", "18-24", "25-34", "35-44", "45-54", "55-64", "65+")
ADULT_WEIGHTS = np.array([0.0, 0.28, 0.30, 0.20, 0.13, 0.06, 0.03])


def generate_activities(rng: np.random.Generator) -> pa.Table:
    """One row per activity, April 2016 to March 2022, in a force export's layout."""
    cols: dict[str, list[np.ndarray]] = {
        k: [] for k in ("day", "code", "outcome", "qty", "unit", "age", "da", "gang")
    }
    for kind in ACTIVITY_TYPES:
        for fy in FINANCIAL_YEARS:
            scale = kind.growth if fy >= "2020/21" else 1.0
            means = kind.per_month * 12 * SEASONAL * scale
            for month, mean in zip(fy_months(fy), means, strict=True):
                n = int(rng.poisson(mean))
                if n == 0:
                    continue
                days = np.datetime64(month, "D") + rng.integers(0, days_in_month(month), n)
                names = [o for o, _ in kind.outcomes]
                weights = np.array([w for _, w in kind.outcomes])
                cols["day"].append(days)
                cols["code"].append(np.full(n, kind.code))
                cols["outcome"].append(np.array(names)[rng.choice(len(names), n, p=weights)])
                qty = (
                    np.round(kind.quantity_median * rng.lognormal(0, 0.9, n), 2)
                    if kind.unit
                    else np.full(n, np.nan)
                )
                cols["qty"].append(qty)
                cols["unit"].append(np.full(n, kind.unit or ""))
                young = rng.random(n) < kind.young_share
                adult = np.array(AGE_BANDS)[rng.choice(len(AGE_BANDS), n, p=ADULT_WEIGHTS)]
                cols["age"].append(np.where(young, "U18", adult))
                cols["da"].append(rng.random(n) < kind.domestic_share)
                cols["gang"].append(rng.random(n) < kind.gang_share)
    day = np.concatenate(cols["day"])
    order = np.argsort(day, kind="stable")
    n = len(order)

    def take(name: str) -> np.ndarray:
        return np.concatenate(cols[name])[order]

    qty = take("qty")
    return pa.table(
        {
            "ACTIVITY_REF": np.char.add("AC", np.char.zfill(np.arange(1, n + 1).astype(str), 7)),
            "ACTIVITY_DATE": pc.strftime(pa.array(day[order]), format="%d/%m/%Y"),
            "ACTIVITY_CODE": take("code"),
            "RESULT": take("outcome"),
            "QUANTITY": pa.array(qty, mask=np.isnan(qty)),
            "UNIT": pa.array(take("unit")).cast(pa.string()),
            "AGE_BAND": take("age"),
            "DA_FLAG": np.where(take("da"), "Y", "N"),
            "GANG_FLAG": np.where(take("gang"), "Y", "N"),
            "CSP": np.array(DISTRICTS)[rng.choice(len(DISTRICTS), n, p=DISTRICT_WEIGHTS)],
        }
    )


def _yn(flags: np.ndarray, due: np.ndarray | None = None) -> np.ndarray:
    """Y/N, blank where the standard was not due (the export leaves it empty)."""
    out = np.where(flags, "Y", "N").astype(object)
    if due is not None:
        out[~due] = ""
    return out


def with_standards(
    rng: np.random.Generator, audits: pa.Table, crimes: pa.Table, recorded_fy: np.ndarray
) -> pa.Table:
    """The audit export with each standard's flags, the crime's offence code and the force's
    standards consistent with its overall `COMPLIANT` flag: a compliant audit met every standard
    due, a non-compliant one failed at least one. Rape investigations' Victim Care Contract
    contacts are more often late in the early years and improve from 2019/20, the pattern the
    board tracked."""
    index = pc.index_in(audits.column("CRIME_REF"), crimes.column("CRIME_REF")).to_numpy()
    codes = crimes.column("HO_CODE").to_numpy(zero_copy_only=False)[index]
    fy = recorded_fy[index]
    compliant = audits.column("COMPLIANT").to_numpy(zero_copy_only=False) == "Y"
    n = len(index)
    rape = np.isin(codes, RAPE_CODES)
    vcc_due = rape | (rng.random(n) < 0.7)
    review_due = rng.random(n) < 0.5
    suspect = rng.random(n) < 0.4
    late_rape = np.where(fy < 2019, 0.6, np.where(fy < 2020, 0.35, 0.15))
    fails = {
        "allocated": rng.random(n) < 0.3,
        "vcc": vcc_due & (rng.random(n) < np.where(rape, late_rape, 0.45)),
        "review": review_due & (rng.random(n) < 0.4),
        "suspect": suspect & (rng.random(n) < 0.35),
    }
    any_fail = np.logical_or.reduce(list(fails.values()))
    # A non-compliant audit with nothing failed fails allocation; a compliant one fails nothing.
    fails["allocated"] |= ~compliant & ~any_fail
    for name in fails:
        fails[name] &= ~compliant
    flags = {
        "ALLOCATED": _yn(~fails["allocated"]),
        "VCC_DUE": _yn(vcc_due),
        "VCC_ON_TIME": _yn(~fails["vcc"], vcc_due),
        "REVIEW_DUE": _yn(review_due),
        "REVIEW_DONE": _yn(~fails["review"], review_due),
        "SUSPECT_MANAGED": _yn(~fails["suspect"], suspect),
    }
    return pa.table(
        {
            **{name: audits.column(name) for name in audits.column_names},
            "HO_CODE": pa.array(codes.astype(str)),
            **{name: pa.array(values, pa.string()) for name, values in flags.items()},
        }
    )
