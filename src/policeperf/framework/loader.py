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
from policeperf.framework.models import (
    NAMED_FILTER_COLUMNS,
    Filters,
    FilterValue,
    Framework,
    Measure,
    Settings,
)
from policeperf.reference import outcome_sets
from policeperf.reference.harm_weights import HarmWeights, load_weights
from policeperf.store.schema import RECORD_TABLES
from policeperf.yamlconf import ConfigError, Loc, load_yaml, problem, validate_file

SHIPPED = ("pcp", "police-uk", "operations")


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
    """Each filter names a filterable column of the measure's table (store schema) and values
    that column can hold: one of its choices, true/false for a flag, text otherwise."""
    issues: list[tuple[Loc, str]] = []
    for loc, m in _measure_locs(framework):
        issues += _filters_fit(m.table, m.filters, (*loc, "filters"))
    return issues


def success_filters_fit_table(framework: Framework) -> list[tuple[Loc, str]]:
    """A proportion's success filters test the same records as its filters, by the same rule."""
    issues: list[tuple[Loc, str]] = []
    for loc, m in _measure_locs(framework):
        if m.success is not None and m.success.filters is not None:
            issues += _filters_fit(m.table, m.success.filters, (*loc, "success", "filters"))
    return issues


def _filters_fit(table_name: str, filters: Filters, at: Loc) -> list[tuple[Loc, str]]:
    issues: list[tuple[Loc, str]] = []
    filterable = RECORD_TABLES[table_name].filterable
    named = sorted(k for k, c in NAMED_FILTER_COLUMNS.items() if c in filterable)
    if any(c.sql_type == "BOOLEAN" for c in filterable.values()):
        named.append("markers")
    allowed = ", ".join([*named, *filterable]) or "none"
    seen: dict[str, str] = {}
    for key, column, values in filters.by_column():
        where: Loc = (*at, key) + (
            ((filters.markers or ()).index(column),) if key == "markers" else ()
        )
        spec = filterable.get(column)
        if spec is None or (key == "markers" and spec.sql_type != "BOOLEAN"):
            what = (
                f"{column!r} is not a flag of"
                if key == "markers"
                else f"{key} does not apply to"
                if key in NAMED_FILTER_COLUMNS
                else f"{key} is not a filterable column of"
            )
            issues.append((where, f"{what} {table_name}; filters for {table_name}: {allowed}"))
            continue
        if column in seen:
            issues.append(
                (where, f"{column} is filtered twice (also by {seen[column]}); give it once")
            )
        seen[column] = key
        bad = _bad_value(spec.sql_type, spec.choices, values)
        if bad is not None:
            issues.append((where, bad))
    return issues


def _bad_value(
    sql_type: str, choices: tuple[str, ...] | None, values: tuple[FilterValue, ...]
) -> str | None:
    """Why one of `values` cannot be held by a column of this type and choices (None: all fit)."""
    for value in values:
        if sql_type == "BOOLEAN" and not isinstance(value, bool):
            return f"got {value!r}; expected true or false"
        if sql_type != "BOOLEAN" and not isinstance(value, str):
            return f"got {value!r}; expected text (quote it, e.g. '{value}')"
        if choices is not None and value not in choices:
            return f"got {value!r}; expected one of {', '.join(choices)}"
    return None


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
