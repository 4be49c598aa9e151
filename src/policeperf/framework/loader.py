"""Loading a framework by name (shipped) or path, then checking cross-references.

Schema problems come from pydantic with file and line; the rules here check what a single field
cannot: unique ids, outcome sets that exist, filters that fit the measure's table. Every rule
returns all the issues it finds, so one run reports every problem.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from policeperf.errors import PolicePerfError
from policeperf.framework.models import Framework, Measure, Settings
from policeperf.reference import outcome_sets
from policeperf.reference.harm_weights import HarmWeights, load_weights
from policeperf.yamlconf import ConfigError, Loc, load_yaml, problem, validate_file

SHIPPED = ("pcp", "police-uk")

TABLE_FILTERS: dict[str, set[str]] = {
    "crimes": {"categories", "offence_codes", "offence_groups", "offence_subgroups", "markers"},
    "incidents": {"grades", "incident_types"},
    "calls": {"lines"},
    "survey_responses": {"survey", "aspects", "crime_categories"},
    "asb_incidents": set(),
    "stop_searches": {"search_objects"},
    "investigations": set(),
}


def shipped_path(name: str) -> Path:
    return Path(str(resources.files("policeperf.framework").joinpath(f"{name}.yaml")))


def resolve(name_or_path: str | Path) -> Path:
    """A shipped framework's file, or the given path."""
    text = str(name_or_path)
    if text in SHIPPED:
        return shipped_path(text)
    path = Path(text)
    if not path.exists():
        raise PolicePerfError(
            f"{text}: no such framework file; shipped frameworks: {', '.join(SHIPPED)}"
        )
    return path


Rule = Callable[[Framework], list[tuple[Loc, str]]]


def unique_ids(framework: Framework) -> list[tuple[Loc, str]]:
    ids = Counter(m.id for *_, m in framework.measures())
    return [
        (loc, f"measure id {m.id!r} is used {ids[m.id]} times")
        for loc, m in _measure_locs(framework)
        if ids[m.id] > 1
    ]


def known_outcome_sets(framework: Framework) -> list[tuple[Loc, str]]:
    sets = outcome_sets()
    return [
        ((*loc, "outcome_set"), f"got {m.outcome_set!r}; expected one of {', '.join(sorted(sets))}")
        for loc, m in _measure_locs(framework)
        if m.outcome_set is not None and m.outcome_set not in sets
    ]


def filters_fit_table(framework: Framework) -> list[tuple[Loc, str]]:
    issues = []
    for loc, m in _measure_locs(framework):
        given = {k for k, v in m.filters.model_dump().items() if v is not None}
        wrong = sorted(given - TABLE_FILTERS[m.table])
        if wrong:
            allowed = ", ".join(sorted(TABLE_FILTERS[m.table])) or "none"
            issues.append(
                (
                    (*loc, "filters"),
                    f"{', '.join(wrong)} do not apply to {m.table}; filters for {m.table}: {allowed}",
                )
            )
    return issues


def success_filters_fit_table(framework: Framework) -> list[tuple[Loc, str]]:
    """A proportion's success filters test the same records as its filters."""
    issues = []
    for loc, m in _measure_locs(framework):
        if m.success is None or m.success.filters is None:
            continue
        given = {k for k, v in m.success.filters.model_dump().items() if v is not None}
        wrong = sorted(given - TABLE_FILTERS[m.table])
        if wrong:
            issues.append(
                ((*loc, "success", "filters"), f"{', '.join(wrong)} do not apply to {m.table}")
            )
    return issues


def references_hold(framework: Framework) -> list[tuple[Loc, str]]:
    """Measures named by `of`, `numerator` and `denominator` exist and fit (found while the
    framework was validated, reported here with their lines)."""
    locs = {m.id: loc for loc, m in _measure_locs(framework)}
    return [((*locs[i], field), message) for i, field, message in framework.reference_issues]


RULES: tuple[Rule, ...] = (
    references_hold,
    unique_ids,
    known_outcome_sets,
    filters_fit_table,
    success_filters_fit_table,
)


def _measure_locs(framework: Framework) -> list[tuple[Loc, Measure]]:
    out: list[tuple[Loc, Measure]] = []
    for pi, pillar in enumerate(framework.pillars):
        for ri, priority in enumerate(pillar.priorities):
            for fi, focus in enumerate(priority.focus_areas):
                for mi, measure in enumerate(focus.measures):
                    loc: Loc = ("pillars", pi, "priorities", ri, "focus_areas", fi, "measures", mi)
                    out.append((loc, measure))
    return out


def load_framework(name_or_path: str | Path) -> Framework:
    """A validated framework; raises ConfigError listing every problem with its line."""
    path = resolve(name_or_path)
    framework = validate_file(path, Framework, context={"defer_references": True})
    _, lines = load_yaml(path)
    issues: list[str] = []
    for rule in RULES:
        try:
            found = rule(framework)
        except Exception as exc:  # a crashing rule is reported, not allowed to hide the others
            found = [((), f"rule {rule.__name__} failed: {exc}")]
        issues.extend(problem(str(path), lines, loc, message) for loc, message in found)
    if issues:
        raise ConfigError(str(path), issues)
    return framework


def harm_weights(settings: Settings, force: str | None) -> HarmWeights:
    """The harm weights a framework's settings name, for the force (its category fallback)."""
    return load_weights(settings.harm_weights, force, include_proactive=settings.include_proactive)
