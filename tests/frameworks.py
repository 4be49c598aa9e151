"""Small framework files for tests: one pillar, one priority, one focus area, the measures given."""

from __future__ import annotations

from typing import Any

import yaml


def framework_yaml(
    measures: list[dict[str, Any]],
    *,
    name: str = "tiny",
    title: str = "Tiny",
    force: str | None = "Test Force",
    settings: dict[str, Any] | None = None,
) -> str:
    """The YAML text of a framework holding `measures` (each a measure mapping)."""
    doc: dict[str, Any] = {"name": name, "title": title, "version": "1"}
    if force is not None:
        doc["force"] = force
    if settings is not None:
        doc["settings"] = settings
    doc["pillars"] = [{"id": "p", "name": "Pillar", "priorities": [{"id": "q", "name": "Priority",
                       "focus_areas": [{"id": "f", "name": "Focus", "measures": measures}]}]}]  # fmt: skip
    return yaml.dump(doc, Dumper=_NoAliases, sort_keys=False, allow_unicode=True)


class _NoAliases(yaml.SafeDumper):
    """Writes a value shared by two measures out twice: framework files refuse aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


EVERY_KIND: list[dict[str, Any]] = [
    {"id": "k_count", "name": "Kind count", "kind": "count"},
    {"id": "k_harm", "name": "Kind harm", "kind": "harm"},
    {"id": "k_mean", "name": "Kind mean", "kind": "mean", "table": "incidents",
     "value": "response_minutes"},
    {"id": "k_median", "name": "Kind median", "kind": "median", "table": "incidents",
     "value": "response_minutes"},
    {"id": "k_outcome_count", "name": "Kind outcome count", "kind": "outcome_count",
     "outcome_set": "charge"},
    {"id": "k_outcome_rate", "name": "Kind outcome rate", "kind": "outcome_rate",
     "outcome_set": "positive"},
    {"id": "k_proportion", "name": "Kind proportion", "kind": "proportion", "of": "k_count",
     "success": {"filters": {"markers": ["domestic_abuse"]}}},
    {"id": "k_rate_per_population", "name": "Kind rate per population",
     "kind": "rate_per_population", "of": "k_count"},
    {"id": "k_ratio", "name": "Kind ratio", "kind": "ratio", "numerator": "k_outcome_count",
     "denominator": "k_count"},
    {"id": "k_sum", "name": "Kind sum", "kind": "sum", "table": "incidents",
     "value": "response_minutes"},
]  # fmt: skip
"""One measure of every shipped kind, for the demo force (each output must show them all)."""
