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
