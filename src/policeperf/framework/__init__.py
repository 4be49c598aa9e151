"""Frameworks: YAML files validated into typed models (pillars -> priorities -> measures)."""

from policeperf.framework.loader import SHIPPED, load_framework
from policeperf.framework.models import (
    Filters,
    FocusArea,
    Framework,
    Measure,
    Pillar,
    Priority,
    Settings,
)

__all__ = [
    "SHIPPED",
    "Filters",
    "FocusArea",
    "Framework",
    "Measure",
    "Pillar",
    "Priority",
    "Settings",
    "load_framework",
]
