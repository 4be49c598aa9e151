"""Small results tables for the suppression tests, made by the real engine from district counts
(no store: the cube is built by hand, then `evaluate_cube` computes every figure), and an
attacker that tries to recover hidden counts from what a public version publishes."""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import yaml

from policeperf.calendar import add_months, fy_label, fy_start_year
from policeperf.engine.cube import Cube, _rollup
from policeperf.engine.results import Context, evaluate_cube
from policeperf.framework import Framework
from policeperf.narrative.numbers import SUPPRESSED
from tests.frameworks import framework_yaml

FORCE = "Demo Constabulary"
PARENTS: dict[str, str | None] = {
    "Northam": "North", "Fenmoor": "North", "Hunton": "North",
    "Cambury": "South", "Eastfield": "South", "Southdale": "South",
}  # fmt: skip
"""The demo force's reference districts (the report finds the same by the force's name)."""
DISTRICTS = sorted(PARENTS)
POPULATION = {district: 10_000.0 * (k + 1) for k, district in enumerate(DISTRICTS)}
"""Residents per district: public figures, so the attacker knows them too."""
MONTHS = [add_months(date(2019, 4, 1), k) for k in range(24)]
REPORTING = MONTHS[-1]
FRAMEWORK = Framework.model_validate(
    yaml.safe_load(
        framework_yaml(
            [
                {"id": "crimes", "name": "Robbery", "kind": "count", "polarity": "down_is_good"},
                {"id": "solved", "name": "Robbery outcome rate", "kind": "outcome_rate",
                 "outcome_set": "positive", "method": "cohort", "polarity": "up_is_good"},
                {"id": "harm", "name": "Robbery harm", "kind": "harm", "polarity": "down_is_good"},
                {"id": "per1000", "name": "Robbery per 1000 residents", "kind": "rate_per_population"},
            ],
            name="small",
            title="Small numbers",
            force=FORCE,
        )
    )
)  # fmt: skip

Counts = dict[str, dict[str, np.ndarray]]
"""measure_id -> district -> monthly counts; for `solved` the key 'den' holds the crimes, and
for `harm` the key 'crimes' the crimes behind the days."""


def counts_from(seed: int, scales: Iterable[float]) -> dict[str, dict[str, np.ndarray]]:
    """Monthly counts per district: Poisson with each district's scale (small scales give small
    counts); outcomes are a share of the crimes; harm is days from a few weights."""
    rng = np.random.default_rng(seed)
    out: dict[str, dict[str, np.ndarray]] = {
        "crimes": {},
        "den": {},
        "solved": {},
        "harm_crimes": {},
        "harm": {},
    }
    for district, scale in zip(DISTRICTS, scales, strict=True):
        crimes = rng.poisson(scale, len(MONTHS)).astype(float)
        out["crimes"][district] = crimes
        out["den"][district] = crimes
        out["solved"][district] = rng.binomial(crimes.astype(int), 0.3).astype(float)
        out["harm_crimes"][district] = crimes
        weights = rng.choice([1.0, 5.0, 365.0], size=(len(MONTHS), int(crimes.max()) + 1))
        out["harm"][district] = np.array([weights[i, : int(c)].sum() for i, c in enumerate(crimes)])
    return out


def results_from(
    counts: Mapping[str, Mapping[str, np.ndarray]], *, missing: Iterable[date] = ()
) -> pd.DataFrame:
    """The results table the engine makes from these district counts (`missing`: months the
    store holds no crimes for)."""
    frames = []
    for m in (m for *_, m in FRAMEWORK.measures()):
        rows = []
        for district in DISTRICTS:
            for i, month in enumerate(MONTHS):
                row: dict[str, Any] = {
                    "period": month,
                    "district": district,
                    "area": PARENTS[district],
                }
                if m.id in ("crimes", "per1000"):
                    row["num"] = counts["crimes"][district][i]
                elif m.id == "solved":
                    row["num"], row["den"] = (
                        counts["solved"][district][i],
                        counts["den"][district][i],
                    )
                else:
                    row["num"], row["crimes"] = (
                        counts["harm"][district][i],
                        counts["harm_crimes"][district][i],
                    )
                rows.append(row)
        frames.append(_rollup(pd.DataFrame(rows), m, has_den=m.kind == "outcome_rate"))
    cube = Cube(
        additive=pd.concat(frames, ignore_index=True),
        medians=pd.DataFrame(
            columns=["measure_id", "level", "area", "window", "key", "value", "n"]
        ),
        months={m.id: (MONTHS[0], MONTHS[-1]) for *_, m in FRAMEWORK.measures()},
    )
    gaps = set(missing)
    coverage = {"crimes": set(MONTHS) - gaps, "outcomes": set(MONTHS)} if gaps else None
    context = Context(FRAMEWORK, REPORTING, populations(), "2021-04-01T00:00:00Z", "test", coverage)
    results = evaluate_cube(cube, context)
    results.attrs.update(framework=FRAMEWORK.name, force=FORCE, month=REPORTING.isoformat())
    return results


def populations() -> dict[tuple[str, str], float]:
    out = {("district", d): p for d, p in POPULATION.items()}
    for area in {a for a in PARENTS.values() if a}:
        out[("area", area)] = sum(p for d, p in POPULATION.items() if PARENTS[d] == area)
    out[("force", "all")] = sum(POPULATION.values())
    return out


# ---------------------------------------------------------------------------------------------
# The attacker

Var = tuple[str, str, tuple[str, str], date]
"""(quantity, measure_id, (area level, area), month): quantities num, den, crimes (monthly),
r12num, r12den, r12crimes (the 12 months ending that month), rate, r12rate, fytd, growth."""


@dataclass
class Attack:
    """What the public figures give: known quantities, and identities between quantities
    (direct reads, neighbouring months, change arithmetic, rate x denominator or residents,
    rolling windows, year-to-date differences and area sums). The attacker solves any identity
    with one unknown left, and all linear identities of a measure together, until nothing new
    is learned: on the full results it finds every count."""

    known: dict[Var, float] = field(default_factory=dict)
    linear: list[tuple[list[tuple[Var, float]], float]] = field(default_factory=list)
    products: list[tuple[Var, Var, Var, float]] = field(default_factory=list)
    """out = a * b / scale"""

    def learn(self, var: Var, value: Any) -> None:
        if value is None or value == SUPPRESSED or value == "":
            return
        number = float(value)
        if not math.isnan(number):
            self.known[var] = number

    def solve(self) -> dict[Var, float]:
        """Chain single-unknown solutions, then solve all identities together, until nothing
        new is learned."""
        while True:
            self._peel()
            if not self._jointly():
                return self.known

    def _peel(self) -> None:
        changed = True
        while changed:
            changed = False
            for terms, rhs in self.linear:
                unknown = [(v, c) for v, c in terms if v not in self.known]
                if len(unknown) == 1 and unknown[0][1] != 0:
                    v, c = unknown[0]
                    rest = sum(self.known[u] * k for u, k in terms if u != v)
                    self.known[v] = (rhs - rest) / c
                    changed = True
            for out, a, b, scale in self.products:
                k = self.known
                if out not in k and a in k and b in k:
                    k[out], changed = k[a] * k[b] / scale, True
                elif out in k and a in k and b not in k and k[a] != 0:
                    k[b], changed = k[out] * scale / k[a], True
                elif out in k and b in k and a not in k and k[b] != 0:
                    k[a], changed = k[out] * scale / k[b], True

    def _equations(self) -> list[tuple[dict[Var, float], float]]:
        """Every identity that is linear in what is still unknown, with the known put in."""
        out = []
        linear = list(self.linear)
        for product, a, b, scale in self.products:
            for factor, other in ((a, b), (b, a)):
                if factor in self.known:
                    linear.append(([(product, 1.0), (other, -self.known[factor] / scale)], 0.0))
                    break
        for terms, rhs in linear:
            unknown: dict[Var, float] = {}
            for v, c in terms:
                if v in self.known:
                    rhs -= self.known[v] * c
                elif c != 0:
                    unknown[v] = unknown.get(v, 0.0) + c
            if unknown:
                out.append((unknown, rhs))
        return out

    def _jointly(self) -> bool:
        """Solve all the identities of a measure together: a quantity is determined when the
        unknowns' equations, reduced to row echelon form, hold a row with it alone."""
        learned = False
        by_measure: dict[str, list[tuple[dict[Var, float], float]]] = {}
        for terms, rhs in self._equations():
            by_measure.setdefault(next(iter(terms))[1], []).append((terms, rhs))
        for equations in by_measure.values():
            equations = _informative(equations)
            names = sorted({v for terms, _ in equations for v in terms}, key=str)
            index = {v: i for i, v in enumerate(names)}
            matrix = np.zeros((len(equations), len(names) + 1))
            for row, (terms, rhs) in enumerate(equations):
                for v, c in terms.items():
                    matrix[row, index[v]] = c
                matrix[row, -1] = rhs
            for i, value in _determined(matrix).items():
                self.known[names[i]] = value
                learned = True
        return learned


def _determined(augmented: np.ndarray) -> dict[int, float]:
    """Gauss-Jordan elimination of [A | b] (rows touched only where the pivot column is not
    zero: the equations are sparse); returns {column: value} for every reduced row that names
    one unknown alone."""
    m = augmented.copy()
    rows, cols = m.shape[0], m.shape[1] - 1
    pivots: list[tuple[int, int]] = []
    r = 0
    for c in range(cols):
        if r == rows:
            break
        column = np.abs(m[r:, c])
        best = int(column.argmax())
        if column[best] < 1e-9:
            continue
        m[[r, r + best]] = m[[r + best, r]]
        m[r] /= m[r, c]
        others = np.nonzero(m[:, c])[0]
        others = others[others != r]
        m[others] -= m[others, c, None] * m[r]
        pivots.append((r, c))
        r += 1
    out = {}
    for row, c in pivots:
        coefficients = m[row, :cols].copy()
        coefficients[c] = 0.0
        if np.abs(coefficients).max(initial=0.0) < 1e-9:
            out[c] = float(m[row, -1])
    return out


def _informative(
    equations: list[tuple[dict[Var, float], float]],
) -> list[tuple[dict[Var, float], float]]:
    """Drop equations with an unknown found nowhere else: that unknown absorbs the equation,
    which then says nothing about the others (a speed-up; the answer is the same)."""
    while True:
        seen: dict[Var, int] = {}
        for terms, _ in equations:
            for v in terms:
                seen[v] = seen.get(v, 0) + 1
        kept = [(t, r) for t, r in equations if len(t) == 1 or all(seen[v] > 1 for v in t)]
        if len(kept) == len(equations):
            return kept
        equations = kept


QUANTITIES = {
    # measure -> (monthly count quantities, 12-month count quantities) that are additive
    "crimes": (("num",), ("r12num",)),
    "solved": (("num", "den"), ("r12num", "r12den")),
    "harm": (("num", "crimes"), ("r12num", "r12crimes")),
    "per1000": (("num",), ("r12num",)),
}
COUNTED = ("crimes", "harm")
"""Measures whose value is the count itself (their year to date too)."""


def _cells() -> list[tuple[str, str]]:
    areas = sorted({a for a in PARENTS.values() if a})
    return [("force", "all"), *[("area", a) for a in areas], *[("district", d) for d in DISTRICTS]]


def _relations() -> list[tuple[tuple[str, str], list[tuple[str, str]]]]:
    """Written out here, independently of the code under test."""
    areas = sorted({a for a in PARENTS.values() if a})
    out = [
        (("force", "all"), [("area", a) for a in areas]),
        (("force", "all"), [("district", d) for d in DISTRICTS]),
    ]
    for a in areas:
        out.append((("area", a), [("district", d) for d in DISTRICTS if PARENTS[d] == a]))
    return out


def identities(attack: Attack) -> None:
    """Every arithmetic fact a reader knows about the figures, whatever was published."""
    for measure, (monthly, twelve) in QUANTITIES.items():
        for i, month in enumerate(MONTHS):
            for quantity in (*monthly, *twelve):
                for total, parts in _relations():
                    attack.linear.append(([((quantity, measure, total, month), 1.0),
                                           *[((quantity, measure, p, month), -1.0) for p in parts]], 0.0))  # fmt: skip
            for cell in _cells():
                if i >= 11:
                    for quantity, window in zip(monthly, twelve, strict=True):
                        terms = [((window, measure, cell, month), 1.0)]
                        terms += [
                            ((quantity, measure, cell, MONTHS[j]), -1.0)
                            for j in range(i - 11, i + 1)
                        ]
                        attack.linear.append((terms, 0.0))
                start = MONTHS.index(max(MONTHS[0], date(fy_start_year(month), 4, 1)))
                if measure in COUNTED:
                    terms = [(("fytd", measure, cell, month), 1.0)]
                    terms += [
                        (("num", measure, cell, MONTHS[j]), -1.0) for j in range(start, i + 1)
                    ]
                    attack.linear.append((terms, 0.0))
                elif measure == "solved":
                    attack.products.append((("num", measure, cell, month), ("rate", measure, cell, month),
                                            ("den", measure, cell, month), 100.0))  # fmt: skip
                    attack.products.append((("r12num", measure, cell, month), ("r12rate", measure, cell, month),
                                            ("r12den", measure, cell, month), 100.0))  # fmt: skip
                else:  # per 1,000 residents: monthly rates are annualised (population / 12 a month)
                    residents = populations()[cell]
                    attack.known[("pop12", measure, cell, month)] = residents / 12
                    attack.known[("pop", measure, cell, month)] = residents
                    attack.products.append((("num", measure, cell, month), ("rate", measure, cell, month),
                                            ("pop12", measure, cell, month), 1000.0))  # fmt: skip
                    attack.products.append((("r12num", measure, cell, month), ("r12rate", measure, cell, month),
                                            ("pop", measure, cell, month), 1000.0))  # fmt: skip


def _value_quantity(measure: str, rolling: bool) -> str:
    if measure in COUNTED:
        return "r12num" if rolling else "num"
    return "r12rate" if rolling else "rate"


def read_rows(attack: Attack, rows: Iterable[Mapping[str, Any]]) -> None:
    """Learn every figure of published results rows (any subset of the columns)."""
    for row in rows:
        measure = str(row["measure_id"])
        cell = (str(row["area_level"]), str(row["area"]))
        month = pd.Timestamp(row["month"]).date().replace(day=1)
        end = _baseline_end(row.get("baseline_period"))
        value, r12 = _value_quantity(measure, False), _value_quantity(measure, True)
        get = row.get
        attack.learn((value, measure, cell, month), get("value"))
        attack.learn((value, measure, cell, add_months(month, -1)), get("previous_month"))
        attack.learn((value, measure, cell, add_months(month, -12)), get("same_month_last_year"))
        attack.learn((r12, measure, cell, month), get("rolling_12m"))
        monthly_avg = get("rolling_12m_monthly")
        per_month = 12 if measure in COUNTED else 1  # counts chart 12-month averages
        if monthly_avg not in (None, SUPPRESSED, ""):
            attack.learn((r12, measure, cell, month), float(monthly_avg) * per_month)
        attack.learn(("fytd", measure, cell, month), get("fytd") if measure in COUNTED else None)
        attack.learn(("num", measure, cell, month), get("numerator"))
        attack.learn(("r12num", measure, cell, month), get("rolling_12m_numerator"))
        if measure == "solved":
            attack.learn(("den", measure, cell, month), get("denominator"))
            attack.learn(("den", measure, cell, month), get("n"))
            attack.learn(("r12den", measure, cell, month), get("rolling_12m_denominator"))
        else:
            attack.learn(("num", measure, cell, month), get("n"))
        if measure == "harm":
            attack.learn(("crimes", measure, cell, month), get("crime_count"))
            attack.learn(("r12crimes", measure, cell, month), get("rolling_12m_crime_count"))
        if end is not None:
            attack.learn((r12, measure, cell, end), get("baseline"))
            base_avg = get("baseline_monthly")
            if base_avg not in (None, SUPPRESSED, ""):
                attack.learn((r12, measure, cell, end), float(base_avg) * per_month)
            attack.learn(("r12num", measure, cell, end), get("baseline_numerator"))
            if measure == "solved":
                attack.learn(("r12den", measure, cell, end), get("baseline_denominator"))
            if measure == "harm":
                attack.learn(("r12crimes", measure, cell, end), get("baseline_crime_count"))
            _change(attack, get, r12, measure, cell, month, end)
        _growth(attack, get("same_month_last_year_change_pct"), value, measure, cell, month)


def _change(attack: Attack, get: Callable[[str], Any], r12: str, measure: str,
            cell: tuple[str, str], month: date, end: date) -> None:  # fmt: skip
    now, before = (r12, measure, cell, month), (r12, measure, cell, end)
    for column in ("change", "change_ppt"):
        v = get(column)
        if v not in (None, SUPPRESSED, "") and not math.isnan(float(v)):
            attack.linear.append(([(now, 1.0), (before, -1.0)], float(v)))
    pct = get("change_pct")
    if pct not in (None, SUPPRESSED, "") and not math.isnan(float(pct)):
        attack.linear.append(([(now, 1.0), (before, -(1 + float(pct) / 100))], 0.0))


def _growth(
    attack: Attack, pct: Any, value: str, measure: str, cell: tuple[str, str], month: date
) -> None:
    if pct in (None, SUPPRESSED, "") or math.isnan(float(pct)):
        return
    now, before = (value, measure, cell, month), (value, measure, cell, add_months(month, -12))
    attack.linear.append(([(now, 1.0), (before, -(1 + float(pct) / 100))], 0.0))


def _baseline_end(label: Any) -> date | None:
    text = str(label or "")
    return date(int(text[:4]) + 1, 3, 1) if text[:4].isdigit() else None


def secrets(results: pd.DataFrame, threshold: int) -> dict[Var, float]:
    """Every count from 1 to threshold - 1 in the full results, and the harm days of crimes so
    counted: what a public version must not give away."""
    out: dict[Var, float] = {}
    for row in results.to_dict(orient="records"):
        measure, cell = str(row["measure_id"]), (str(row["area_level"]), str(row["area"]))
        month = row["month"]
        pairs = {"crimes": [("num", "numerator"), ("r12num", "rolling_12m_numerator")],
                 "solved": [("num", "numerator"), ("den", "denominator"), ("r12num", "rolling_12m_numerator"),
                            ("r12den", "rolling_12m_denominator")],
                 "harm": [("crimes", "crime_count"), ("r12crimes", "rolling_12m_crime_count")],
                 "per1000": [("num", "numerator"), ("r12num", "rolling_12m_numerator")]}[measure]  # fmt: skip
        for quantity, column in pairs:
            v = row.get(column)
            if v is not None and not math.isnan(v) and 0 < v < threshold:
                out[(quantity, measure, cell, month)] = float(v)
        if measure == "harm":
            for crimes, days, quantity in (("crime_count", "numerator", "num"), ("rolling_12m_crime_count", "rolling_12m", "r12num")):  # fmt: skip
                c = row.get(crimes)
                if c is not None and not math.isnan(c) and 0 < c < threshold:
                    out[(quantity, measure, cell, month)] = float(row[days])
    return out


def recovered(
    published: Iterable[Mapping[str, Any]], truth: Mapping[Var, float]
) -> list[tuple[Var, float]]:
    """The hidden counts the attacker works out exactly from `published` rows."""
    attack = Attack()
    identities(attack)
    read_rows(attack, published)
    known = attack.solve()
    return sorted(
        (var, value)
        for var, value in truth.items()
        if var in known and abs(known[var] - value) < 1e-6 * max(1.0, abs(value))
    )


# ---------------------------------------------------------------------------------------------
# Reading the public files back, as a reader would


class _Tables(HTMLParser):
    """Every <table> of a page as rows of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1].append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def html_rows(text: str) -> list[dict[str, Any]]:
    """Results rows for what the page's tables print exactly: counts and harm days (rates and
    changes are rounded to one decimal, so give nothing exact)."""
    parser = _Tables()
    parser.feed(text)
    ids = {m.name: m.id for *_, m in FRAMEWORK.measures() if m.kind in ("count", "harm")}
    out: list[dict[str, Any]] = []
    base = {"month": REPORTING, "baseline_period": "2019/20"}
    for table in (t for t in parser.tables if t):
        head, *body = table
        for row in body:
            if row[0] not in ids:
                continue
            measure = ids[row[0]]
            if head[1] == "Rolling 12 months":  # a scorecard
                out.append({**base, "measure_id": measure, "area_level": "force", "area": "all",
                            "rolling_12m": _number(row[1]), "baseline": _number(row[2])})  # fmt: skip
            else:  # a breakdown by area or district
                level = "area" if set(head[1:]) <= {"North", "South"} else "district"
                for area, cell in zip(head[1:], row[1:], strict=True):
                    out.append({**base, "measure_id": measure, "area_level": level, "area": area,
                                "rolling_12m": _number(cell)})  # fmt: skip
    return out


def _number(text: str) -> Any:
    if text == SUPPRESSED:
        return SUPPRESSED
    try:
        return float(text.replace(",", "").replace(" days", ""))
    except ValueError:
        return None


def csv_rows(path: Path) -> list[dict[str, Any]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            {k: (None if v == "" else v) for k, v in row.items()} for row in csv.DictReader(handle)
        ]


def xlsx_rows(path: Path) -> list[dict[str, Any]]:
    """The Results and Series sheets as rows (a Series row's baseline is the year before its
    financial year, as every reader knows)."""
    book = openpyxl.load_workbook(path, read_only=True)
    out: list[dict[str, Any]] = []
    for sheet in ("Results", "Series"):
        head, *body = list(book[sheet].iter_rows(values_only=True))
        for values in body:
            row = dict(zip(head, values, strict=True))
            if sheet == "Series":
                month = pd.Timestamp(row["month"]).date()
                row["baseline_period"] = fy_label(fy_start_year(month) - 1)
            out.append(row)
    book.close()
    return out
