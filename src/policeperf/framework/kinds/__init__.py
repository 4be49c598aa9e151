"""Measure kinds: one module each, found here by name.

Each module of this package (other than `base` and `values`) defines `KIND`, its `Kind`. Adding
a kind is adding a module: the registry, the framework's validation, the engine and every output
find it here.

>>> sorted(KINDS)[:3]
['count', 'harm', 'mean']
"""

from __future__ import annotations

import importlib
import pkgutil

from policeperf.framework.kinds.base import COUNT, MINUTES, PCT, SECONDS, Kind, Unit

_SUPPORT = ("base", "values")


def _discover() -> dict[str, Kind]:
    found: dict[str, Kind] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name in _SUPPORT or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        k: Kind = module.KIND
        found[k.name] = k
    return dict(sorted(found.items()))


KINDS: dict[str, Kind] = _discover()
"""Kind name -> kind, every shipped kind."""

UNITS: dict[str, Unit] = {
    u.name: u for u in (COUNT, PCT, MINUTES, SECONDS, *(u for k in KINDS.values() for u in k.units))
}
"""Unit name -> how figures in it are written and drawn."""


def kind(name: str) -> Kind:
    """The kind called `name`; raises KeyError naming the kinds there are."""
    try:
        return KINDS[name]
    except KeyError:
        raise KeyError(f"no measure kind {name!r}; kinds: {', '.join(KINDS)}") from None


def unit(name: str) -> Unit:
    """The unit called `name` (a count for a name no kind gives, e.g. an empty row)."""
    return UNITS.get(name, COUNT)


__all__ = ["KINDS", "UNITS", "Kind", "Unit", "kind", "unit"]
