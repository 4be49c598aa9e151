"""Calls, incidents, surveys, ASB, stop and search and crime-management snapshots for the demo.

Calibrated figures: 999 answered within 10 s and 101 within 30 s (share of calls offered), survey
percentages with n, and the monthly median minutes to attend prompt-graded domestic incidents
(October to March), each exact for 2019/20 and 2020/21.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from policeperf.synth.allocate import count_near_rate, largest_remainder
from policeperf.synth.calendar import (
    FINANCIAL_YEARS,
    SEASONAL,
    days_in_month,
    format_times,
    fy_months,
)
from policeperf.synth.crimes import DISTRICT_WEIGHTS, DISTRICTS, serials
from policeperf.synth.targets import CALL_TARGETS_PCT, DA_PROMPT_MEDIAN_MINUTES, SURVEY_TARGETS

CALLS_PER_YEAR = {"999": 62_000, "101": 96_000}
DEFAULT_CALL_PCT = {"999": 91.5, "101": 80.0}
INCIDENT_GRADES = {"1": 0.14, "2": 0.30, "3": 0.36, "4": 0.20}
"""Force grading codes: 1 emergency, 2 priority, 3 prompt, 4 scheduled."""
GRADE_MEDIAN_MINUTES = {"1": 11.0, "2": 48.0, "3": 210.0, "4": 1_500.0}
PROMPT_DOMESTIC_PER_MONTH = 301
"""Odd, so the median is one observed value and exact."""
INCIDENTS_PER_MONTH = 6_500


def _district(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.array(DISTRICTS)[rng.choice(len(DISTRICTS), size=n, p=DISTRICT_WEIGHTS)]


def _times_in(rng: np.random.Generator, month: date, n: int) -> np.ndarray:
    seconds = rng.integers(0, days_in_month(month) * 86_400, n)
    return np.datetime64(month, "s") + seconds.astype("timedelta64[s]")


def _fmt(ts: np.ndarray, fmt: str) -> pa.Array:
    return format_times(ts, fmt)


def generate_calls(rng: np.random.Generator) -> pa.Table:
    """One row per call offered on 999 and 101."""
    cols: dict[str, list[np.ndarray]] = {"line": [], "at": [], "secs": [], "abandoned": []}
    for fy in FINANCIAL_YEARS:
        for (line, threshold), targets in CALL_TARGETS_PCT.items():
            volume = largest_remainder(
                round(CALLS_PER_YEAR[line] * rng.normal(1.0, 0.03)),
                SEASONAL * rng.normal(1, 0.04, 12),
            )
            pct = targets.get(fy, DEFAULT_CALL_PCT[line] + rng.normal(0, 1.0))
            within_total = count_near_rate(round(pct, 1), int(volume.sum()))
            monthly_pct = np.clip(pct / 100 + rng.normal(0, 0.015, 12), 0.5, 0.995)
            within = largest_remainder(within_total, volume * monthly_pct)
            within = np.minimum(within, volume)
            within[np.argmax(volume - within)] += within_total - int(within.sum())
            for month, n, w in zip(fy_months(fy), volume, within, strict=True):
                n, w = int(n), int(w)
                fast = np.round(rng.uniform(0.5, threshold, w), 1)
                slow_n = n - w
                abandoned = rng.random(slow_n) < 0.35
                slow = np.round(threshold + 0.1 + rng.exponential(threshold * 2.0, slow_n), 1)
                secs = np.concatenate([fast, np.where(abandoned, np.nan, slow)])
                cols["line"].append(np.full(n, line))
                cols["at"].append(_times_in(rng, month, n))
                cols["secs"].append(secs)
                cols["abandoned"].append(np.concatenate([np.zeros(w, bool), abandoned]))
    line = np.concatenate(cols["line"])
    at = np.concatenate(cols["at"])
    order = np.argsort(at, kind="stable")
    secs = np.concatenate(cols["secs"])[order]
    return pa.table(
        {
            "CALL_ID": serials("CL", np.arange(1, len(order) + 1), 8),
            "LINE": line[order],
            "OFFERED_AT": _fmt(at[order], "%Y-%m-%dT%H:%M:%S"),
            "SECONDS_TO_ANSWER": pa.array(secs, mask=np.isnan(secs)),
            "ABANDONED": np.where(np.concatenate(cols["abandoned"])[order], "TRUE", "FALSE"),
            "CSP": _district(rng, len(order)),
        }
    )


def exact_median_sample(
    rng: np.random.Generator, median: int, n: int, sigma: float = 0.6
) -> np.ndarray:
    """n (odd) whole-minute values whose median is exactly `median`."""
    assert n % 2 == 1
    values = np.sort(np.maximum(1, np.round(median * np.exp(rng.normal(0, sigma, n)))))
    mid = n // 2
    values[:mid] = np.minimum(values[:mid], median)
    values[mid] = median
    values[mid + 1 :] = np.maximum(values[mid + 1 :], median)
    return rng.permutation(values)


def generate_incidents(rng: np.random.Generator) -> pa.Table:
    """Command-and-control incidents; prompt domestic incidents carry the calibrated medians."""
    created: list[np.ndarray] = []
    minutes: list[np.ndarray] = []
    grade: list[np.ndarray] = []
    kind: list[np.ndarray] = []
    for fy in FINANCIAL_YEARS:
        medians = DA_PROMPT_MEDIAN_MINUTES.get(fy, {})
        for month in fy_months(fy):
            n = int(INCIDENTS_PER_MONTH * rng.normal(1.0, 0.05))
            g = rng.choice(list(INCIDENT_GRADES), size=n, p=list(INCIDENT_GRADES.values()))
            k = rng.choice(
                ["CRIME", "ASB", "PUBLIC SAFETY", "TRANSPORT", "DOMESTIC"],
                size=n,
                p=[0.38, 0.2, 0.22, 0.12, 0.08],
            )
            k[(g == "3") & (k == "DOMESTIC")] = "CRIME"  # prompt domestic are added below
            med = np.array([GRADE_MEDIAN_MINUTES[x] for x in g])
            mins = np.maximum(1, np.round(med * np.exp(rng.normal(0, 0.7, n))))
            target = medians.get(month.month, int(rng.normal(200, 25)))
            mins_da = exact_median_sample(rng, target, PROMPT_DOMESTIC_PER_MONTH)
            created.append(_times_in(rng, month, n + len(mins_da)))
            minutes.append(np.concatenate([mins, mins_da]))
            grade.append(np.concatenate([g, np.full(len(mins_da), "3")]))
            kind.append(np.concatenate([k, np.full(len(mins_da), "DOMESTIC")]))
    at = np.concatenate(created)
    order = np.argsort(at, kind="stable")
    at, mins, g, k = (
        at[order],
        np.concatenate(minutes)[order],
        np.concatenate(grade)[order],
        np.concatenate(kind)[order],
    )
    arrived = at + (mins * 60).astype("timedelta64[s]")
    not_attended = (g == "4") & (rng.random(len(g)) < 0.25) & (k != "DOMESTIC")
    arrived_text = _fmt(arrived, "%d/%m/%Y %H:%M:%S")
    return pa.table(
        {
            "INCIDENT_NO": serials("IN", np.arange(1, len(at) + 1), 8),
            "CREATED": _fmt(at, "%d/%m/%Y %H:%M:%S"),
            "ARRIVED": pc.if_else(
                pa.array(not_attended), pa.scalar(None, pa.string()), arrived_text
            ),
            "GRADE": g,
            "OPENING_CODE": k,
            "DA_FLAG": np.where(k == "DOMESTIC", "Y", "N"),
            "CSP": _district(rng, len(at)),
        }
    )


SATISFIED_ANSWERS = ("Completely satisfied", "Very satisfied", "Fairly satisfied")
NOT_SATISFIED_ANSWERS = (
    "Neither satisfied nor dissatisfied",
    "Fairly dissatisfied",
    "Very dissatisfied",
    "Completely dissatisfied",
)
AGREE_ANSWERS = ("Strongly agree", "Tend to agree")
NOT_AGREE_ANSWERS = ("Neither agree nor disagree", "Tend to disagree", "Strongly disagree")
VICTIM_ASPECTS = (
    "Whole experience",
    "Ease of contact",
    "Actions taken",
    "Kept informed",
    "Treatment",
)


def _survey_block(
    rng: np.random.Generator,
    fy: str,
    n: int,
    satisfied: int,
    yes: tuple[str, ...],
    no: tuple[str, ...],
) -> tuple[np.ndarray, np.ndarray]:
    """Dates and answers of n responses, `satisfied` of them in `yes`."""
    months = fy_months(fy)
    per_month = largest_remainder(n, np.ones(12) * rng.normal(1, 0.08, 12).clip(0.7, 1.3))
    dates = np.concatenate(
        [
            np.datetime64(m, "D") + rng.integers(0, days_in_month(m), int(c))
            for m, c in zip(months, per_month, strict=True)
        ]
    )
    answers = np.concatenate([rng.choice(yes, satisfied), rng.choice(no, n - satisfied)])
    return dates, rng.permutation(answers)


def generate_surveys(rng: np.random.Generator) -> pa.Table:
    """Victim satisfaction (by crime type, five aspects) and public confidence responses."""
    rows: dict[str, list[np.ndarray]] = {
        "survey": [],
        "aspect": [],
        "date": [],
        "answer": [],
        "crime": [],
        "id": [],
    }
    serial = 0
    for fy in FINANCIAL_YEARS:
        t = {k: v.get(fy) for k, v in SURVEY_TARGETS.items()}
        if t["victim_satisfaction"] is None:

            def synth(pct: float, n: int) -> tuple[float, int]:
                return round(pct + rng.normal(0, 1.5), 1), int(n * rng.normal(1, 0.05))

            t = {
                "public_confidence": synth(58.0, 1_600),
                "victim_satisfaction": synth(78.0, 1_280),
                "victim_satisfaction_dwelling_burglary": synth(86.0, 520),
                "victim_satisfaction_hate": synth(78.0, 110),
            }
        all_pct, all_n = t["victim_satisfaction"]  # type: ignore[misc]
        all_yes = count_near_rate(all_pct, all_n)
        groups = []
        taken_n = taken_yes = 0
        for crime, key in (
            ("Dwelling burglary", "victim_satisfaction_dwelling_burglary"),
            ("Hate crime", "victim_satisfaction_hate"),
        ):
            pct, n = t[key]  # type: ignore[misc]
            yes = count_near_rate(pct, n)
            groups.append((crime, n, yes))
            taken_n, taken_yes = taken_n + n, taken_yes + yes
        rest_n, rest_yes = all_n - taken_n, all_yes - taken_yes
        groups.extend(
            [
                ("Violent crime", rest_n // 2, rest_yes // 2),
                ("Vehicle crime", rest_n - rest_n // 2, rest_yes - rest_yes // 2),
            ]
        )
        for crime, n, yes in groups:
            for aspect in VICTIM_ASPECTS:
                aspect_yes = (
                    yes
                    if aspect == "Whole experience"
                    else min(n, int(n * rng.uniform(0.78, 0.93)))
                )
                dates, answers = _survey_block(
                    rng, fy, n, aspect_yes, SATISFIED_ANSWERS, NOT_SATISFIED_ANSWERS
                )
                rows["survey"].append(np.full(n, "VICTIM"))
                rows["aspect"].append(np.full(n, aspect))
                rows["date"].append(dates)
                rows["answer"].append(answers)
                rows["crime"].append(np.full(n, crime))
                rows["id"].append(np.arange(serial, serial + n))
            serial += n
        pct, n = t["public_confidence"]  # type: ignore[misc]
        dates, answers = _survey_block(
            rng, fy, n, count_near_rate(pct, n), AGREE_ANSWERS, NOT_AGREE_ANSWERS
        )
        rows["survey"].append(np.full(n, "CONFIDENCE"))
        rows["aspect"].append(np.full(n, "Police do a good or excellent job"))
        rows["date"].append(dates)
        rows["answer"].append(answers)
        rows["crime"].append(np.full(n, ""))
        rows["id"].append(np.arange(serial, serial + n))
        serial += n
    ids = np.concatenate(rows["id"])
    return pa.table(
        {
            "RESPONSE_ID": serials("SR", ids, 7),
            "SURVEY": np.concatenate(rows["survey"]),
            "QUESTION": np.concatenate(rows["aspect"]),
            "INTERVIEW_DATE": format_times(np.concatenate(rows["date"]), "%d/%m/%Y"),
            "ANSWER": np.concatenate(rows["answer"]),
            "CRIME_TYPE": np.concatenate(rows["crime"]),
            "CSP": _district(rng, len(ids)),
        }
    )


def generate_asb(rng: np.random.Generator) -> pa.Table:
    months, counts = [], []
    for fy in FINANCIAL_YEARS:
        total = int(16_000 * rng.normal(1, 0.05)) * (1.35 if fy == "2020/21" else 1)
        for m, c in zip(fy_months(fy), largest_remainder(int(total), SEASONAL), strict=True):
            months.append(np.full(int(c), m.strftime("%Y-%m")))
            counts.append(int(c))
    month = np.concatenate(months)
    return pa.table({"MONTH": month, "CSP": _district(rng, len(month))})


def generate_stop_searches(rng: np.random.Generator) -> pa.Table:
    at = []
    for fy in FINANCIAL_YEARS:
        for m in fy_months(fy):
            at.append(_times_in(rng, m, int(230 * rng.normal(1, 0.1))))
    ts = np.sort(np.concatenate(at))
    n = len(ts)
    return pa.table(
        {
            "SEARCH_TIME": _fmt(ts, "%Y-%m-%dT%H:%M:%S"),
            "SEARCH_TYPE": rng.choice(
                ["Person search", "Person and Vehicle search", "Vehicle search"],
                n,
                p=[0.7, 0.2, 0.1],
            ),
            "LEGISLATION": rng.choice(
                [
                    "Misuse of Drugs Act 1971 (section 23)",
                    "Police and Criminal Evidence Act 1984 (section 1)",
                ],
                n,
                p=[0.6, 0.4],
            ),
            "OBJECT": rng.choice(
                [
                    "Controlled drugs",
                    "Offensive weapons",
                    "Stolen goods",
                    "Articles for use in criminal damage",
                ],
                n,
                p=[0.6, 0.2, 0.15, 0.05],
            ),
            "RESULT": rng.choice(
                [
                    "A no further action disposal",
                    "Arrest",
                    "Community resolution",
                    "Penalty Notice for Disorder",
                ],
                n,
                p=[0.7, 0.15, 0.1, 0.05],
            ),
            "CSP": _district(rng, n),
        }
    )


def generate_investigations(
    rng: np.random.Generator, crime_refs: pa.Array, recorded: np.ndarray
) -> pa.Table:
    """Monthly crime-management audits of 400 recently recorded crimes."""
    refs, snaps, compliant = [], [], []
    for fy in FINANCIAL_YEARS:
        for m in fy_months(fy):
            start = np.datetime64(m, "D")
            window = np.flatnonzero(
                (recorded >= start - np.timedelta64(60, "D")) & (recorded < start)
            )
            if len(window) == 0:
                continue
            pick = rng.choice(window, size=min(400, len(window)), replace=False)
            refs.append(pick)
            snaps.append(np.full(len(pick), start))
            compliant.append(rng.random(len(pick)) < rng.uniform(0.8, 0.92))
    idx = np.concatenate(refs)
    return pa.table(
        {
            "CRIME_REF": pc.take(crime_refs, pa.array(idx)),
            "AUDIT_DATE": pc.strftime(pa.array(np.concatenate(snaps)), format="%d/%m/%Y"),
            "STATUS": np.full(len(idx), "Under investigation"),
            "COMPLIANT": np.where(np.concatenate(compliant), "Y", "N"),
        }
    )
