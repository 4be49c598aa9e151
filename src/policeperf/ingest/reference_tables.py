"""Reference tables made visible to ingest SQL, and the shared geography join.

District comes from the LSOA: the 2011 LSOA lookup by code first, then (for 2021 codes, which
data.police.uk uses from 2023) the local-authority name that starts the LSOA name
(`Peterborough 019A`). Rows outside the force's districts keep district NULL and are counted.
"""

from __future__ import annotations

import duckdb

from policeperf.reference import load_table

REFERENCE_VIEWS = {
    "ref_lsoa11": "lsoa11_lookup",
    "ref_districts": "districts",
    "ref_outcome_labels": "police_uk_outcome_labels",
    "ref_forces": "forces",
    "ref_offence_codes": "offence_codes",
}

POLICE_UK_CATEGORIES = (
    "Anti-social behaviour",
    "Bicycle theft",
    "Burglary",
    "Criminal damage and arson",
    "Drugs",
    "Other crime",
    "Other theft",
    "Possession of weapons",
    "Public order",
    "Robbery",
    "Shoplifting",
    "Theft from the person",
    "Vehicle crime",
    "Violence and sexual offences",
)
ASB_CATEGORY = "Anti-social behaviour"


def register_reference(con: duckdb.DuckDBPyConnection) -> None:
    """Load the reference tables ingest joins against as temporary tables of this connection
    (idempotent). Temporary tables, not Arrow views, so DuckDB keeps statistics for the joins."""
    for view, name in REFERENCE_VIEWS.items():
        con.register("__reference", load_table(name))
        con.execute(f"CREATE OR REPLACE TEMP TABLE {view} AS SELECT * FROM __reference")
        con.unregister("__reference")


def geography_join(force: str, lsoa_code: str, lsoa_name: str) -> str:
    """LEFT JOINs giving aliases `d1` (by LSOA 2011 code) and `d2` (by LSOA name prefix)."""
    return (
        f" LEFT JOIN ref_lsoa11 l ON l.lsoa11_code = nullif(trim({lsoa_code}), '')"
        f" LEFT JOIN ref_districts d1 ON d1.force = {force} AND d1.lad_code = l.lad_code"
        f" LEFT JOIN ref_districts d2 ON d2.force = {force} AND d2.lad_name ="
        f" regexp_replace(trim({lsoa_name}), '\\s+\\d{{3}}[A-Z]$', '')"
    )


DISTRICT_FROM_JOIN = "coalesce(d1.district, d2.district)"
AREA_FROM_JOIN = "coalesce(d1.area, d2.area)"
