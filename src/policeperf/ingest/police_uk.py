"""data.police.uk archives: street-level crime, outcomes, and stop and search.

File kinds are told apart by their header; a file whose name says one kind but whose header is
another is refused. Street rows with crime type 'Anti-social behaviour' (which have no Crime ID)
go to `asb_incidents`, the rest to `crimes`. Outcome labels become Home Office outcome types
through the reference table: a label that stands for several types keeps `outcome_type` NULL and
lists every candidate in `outcome_types`.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from policeperf.errors import InputFileError
from policeperf.ingest.batch import StageFiles
from policeperf.ingest.files import InputFile, police_uk_name_parts, read_header
from policeperf.ingest.reader import Staged, stage_csv
from policeperf.ingest.reference_tables import (
    AREA_FROM_PLACES,
    ASB_CATEGORY,
    DISTRICT_FROM_PLACES,
    PLACES,
    POLICE_UK_CATEGORIES,
    places_join,
    places_table,
)
from policeperf.ingest.validate import Route, Source, sql_str, trim_sql
from policeperf.store.schema import ASB_INCIDENTS, CRIMES, OUTCOMES, STOP_SEARCHES

SOURCE = "police-uk"

STREET_HEADER = [
    "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
    "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context",
]  # fmt: skip
OUTCOMES_HEADER = [
    "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
    "LSOA code", "LSOA name", "Outcome type",
]  # fmt: skip
STOP_SEARCH_HEADER = [
    "Type", "Date", "Part of a policing operation", "Policing operation", "Latitude", "Longitude",
    "Gender", "Age range", "Self-defined ethnicity", "Officer-defined ethnicity", "Legislation",
    "Object of search", "Outcome", "Outcome linked to object of search",
    "Removal of more than just outer clothing",
]  # fmt: skip
HEADERS = {
    "street": STREET_HEADER,
    "outcomes": OUTCOMES_HEADER,
    "stop-and-search": STOP_SEARCH_HEADER,
}

MONTH = "%Y-%m"


def c(name: str) -> str:
    """A staged column of the source file."""
    return 's."' + name + '"'


def _month(name: str = "Month") -> Source:
    return Source(c(name), name, typed=f"try_strptime({trim_sql(c(name))}, '{MONTH}')::DATE",
                  expected="a month (YYYY-MM)")  # fmt: skip


def _geo_sources() -> dict[str, Source]:
    return {
        "district": Source(DISTRICT_FROM_PLACES, "LSOA code"),
        "area": Source(AREA_FROM_PLACES, "LSOA code"),
        "lsoa_code": Source(c("LSOA code"), "LSOA code"),
        "lsoa_name": Source(c("LSOA name"), "LSOA name"),
        "location": Source(c("Location"), "Location"),
        "longitude": Source(c("Longitude"), "Longitude"),
        "latitude": Source(c("Latitude"), "Latitude"),
    }


_PLACE = (trim_sql(c("Falls within")), c("LSOA code"), c("LSOA name"))
_GEO_FROM = "{stage} s" + places_join(*_PLACE)
_GEO_TABLES = {PLACES: places_table(*_PLACE)}
_IS_ASB = f"{trim_sql(c('Crime type'))} = {sql_str(ASB_CATEGORY)}"
_CATEGORIES = tuple(x for x in POLICE_UK_CATEGORIES if x != ASB_CATEGORY)


def street_routes() -> list[Route]:
    crimes = Route(
        CRIMES,
        {
            "crime_id": Source(c("Crime ID"), "Crime ID"),
            "force": Source(c("Falls within"), "Falls within"),
            "recorded_date": _month(),
            "date_precision": Source("'month'", "Month"),
            "offence_category": Source(
                c("Crime type"),
                "Crime type",
                values={x: x for x in _CATEGORIES},
            ),
            **_geo_sources(),
            "last_outcome_label": Source(c("Last outcome category"), "Last outcome category"),
            "context": Source(c("Context"), "Context"),
        },
        where=f"NOT coalesce({_IS_ASB}, false)",
        from_sql=_GEO_FROM,
        helpers=_GEO_TABLES,
        raw_columns=STREET_HEADER,
    )
    asb = Route(
        ASB_INCIDENTS,
        {
            "force": Source(c("Falls within"), "Falls within"),
            "month": _month(),
            **_geo_sources(),
            "context": Source(c("Context"), "Context"),
        },
        where=f"coalesce({_IS_ASB}, false)",
        from_sql=_GEO_FROM,
        helpers=_GEO_TABLES,
        raw_columns=STREET_HEADER,
    )
    return [crimes, asb]


def outcome_routes() -> list[Route]:
    types = "list_transform(string_split(outcome_types, ';'), lambda x: x::SMALLINT)"
    # Each label's types are worked out once in the join, not once per row.
    labels = (
        f"SELECT label, CASE WHEN coalesce(outcome_types, '') = '' THEN []::SMALLINT[] "
        f"ELSE {types} END AS types FROM ref_outcome_labels"
    )
    return [
        Route(
            OUTCOMES,
            {
                "crime_id": Source(c("Crime ID"), "Crime ID"),
                "force": Source(c("Falls within"), "Falls within"),
                "outcome_date": _month(),
                "date_precision": Source("'month'", "Month"),
                "outcome_label": Source(
                    c("Outcome type"),
                    "Outcome type",
                    typed="lab.label",
                    expected="a data.police.uk outcome label (reference police_uk_outcome_labels)",
                ),
                "outcome_types": Source(
                    c("Outcome type"),
                    "Outcome type",
                    typed="lab.types",
                    expected="a data.police.uk outcome label",
                ),
                "outcome_type": Source(
                    "NULL",
                    "Outcome type",
                    typed="CASE WHEN len(lab.types) = 1 THEN lab.types[1] END",
                ),
                **_geo_sources(),
            },
            from_sql=_GEO_FROM
            + f" LEFT JOIN ({labels}) lab ON lab.label = {trim_sql(c('Outcome type'))}",
            helpers=_GEO_TABLES,
            raw_columns=OUTCOMES_HEADER,
        )
    ]


def stop_search_routes(force: str) -> list[Route]:
    def text(name: str) -> Source:
        return Source(c(name), name)

    return [
        Route(
            STOP_SEARCHES,
            {
                "force": Source(sql_str(force), "force"),
                "searched_at": Source(
                    c("Date"),
                    "Date",
                    typed=f"coalesce(try_strptime({trim_sql(c('Date'))}, '%Y-%m-%dT%H:%M:%S%z')::TIMESTAMP,"
                    f" try_cast({trim_sql(c('Date'))} AS TIMESTAMP))",
                    expected="an ISO 8601 date and time",
                ),
                "search_type": text("Type"),
                "part_of_operation": text("Part of a policing operation"),
                "operation": text("Policing operation"),
                "latitude": text("Latitude"),
                "longitude": text("Longitude"),
                "gender": text("Gender"),
                "age_range": text("Age range"),
                "self_defined_ethnicity": text("Self-defined ethnicity"),
                "officer_defined_ethnicity": text("Officer-defined ethnicity"),
                "legislation": text("Legislation"),
                "object_of_search": text("Object of search"),
                "outcome": text("Outcome"),
                "outcome_linked_to_object": text("Outcome linked to object of search"),
                "removal_of_more_than_outer_clothing": text(
                    "Removal of more than just outer clothing"
                ),
            },
            raw_columns=STOP_SEARCH_HEADER,
        )
    ]


def detect_kind(file: InputFile) -> str:
    """The police.uk kind of a file from its header, cross-checked with its name."""
    header = read_header(file.path, file.name)
    kinds = [kind for kind, expected in HEADERS.items() if header == expected]
    named = police_uk_name_parts(file.name)
    if not kinds:
        expected = "; or ".join(f"{k}: {','.join(h)}" for k, h in HEADERS.items())
        if named and named[1] in HEADERS:
            expected = f"{named[1]}: {','.join(HEADERS[named[1]])}"
        got = ",".join(header)[:120]
        raise InputFileError(
            file.name,
            f"header is not a data.police.uk file header (got '{got}'); expected {expected}",
        )
    kind = kinds[0]
    if named and named[1] != kind:
        raise InputFileError(
            file.name, f"file name says '{named[1]}' but the header is a '{kind}' header"
        )
    return kind


def force_for_stop_search(
    con: duckdb.DuckDBPyConnection, file: InputFile, given: str | None
) -> str:
    """Stop-and-search files carry no force column: take it from --force or the file name."""
    if given:
        return given
    named = police_uk_name_parts(file.name)
    if named:
        rows = con.execute("SELECT name FROM ref_forces WHERE slug = ?", [named[0]]).fetchall()
        if rows:
            return str(rows[0][0])
    raise InputFileError(
        file.name,
        "cannot tell the force of a stop-and-search file; name it YYYY-MM-force-stop-and-search.csv "
        "or pass --force",
    )


def plan(
    con: duckdb.DuckDBPyConnection, file: InputFile, force: str | None = None
) -> tuple[str, tuple[str, ...], StageFiles, list[Route]]:
    """(kind, group key, staging function, routes) for one police.uk file. Files with the same
    group key are staged by one scan."""
    kind = detect_kind(file)
    header = HEADERS[kind]

    def stage(conn: duckdb.DuckDBPyConnection, files: Sequence[InputFile]) -> Staged:
        return stage_csv(conn, [(f.path, f.name) for f in files], header)

    if kind == "street":
        return kind, (kind,), stage, street_routes()
    if kind == "outcomes":
        return kind, (kind,), stage, outcome_routes()
    chosen = force_for_stop_search(con, file, force)
    return kind, (kind, chosen), stage, stop_search_routes(chosen)
