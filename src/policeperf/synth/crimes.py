"""Crimes, outcomes and the people linked to them, calibrated to the published figures.

Crimes are generated in disjoint *cells* (rape, other serious sexual offences, child sexual abuse,
domestic abuse, ...), so every published measure is a union of cells and its count and positive
outcomes can be set exactly. Monthly counts follow a seasonal profile; 2020/21 follows COVID-19
shapes, with dwelling burglary's published April, January and February falls pinned exactly.
Positive outcomes are chosen among the crimes whose outcome date falls in each financial year, so
the period-method rate (outcomes dated in the year / crimes recorded in the year) is exact.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from policeperf.synth.allocate import count_for_rate, largest_remainder, pin_change
from policeperf.synth.calendar import (
    END,
    FINANCIAL_YEARS,
    SEASONAL,
    days_in_month,
    format_times,
    fy_months,
    fy_of,
)
from policeperf.synth.targets import COVID_MONTH_CHANGE_PCT, CRIME_TARGETS, FY_BASELINE, FY_CURRENT

CALIBRATED = (FY_BASELINE, FY_CURRENT)

DISTRICTS = ("Northam", "Fenmoor", "Hunton", "Cambury", "Eastfield", "Southdale")
DISTRICT_WEIGHTS = np.array([0.30, 0.12, 0.16, 0.20, 0.08, 0.14])

# 2020/21 month-by-month ratio to the same month of 2019/20, April first (scaled to the annual total).
COVID_SHAPES = {
    "general": [0.66, 0.82, 0.95, 1.0, 1.0, 0.98, 0.98, 0.91, 0.96, 0.66, 0.66, 0.93],
    "acquisitive": [0.45, 0.60, 0.78, 0.88, 0.9, 0.88, 0.85, 0.80, 0.78, 0.50, 0.50, 0.72],
    "domestic": [1.0, 1.02, 1.04, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.97, 0.97, 1.0],
    "proactive": [1.25, 1.3, 1.15, 1.0, 1.0, 1.0, 1.0, 1.05, 1.05, 1.2, 1.2, 1.1],
}
YEAR_FACTORS = {
    "general": {"2016/17": 0.90, "2017/18": 0.95, "2018/19": 0.99, "2021/22": 1.02},
    "acquisitive": {"2016/17": 1.08, "2017/18": 1.05, "2018/19": 1.02, "2021/22": 0.80},
    "domestic": {"2016/17": 0.80, "2017/18": 0.88, "2018/19": 0.95, "2021/22": 1.16},
    "proactive": {"2016/17": 0.95, "2017/18": 0.92, "2018/19": 0.96, "2021/22": 1.18},
}

DEFAULT_POSITIVE = ((1, 0.58), (8, 0.18), (3, 0.12), (2, 0.03), (6, 0.04), (4, 0.05))
DRUGS_POSITIVE = ((1, 0.42), (7, 0.30), (8, 0.16), (3, 0.12))
NON_POSITIVE = ((18, 0.34), (16, 0.24), (15, 0.15), (14, 0.10), (21, 0.06), (20, 0.04), (10, 0.03),
                (22, 0.03), (17, 0.01))  # fmt: skip


@dataclass(frozen=True)
class Cell:
    """A disjoint group of crimes sharing offence codes, markers and behaviour."""

    name: str
    codes: tuple[tuple[str, float], ...]
    shape: str
    default_rate: float
    """Positive outcome share in years without a published rate."""
    markers: dict[str, bool] = field(default_factory=dict)
    positive_mix: tuple[tuple[int, float], ...] = DEFAULT_POSITIVE
    has_victim: bool = True


CELLS = (
    Cell(
        "rape",
        (("19C", 0.72), ("19D", 0.10), ("19E", 0.05), ("19F", 0.09), ("19G", 0.02), ("19H", 0.02)),
        "general",
        0.05,
    ),
    Cell("sso_other", (("20A", 0.70), ("17A", 0.12), ("22A", 0.18)), "general", 0.09),
    Cell(
        "csa",
        (("22B", 0.40), ("20B", 0.20), ("21", 0.15), ("71", 0.10), ("88A", 0.15)),
        "general",
        0.14,
        {"csa": True},
    ),
    Cell(
        "domestic_abuse",
        (("8N", 0.30), ("105A", 0.38), ("8L", 0.14), ("3B", 0.06), ("8R", 0.06), ("58A", 0.06)),
        "domestic",
        0.11,
        {"domestic_abuse": True},
    ),
    Cell(
        "hate",
        (("9B", 0.45), ("105B", 0.25), ("8P", 0.10), ("8M", 0.10), ("58J", 0.10)),
        "general",
        0.15,
        {"hate": True},
    ),
    Cell(
        "sharp_instrument",
        (("5D", 0.25), ("8N", 0.30), ("34B", 0.30), ("3B", 0.15)),
        "general",
        0.23,
        {"sharp_instrument": True},
    ),
    Cell(
        "possession_of_weapons",
        (("10D", 0.55), ("10C", 0.30), ("10B", 0.08), ("90", 0.07)),
        "proactive",
        0.44,
        has_victim=False,
    ),
    Cell(
        "drugs",
        (("92D", 0.30), ("92E", 0.45), ("92A", 0.25)),
        "proactive",
        0.62,
        positive_mix=DRUGS_POSITIVE,
        has_victim=False,
    ),
    Cell(
        "dwelling_burglary",
        (("28E", 0.80), ("28F", 0.15), ("28G", 0.04), ("29A", 0.01)),
        "acquisitive",
        0.12,
    ),
    Cell("theft_of_motor_vehicle", (("48", 0.90), ("37.2", 0.10)), "acquisitive", 0.07),
    Cell("modern_slavery", (("106", 1.0),), "general", 0.05),
    Cell(
        "other",
        (
            ("46", 0.16),
            ("49", 0.14),
            ("45", 0.09),
            ("126", 0.01),
            ("44", 0.05),
            ("39", 0.02),
            ("58C", 0.06),
            ("58D", 0.04),
            ("58B", 0.03),
            ("56B", 0.01),
            ("9A", 0.09),
            ("8N", 0.07),
            ("105A", 0.11),
            ("8L", 0.04),
            ("8R", 0.03),
            ("30C", 0.02),
            ("34B", 0.01),
            ("99", 0.01),
            ("83", 0.01),
        ),
        "general",
        0.09,
        has_victim=True,
    ),
)


def calibrated_counts() -> dict[str, dict[str, tuple[int, int]]]:
    """(crimes, positive outcomes) per cell for the two published years."""
    t = CRIME_TARGETS
    out: dict[str, dict[str, tuple[int, int]]] = {}
    for fy in CALIBRATED:

        def cp(name: str, fy: str = fy) -> tuple[int, int]:
            p = t[name]
            rate = p.rate_pct[fy] if p.rate_pct else None
            return p.count[fy], count_for_rate(rate, p.count[fy]) if rate is not None else 0

        rape = cp("rape")
        sso = cp("serious_sexual")
        cells = {
            "rape": rape,
            "sso_other": (sso[0] - rape[0], sso[1] - rape[1]),
            "csa": cp("csa"),
            "domestic_abuse": cp("domestic_abuse"),
            "hate": cp("hate"),
            "sharp_instrument": cp("sharp_instrument"),
            "possession_of_weapons": cp("possession_of_weapons"),
            "drugs": cp("drugs"),
            "dwelling_burglary": cp("dwelling_burglary"),
            "theft_of_motor_vehicle": cp("theft_of_motor_vehicle"),
        }
        slavery_n = t["modern_slavery"].count[fy]
        cells["modern_slavery"] = (slavery_n, round(slavery_n * 0.05))
        total = cp("all_crime")
        cells["other"] = (
            total[0] - sum(c[0] for c in cells.values()),
            total[1] - sum(c[1] for c in cells.values()),
        )
        for name, (crimes, _) in cells.items():
            out.setdefault(name, {})[fy] = (crimes, cells[name][1])
            assert crimes > 0, name
    return out


def monthly_counts(
    cell: Cell, rng: np.random.Generator, calibrated: dict[str, tuple[int, int]]
) -> dict[str, np.ndarray]:
    """Crimes per month (April first) for every financial year of the cell."""
    base_total = calibrated[FY_BASELINE][0]
    weights = SEASONAL * rng.normal(1.0, 0.05, 12).clip(0.85, 1.15)
    months: dict[str, np.ndarray] = {FY_BASELINE: largest_remainder(base_total, weights)}
    pins = COVID_MONTH_CHANGE_PCT.get(cell.name, {})
    current = np.zeros(12, dtype=np.int64)
    pinned_idx = []
    for month_number, pct in pins.items():
        i = (month_number - 4) % 12
        base, new = pin_change(int(months[FY_BASELINE][i]), pct)
        months[FY_BASELINE][_largest_free(months[FY_BASELINE], i)] -= base - months[FY_BASELINE][i]
        months[FY_BASELINE][i] = base
        current[i] = new
        pinned_idx.append(i)
    free = np.array([i not in pinned_idx for i in range(12)])
    shape = np.array(COVID_SHAPES[cell.shape]) * rng.normal(1.0, 0.03, 12)
    current[free] = largest_remainder(
        calibrated[FY_CURRENT][0] - int(current.sum()), months[FY_BASELINE][free] * shape[free]
    )
    months[FY_CURRENT] = current
    for fy in FINANCIAL_YEARS:
        if fy in months:
            continue
        factor = YEAR_FACTORS[cell.shape][fy] * rng.normal(1.0, 0.02)
        total = max(1, round(base_total * factor))
        months[fy] = largest_remainder(total, SEASONAL * rng.normal(1.0, 0.06, 12).clip(0.8, 1.2))
    return months


def _largest_free(months: np.ndarray, exclude: int) -> int:
    order = np.argsort(-months, kind="stable")
    return int(next(i for i in order if i != exclude))


def _pick(
    rng: np.random.Generator, choices: tuple[tuple[object, float], ...], size: int
) -> np.ndarray:
    values = np.array([c[0] for c in choices], dtype=object)
    p = np.array([c[1] for c in choices], dtype=float)
    return values[rng.choice(len(values), size=size, p=p / p.sum())]


@dataclass
class CrimeRecords:
    """Generated crimes and outcomes as Arrow tables in the demo export's own layout."""

    crimes: pa.Table
    outcomes: pa.Table
    cells: np.ndarray
    recorded: np.ndarray
    positive: np.ndarray
    """Per crime: True when it has a positive outcome."""
    outcome_type: np.ndarray
    """Per crime: Home Office outcome type, or -1 when none has been assigned yet."""


def generate_crimes(rng: np.random.Generator) -> CrimeRecords:
    calibrated = calibrated_counts()
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("cell", "day", "code")}
    for ci, cell in enumerate(CELLS):
        months = monthly_counts(cell, rng, calibrated[cell.name])
        for fy in FINANCIAL_YEARS:
            for month, n in zip(fy_months(fy), months[fy], strict=True):
                n = int(n)
                offsets = rng.integers(0, days_in_month(month), n)
                parts["day"].append(np.datetime64(month, "D") + offsets)
                parts["cell"].append(np.full(n, ci))
                parts["code"].append(_pick(rng, cell.codes, n))
    cell_idx = np.concatenate(parts["cell"])
    recorded = np.concatenate(parts["day"]).astype("datetime64[D]")
    codes = np.concatenate(parts["code"])
    order = np.lexsort((cell_idx, recorded))
    cell_idx, recorded, codes = cell_idx[order], recorded[order], codes[order]
    n = len(cell_idx)
    outcome_day, outcome_type, positive = _outcomes(rng, cell_idx, recorded, calibrated)
    district = np.array(DISTRICTS, dtype=object)[
        rng.choice(len(DISTRICTS), size=n, p=DISTRICT_WEIGHTS)
    ]

    def marker(name: str) -> np.ndarray:
        has = np.array([CELLS[i].markers.get(name, False) for i in range(len(CELLS))])
        return np.where(has[cell_idx], "Y", "N")

    crime_ref = serials("DC", np.arange(1, n + 1), 7)
    crimes = pa.table(
        {
            "CRIME_REF": crime_ref,
            "DATE_RECORDED": _ddmmyyyy(recorded),
            "HO_CODE": codes.astype(str),
            "DA_FLAG": marker("domestic_abuse"),
            "HATE_FLAG": marker("hate"),
            "KNIFE_FLAG": marker("sharp_instrument"),
            "CSA_FLAG": marker("csa"),
            "CSE_FLAG": np.full(n, "N"),
            "CSP": district.astype(str),
        }
    )
    has = outcome_type >= 0
    code_text = outcome_type[has].astype(str)
    # Some charges are recorded on an alternative offence; the force system writes 1A.
    alt = rng.random(int(has.sum())) < 0.04
    code_text = np.where((code_text == "1") & alt, "1A", code_text)
    outcomes = pa.table(
        {
            "CRIME_REF": crime_ref.filter(pa.array(has)),
            "OUTCOME_DATE": _ddmmyyyy(outcome_day[has]),
            "OUTCOME_CODE": code_text,
        }
    )
    return CrimeRecords(crimes, outcomes, cell_idx, recorded, positive, outcome_type)


def _outcomes(
    rng: np.random.Generator,
    cell_idx: np.ndarray,
    recorded: np.ndarray,
    calibrated: dict[str, dict[str, tuple[int, int]]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Outcome date and type per crime (-1 where none yet); exactly the published number of
    positive outcomes dated in each calibrated year."""
    n = len(cell_idx)
    lag = np.ceil(rng.gamma(1.3, 38.0, n)).astype("timedelta64[D]")
    day = recorded + lag
    fy = fy_of(day)
    pending = day > np.datetime64(END)
    positive = np.zeros(n, dtype=bool)
    for ci, cell in enumerate(CELLS):
        in_cell = cell_idx == ci
        for year in np.unique(fy[in_cell & ~pending]):
            label = f"{year}/{(year + 1) % 100:02d}"
            members = np.flatnonzero(in_cell & ~pending & (fy == year))
            if label in calibrated[cell.name]:
                want = calibrated[cell.name][label][1]
            else:
                want = int(rng.binomial(len(members), cell.default_rate))
            if want > len(members):
                raise ValueError(
                    f"{cell.name} {label}: {want} positive outcomes > {len(members)} crimes"
                )
            positive[rng.choice(members, size=want, replace=False)] = True
    types = np.full(n, -1, dtype=np.int64)
    for ci, cell in enumerate(CELLS):
        pos = (cell_idx == ci) & positive
        types[pos] = _pick(rng, cell.positive_mix, int(pos.sum())).astype(np.int64)
    neg = ~positive & ~pending
    types[neg] = _pick(rng, NON_POSITIVE, int(neg.sum())).astype(np.int64)
    return day, types, positive


def serials(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """Reference numbers as force systems write them, the prefix then the number padded with
    zeros to `width` digits: DC0000042 (numpy's string functions were slower by a second)."""
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _ddmmyyyy(days: np.ndarray) -> pa.Array:
    """Dates as the force system exports them: dd/mm/yyyy."""
    return format_times(days, "%d/%m/%Y")
