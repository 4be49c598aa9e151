"""The pcp framework with the new measure kinds and tables beside it, against pcp alone.

Measures of the kinds and tables added since pcp was written (a proportion with a numerator
filter, an outcome count, a mean, a sum, a ratio; counts over activities; proportions of
investigations by standard; incidents by their domestic-abuse flag) are added to pcp as one more
pillar, and both frameworks are evaluated on the demo force for the reporting month, as
`policeperf evaluate` does (rows of the reporting month), interleaved in one process with their compiled SQL kept (the second
and later runs of each). Every query the engine runs is listed by label with the record table it
reads, so "one scan per record table" can be checked. Target: the extended framework within 1.3x
of pcp alone.
"""

from __future__ import annotations

import copy
import time
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from benchmarks.harness import WORK, Result
from benchmarks.national import demo_store
from policeperf.engine import cube, evaluate
from policeperf.framework import load_framework
from policeperf.store import Store

NEW_MEASURES: list[dict[str, Any]] = [
    {"id": "x_violence", "name": "Violence against the person", "kind": "count",
     "filters": {"offence_groups": ["Violence against the person"]}},
    {"id": "x_weapon_share", "name": "Violence with a sharp instrument (share)",
     "kind": "proportion", "of": "x_violence",
     "success": {"filters": {"markers": ["sharp_instrument"]}}},
    {"id": "x_charges", "name": "Charges and summonses", "kind": "outcome_count",
     "outcome_set": "charge"},
    {"id": "x_charge_ratio", "name": "Charges per violent crime", "kind": "ratio",
     "numerator": "x_charges", "denominator": "x_violence"},
    {"id": "x_mean_response", "name": "Mean response time", "kind": "mean",
     "table": "incidents", "value": "response_minutes"},
    {"id": "x_minutes_total", "name": "Minutes to arrive, all incidents", "kind": "sum",
     "table": "incidents", "value": "response_minutes"},
]  # fmt: skip
"""New kinds over pcp's own tables; the operations framework's measures are added too."""


def extended_framework(folder: Path) -> Path:
    """pcp with one more pillar: the new kinds above and every operations measure."""
    pcp = yaml.safe_load(resources.files("policeperf.framework").joinpath("pcp.yaml").read_text())
    ops = yaml.safe_load(
        resources.files("policeperf.framework").joinpath("operations.yaml").read_text()
    )
    ops_measures = [
        copy.deepcopy(m)
        for pillar in ops["pillars"]
        for priority in pillar["priorities"]
        for focus in priority["focus_areas"]
        for m in focus["measures"]
    ]
    pcp["pillars"].append({"id": "new", "name": "New measures", "priorities": [
        {"id": "new_kinds", "name": "New kinds and tables", "focus_areas": [
            {"id": "new_kinds", "name": "New kinds", "measures": NEW_MEASURES},
            {"id": "new_tables", "name": "New tables", "measures": ops_measures},
        ]}]})  # fmt: skip
    path = folder / "pcp-extended.yaml"
    path.write_text(yaml.safe_dump(pcp, sort_keys=False, allow_unicode=True))
    return path


def _queries(db: Store, framework: Any) -> list[str]:
    """The labels of the queries one evaluation runs, in order."""
    seen: list[str] = []
    original = cube.Queries.run

    def counting(self: cube.Queries, label: str, build: Any) -> Any:
        seen.append(label)
        return original(self, label, build)

    cube.Queries.run = counting  # type: ignore[method-assign]
    try:
        evaluate(db, framework, "2021-03", row_months=None)
    finally:
        cube.Queries.run = original  # type: ignore[method-assign]
    return seen


def run(rounds: int = 5) -> Result:
    WORK.mkdir(parents=True, exist_ok=True)
    pcp = load_framework("pcp")
    extended = load_framework(extended_framework(WORK))
    month = "2021-03"
    reporting = date(2021, 3, 1)
    times: dict[str, list[float]] = {"pcp": [], "extended": []}
    with Store(demo_store(), read_only=True) as db:
        for framework in (pcp, extended):  # compile once each: the timed runs use kept SQL
            evaluate(db, framework, month, row_months=[])
        for _ in range(rounds):
            for name, framework in (("pcp", pcp), ("extended", extended)):
                start = time.perf_counter()
                evaluate(db, framework, month, row_months=[reporting])
                times[name].append(time.perf_counter() - start)
        queries = {"pcp": _queries(db, pcp), "extended": _queries(db, extended)}
    median = {k: sorted(v)[len(v) // 2] for k, v in times.items()}
    ratio = median["extended"] / median["pcp"]
    return Result(
        name="kinds_extended_pcp",
        description=__doc__.strip(),
        metric="time ratio pcp + new measures / pcp, demo force, reporting month",
        value=round(ratio, 2),
        target="<= 1.3x",
        passed=ratio <= 1.3,
        command="python -m benchmarks.run kinds",
        details={
            "measures": {
                "pcp": len(list(pcp.measures())),
                "extended": len(list(extended.measures())),
            },
            "runs (s)": {k: [round(t, 3) for t in v] for k, v in times.items()},
            "queries": queries,
        },
    )
