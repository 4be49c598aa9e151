"""Complementary suppression: a hidden figure must not be recoverable from the figures shown for
the areas around it.

Additive figures obey the geography: the force is the sum of its policing areas (and of any
district outside an area), the force is the sum of its districts, and each area is the sum of its
districts. A hidden district next to a shown area and shown sister districts is the area minus
the others. So after the small counts are hidden, whatever the relations still determine is
protected by hiding one more figure, the smallest shown non-zero one in a relation with it, until
no hidden figure is determined (exactly: its unit vector is not in the row space of the
relations restricted to hidden figures).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping

import numpy as np

Cell = tuple[str, str]
"""(area level, area): ("force", "all"), ("area", "North"), ("district", "Fenland")."""
Relation = tuple[Cell, tuple[Cell, ...]]
"""total = sum of parts."""
FORCE: Cell = ("force", "all")


def relations(cells: Collection[Cell], parents: Mapping[str, str | None]) -> list[Relation]:
    """The sums that hold between `cells`; `parents` maps a district to its policing area.

    >>> relations([FORCE, ("area", "N"), ("district", "a")], {"a": "N"})
    [(('force', 'all'), (('area', 'N'),)), (('force', 'all'), (('district', 'a'),)), (('area', 'N'), (('district', 'a'),))]
    """
    present = set(cells)
    areas = sorted(c for c in present if c[0] == "area")
    districts = sorted(c for c in present if c[0] == "district")
    area_names = {name for _, name in areas}
    out: list[Relation] = []
    if FORCE in present:
        outside = [d for d in districts if parents.get(d[1]) not in area_names]
        for parts in (tuple(areas + outside), tuple(districts)):
            if parts:
                out.append((FORCE, parts))
    for area in areas:
        parts = tuple(d for d in districts if parents.get(d[1]) == area[1])
        if parts:
            out.append((area, parts))
    return list(dict.fromkeys(out))


def determined(hidden: Iterable[Cell], rels: Iterable[Relation]) -> Cell | None:
    """A hidden cell whose value the relations give from the shown cells, or None."""
    order = sorted(set(hidden))
    if not order:
        return None
    index = {cell: i for i, cell in enumerate(order)}
    rows = []
    for total, parts in rels:
        row = np.zeros(len(order))
        if total in index:
            row[index[total]] += 1.0
        for part in parts:
            if part in index:
                row[index[part]] -= 1.0
        if row.any():
            rows.append(row)
    if not rows:
        return None
    matrix = np.array(rows)
    rank = np.linalg.matrix_rank(matrix)
    for cell, i in index.items():
        unit = np.zeros(len(order))
        unit[i] = 1.0
        if np.linalg.matrix_rank(np.vstack([matrix, unit])) == rank:
            return cell
    return None


def _pick(candidates: Iterable[Cell], size: Mapping[Cell, float]) -> Cell | None:
    def key(cell: Cell) -> tuple[bool, float, Cell]:
        s = size.get(cell, math.inf)
        s = math.inf if s is None or (isinstance(s, float) and math.isnan(s)) else float(s)
        return (s == 0, s, cell)  # the smallest non-zero figure first; zeros protect nothing

    ranked = sorted(set(candidates), key=key)
    return ranked[0] if ranked else None


def protect(
    hidden: Collection[Cell], rels: list[Relation], size: Mapping[Cell, float]
) -> set[Cell]:
    """`hidden` grown until no hidden cell is determined by `rels` from the shown cells. `size`
    (the count behind each cell) chooses the complement: the smallest shown non-zero cell in a
    relation with the exposed one.

    >>> rels = relations([FORCE, ("district", "a"), ("district", "b")], {})
    >>> sorted(protect({("district", "a")}, rels, {("district", "b"): 40, FORCE: 43}))
    [('district', 'a'), ('district', 'b')]
    """
    out = set(hidden)
    while (cell := determined(out, rels)) is not None:
        near = [
            c for total, parts in rels if cell == total or cell in parts for c in (total, *parts)
        ]
        anywhere = [c for total, parts in rels for c in (total, *parts)]
        choice = _pick((c for c in near if c not in out), size) or _pick(
            (c for c in anywhere if c not in out), size
        )
        if choice is None:
            break
        out.add(choice)
    return out
