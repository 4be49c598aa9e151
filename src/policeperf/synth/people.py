"""Pseudonymous people linked to demo crimes: offenders, suspects and victims.

Offending is concentrated as in the literature on "the power few": offenders are drawn with
weights proportional to rank^-1.1, so a small share of people account for a large share of crime.
Domestic abuse victims are drawn from a small pool, so repeat victimisation appears.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pyarrow as pa

from policeperf.synth.crimes import CELLS, CrimeRecords

OFFENDER_POOL = 60_000
CONCENTRATION = 1.1
SUSPECT_TYPES = {15, 16, 21}
COHORT_SIZE = 140
"""The most prolific offenders, adopted onto the managed cohort between October 2019 and March 2020."""
COHORT_REDUCTION = 0.85
"""Share of a cohort member's offending after adoption that does not happen (given to others)."""


def pseudonyms(prefix: str, n: int, salt: str) -> np.ndarray:
    """Stable pseudonymous identifiers: not reversible to the index without the salt."""
    return np.array(
        [
            prefix + hashlib.blake2b(f"{salt}:{i}".encode(), digest_size=5).hexdigest().upper()
            for i in range(n)
        ]
    )


def _zipf_draw(rng: np.random.Generator, pool: int, size: int, power: float) -> np.ndarray:
    weights = 1.0 / np.arange(1, pool + 1) ** power
    return rng.choice(pool, size=size, p=weights / weights.sum())


def generate_person_links(
    rng: np.random.Generator, records: CrimeRecords, outcome_types: np.ndarray
) -> pa.Table:
    crime_ref = records.crimes.column("CRIME_REF").to_numpy(zero_copy_only=False)
    offenders = pseudonyms("P", OFFENDER_POOL, "demo-offenders")
    off_rows = np.flatnonzero(records.positive)
    sus_rows = np.flatnonzero(np.isin(outcome_types, list(SUSPECT_TYPES)))
    linked = np.concatenate([off_rows, sus_rows])
    drawn = _zipf_draw(rng, OFFENDER_POOL, len(linked), CONCENTRATION)
    days = np.arange(np.datetime64("2019-10-01"), np.datetime64("2020-04-01"))
    adopted = rng.choice(days, size=COHORT_SIZE)
    member = drawn < COHORT_SIZE
    after = np.zeros(len(drawn), dtype=bool)
    after[member] = records.recorded[linked][member] >= adopted[drawn[member]]
    moved = after & (rng.random(len(drawn)) < COHORT_REDUCTION)
    drawn[moved] = rng.integers(COHORT_SIZE, OFFENDER_POOL, int(moved.sum()))
    people = offenders[drawn]
    cohort = pa.table(
        {"person_id": offenders[:COHORT_SIZE], "adopted": np.datetime_as_string(adopted)}
    )
    roles = np.concatenate([np.full(len(off_rows), "OFF"), np.full(len(sus_rows), "SUS")])

    has_victim = np.array([c.has_victim for c in CELLS])[records.cells]
    da = np.array([c.name == "domestic_abuse" for c in CELLS])[records.cells]
    victim_rows = np.flatnonzero(has_victim)
    victims = np.empty(len(victim_rows), dtype=object)
    da_rows = da[victim_rows]
    da_pool = max(1, int(da_rows.sum() * 0.55))
    victims[da_rows] = pseudonyms("V", da_pool, "demo-da-victims")[
        _zipf_draw(rng, da_pool, int(da_rows.sum()), 0.6)
    ]
    other_pool = max(1, int((~da_rows).sum() * 0.9))
    victims[~da_rows] = pseudonyms("V", other_pool, "demo-victims")[
        rng.integers(0, other_pool, int((~da_rows).sum()))
    ]
    table = pa.table(
        {
            "CRIME_REF": np.concatenate([crime_ref[linked], crime_ref[victim_rows]]),
            "PERSON_REF": np.concatenate([people, victims.astype(str)]),
            "ROLE": np.concatenate([roles, np.full(len(victim_rows), "VIC")]),
        }
    )
    # One person may be linked twice to the same crime by chance; a force export would not.
    keys = ["CRIME_REF", "PERSON_REF", "ROLE"]
    return table.group_by(keys).aggregate([]).sort_by([(k, "ascending") for k in keys]), cohort
