"""Forces most like a force, computed from the data with the method stated.

The Home Office's published most similar groups (MSGs) are built by HMICFRS and the Home Office
from socio-demographic and geographic variables that predict crime (docs/national.md); their
membership is not shipped here. This is a transparent alternative from what the store holds:
each force is described by features (log population, and log rates per 1,000 of the main crime
groups), each feature is standardised across the forces (mean 0, standard deviation 1) so that
none dominates by its units, and the forces nearest in Euclidean distance are its peers.

Choosing peers by crime mix makes them alike in the very rates then compared, so a force tends
to fall "within the peer range" of such peers; the method is named on every output for that
reason, and a user-supplied peer group (e.g. the published MSG) is preferred where available.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SimilarForces:
    """The nearest forces to one force, with the distances and the method."""

    force: str
    peers: tuple[str, ...]
    distances: tuple[float, ...]
    features: tuple[str, ...]
    dropped: tuple[str, ...]
    """Features not used: not positive for every force (a log needs a positive value)."""
    basis: str
    """What the features were computed from (sources and years)."""

    def method(self) -> str:
        used = ", ".join(self.features)
        text = (
            f"most similar {len(self.peers)} computed: nearest by Euclidean distance on "
            f"standardised {used} ({self.basis})"
        )
        if self.dropped:
            text += "; not used (not positive for every force): " + ", ".join(self.dropped)
        return text


def standardise(matrix: np.ndarray) -> np.ndarray:
    """Each column to mean 0 and (sample) standard deviation 1; a constant column to 0.

    >>> standardise(np.array([[1.0, 5.0], [3.0, 5.0]])).tolist()
    [[-0.7071067811865475, 0.0], [0.7071067811865475, 0.0]]
    """
    mean = matrix.mean(axis=0)
    sd = matrix.std(axis=0, ddof=1)
    safe = np.where(sd > 0, sd, 1.0)
    return np.where(sd > 0, (matrix - mean) / safe, 0.0)


def most_similar(
    features: Mapping[str, Mapping[str, float]],
    force: str,
    k: int,
    *,
    basis: str,
    names: Sequence[str] | None = None,
) -> SimilarForces:
    """The `k` forces nearest `force` on log-transformed, standardised `features`.

    Args:
        features: force -> feature name -> value (all positive to be used).
        force: the force whose peers are wanted; must be a key of `features`.
        k: how many peers (at most the number of other forces).
        basis: the sources and years, named in the method.
        names: the features to use, in order (default: those of `force`).
    """
    forces = sorted(features)
    wanted = list(names) if names is not None else sorted(features[force])
    used = [
        f for f in wanted
        if all(f in features[x] and features[x][f] > 0 for x in forces)
    ]  # fmt: skip
    dropped = tuple(f for f in wanted if f not in used)
    matrix = np.array([[math.log(features[x][f]) for f in used] for x in forces])
    z = standardise(matrix) if len(used) else np.zeros((len(forces), 0))
    me = z[forces.index(force)]
    distance = np.sqrt(((z - me) ** 2).sum(axis=1))
    # Rounded so that equal distances computed in different orders tie, then go by name.
    pairs = zip(distance, forces, strict=True)
    order = sorted((round(float(d), 9), x) for d, x in pairs if x != force)
    nearest = order[: max(0, k)]
    return SimilarForces(
        force=force,
        peers=tuple(x for _, x in nearest),
        distances=tuple(d for d, _ in nearest),
        features=tuple(f"log {f}" for f in used),
        dropped=dropped,
        basis=basis,
    )
