"""Reference tables made visible to ingest SQL, and the shared geography join.

District comes from the LSOA: the 2011 LSOA lookup by code first, then (for 2021 codes, which
data.police.uk uses from 2023) the local-authority name that starts the LSOA name
(`Peterborough 019A`). A force with no configured districts gets its local authorities as
districts, so any force has district tables with no setup. Rows outside the force keep district
NULL and are counted.
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
    "ref_lad_extra": "lad_forces_extra",
}

_LSOA_SUFFIX = "'\\s+\\d{3}[A-Z]$'"
"""What follows the local-authority name in an LSOA name: 'Peterborough 019A' -> 'Peterborough'."""

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
    # Every local authority with the force it lies in, under the name LSOA names start with.
    # Forces are matched to the lookup's few force names first: the condition is not an
    # equality, so joined to every LSOA it would compare each with every force.
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE ref_lads AS
        WITH named AS (
            SELECT p.police_force, f.name AS force
            FROM (SELECT DISTINCT police_force FROM ref_lsoa11) p JOIN ref_forces f
              ON f.prc_name = p.police_force OR starts_with(f.name, p.police_force || ' '))
        SELECT DISTINCT regexp_replace(l.lsoa11_name, {_LSOA_SUFFIX}, '') AS lad_prefix, n.force
        FROM ref_lsoa11 l JOIN named n USING (police_force)
        UNION SELECT lad_prefix, force FROM ref_lad_extra"""
    )


def geography_join(force: str, lsoa_code: str, lsoa_name: str) -> str:
    """LEFT JOINs giving aliases `d1` (by LSOA 2011 code) and `d2` (by LSOA name prefix)."""
    return (
        f" LEFT JOIN ref_lsoa11 l ON l.lsoa11_code = nullif(trim({lsoa_code}), '')"
        f" LEFT JOIN ref_districts d1 ON d1.force = {force} AND d1.lad_code = l.lad_code"
        f" LEFT JOIN ref_districts d2 ON d2.force = {force} AND d2.lad_name ="
        f" regexp_replace(trim({lsoa_name}), {_LSOA_SUFFIX}, '')"
        f" LEFT JOIN ref_lads d3 ON d3.force = {force} AND d3.lad_prefix ="
        f" regexp_replace(coalesce(l.lsoa11_name, trim({lsoa_name})), {_LSOA_SUFFIX}, '')"
    )


PLACES = "_places"
"""Suffix of the staged table's places table made from `places_table`."""


def places_table(force: str, lsoa_code: str, lsoa_name: str) -> str:
    """SELECT of each distinct (force, LSOA code, LSOA name) of the staged rows with the district
    and area `geography_join` gives it: worked out once per place rather than once per row (a
    month of a force names a few hundred places in tens of thousands of rows), and once for all
    routes of a stage. The expressions may refer to staged columns through alias `s`."""
    inner = geography_join("u.f", "u.c", "u.n")
    return (
        f"SELECT u.f, u.c, u.n, {DISTRICT_FROM_JOIN} AS district, {AREA_FROM_JOIN} AS area"
        f" FROM (SELECT DISTINCT {force} AS f, {lsoa_code} AS c, {lsoa_name} AS n FROM {{stage}} s) u"
        f"{inner}"
    )


def places_join(force: str, lsoa_code: str, lsoa_name: str) -> str:
    """A LEFT JOIN giving alias `geo` (`district`, `area`) from the places table."""
    return (
        f" LEFT JOIN {{stage}}{PLACES} geo ON geo.f IS NOT DISTINCT FROM {force}"
        f" AND geo.c IS NOT DISTINCT FROM {lsoa_code} AND geo.n IS NOT DISTINCT FROM {lsoa_name}"
    )


DISTRICT_FROM_JOIN = "coalesce(d1.district, d2.district, d3.lad_prefix)"
"""The force's configured district, else the local authority (for any force in England and
Wales) when it lies in the force; NULL outside the force."""
AREA_FROM_JOIN = "coalesce(d1.area, d2.area)"
DISTRICT_FROM_PLACES = "geo.district"
"""The same, from the places table (`places_join`)."""
AREA_FROM_PLACES = "geo.area"
