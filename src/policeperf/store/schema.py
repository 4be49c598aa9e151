"""The canonical schema: one definition that serves both the DDL and ingest validation.

Each record table is a list of `Column`s. The store renders them to `CREATE TABLE`, and ingest uses
the same specs to cast, check and quarantine input rows, so a rule cannot exist in one place and be
missing in the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SCHEMA_VERSION = 4
"""Version of the canonical schema written by this release. Older stores are migrated forward.
Version 2 added coverage; version 3 the history of revised records (`*_history`,
`ingest_batches.superseded_by`); version 4 the `activities` table and the per-standard flags,
offence and markers of `investigations`."""


@dataclass(frozen=True)
class Column:
    """One column of a canonical table."""

    name: str
    sql_type: str
    """DuckDB type: VARCHAR, DATE, TIMESTAMP, DOUBLE, BIGINT, SMALLINT, BOOLEAN or SMALLINT[]."""
    required: bool = False
    """A row with no value here is quarantined."""
    choices: tuple[str, ...] | None = None
    """Allowed values (after mapping); anything else is quarantined."""
    minimum: float | None = None
    maximum: float | None = None
    doc: str = ""
    filterable: bool = False
    """A framework measure may select records by this column (`filters: {column: value}`)."""


@dataclass(frozen=True)
class Table:
    """A canonical record table."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    """Columns that identify a record; a second row with the same key is quarantined as duplicate."""
    month_column: str | None = None
    """Date column used for 'months covered' in status."""
    doc: str = ""
    system_columns: tuple[Column, ...] = field(
        default=(
            Column("batch_id", "INTEGER", doc="ingest batch that wrote the row"),
            Column(
                "source_line", "BIGINT", doc="CSV record number in the source file (header = 1)"
            ),
        )
    )

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def filterable(self) -> dict[str, Column]:
        """The columns a measure may filter on, by name."""
        return {c.name: c for c in self.columns if c.filterable}


def _geo() -> tuple[Column, ...]:
    return (
        Column("area", "VARCHAR", doc="policing area, e.g. North"),
        Column(
            "district",
            "VARCHAR",
            doc="district / community safety partnership; NULL outside the force",
        ),
        Column("lsoa_code", "VARCHAR"),
        Column("lsoa_name", "VARCHAR"),
        Column("location", "VARCHAR", doc="street-level description as published"),
        Column("longitude", "DOUBLE", minimum=-180, maximum=180),
        Column("latitude", "DOUBLE", minimum=-90, maximum=90),
    )


def _offence(*, category_required: bool = False) -> tuple[Column, ...]:
    return (
        Column(
            "offence_code", "VARCHAR", doc="Home Office offence code when known", filterable=True
        ),
        Column(
            "offence_category",
            "VARCHAR",
            required=category_required,
            doc="data.police.uk crime category",
            filterable=True,
        ),
        Column("offence_group", "VARCHAR", filterable=True),
        Column("offence_subgroup", "VARCHAR", filterable=True),
    )


MARKERS = ("domestic_abuse", "hate", "sharp_instrument", "csa", "cse")
"""Crime markers: flags a force sets on a record, each a filter."""


def _markers() -> tuple[Column, ...]:
    docs = {"csa": "child sexual abuse", "cse": "child sexual exploitation"}
    return tuple(
        Column(
            m,
            "BOOLEAN",
            doc=docs.get(m, "NULL where the source has no markers"),
            filterable=True,
        )
        for m in MARKERS
    )


DATE_PRECISIONS = ("day", "month")
ROLES = ("offender", "suspect", "victim")
CALL_LINES = ("999", "101", "other")
GRADES = ("emergency", "priority", "prompt", "scheduled", "no_attendance")

CRIMES = Table(
    "crimes",
    (
        Column("crime_id", "VARCHAR", required=True),
        Column("force", "VARCHAR", required=True),
        Column(
            "recorded_date", "DATE", required=True, doc="first of the month when precision is month"
        ),
        Column("date_precision", "VARCHAR", required=True, choices=DATE_PRECISIONS),
        *_offence(category_required=True),
        *_markers(),
        *_geo(),
        Column("last_outcome_label", "VARCHAR"),
        Column("context", "VARCHAR"),
    ),
    key=("crime_id",),
    month_column="recorded_date",
    doc="Recorded crimes, one row per crime.",
)

OUTCOMES = Table(
    "outcomes",
    (
        Column("crime_id", "VARCHAR", required=True),
        Column("force", "VARCHAR", required=True),
        Column("outcome_date", "DATE", required=True),
        Column("date_precision", "VARCHAR", required=True, choices=DATE_PRECISIONS),
        Column(
            "outcome_type",
            "SMALLINT",
            minimum=0,
            maximum=22,
            doc="Home Office outcome type; NULL when the label stands for several types",
        ),
        Column("outcome_types", "SMALLINT[]", doc="every type the source label may stand for"),
        Column("outcome_label", "VARCHAR", doc="the label as the source gave it"),
        *_geo(),
    ),
    key=("crime_id", "outcome_date", "outcome_label"),
    month_column="outcome_date",
    doc="Outcomes assigned to crimes, with their date.",
)

ASB_INCIDENTS = Table(
    "asb_incidents",
    (
        Column("force", "VARCHAR", required=True),
        Column("month", "DATE", required=True),
        *_geo(),
        Column("context", "VARCHAR"),
    ),
    month_column="month",
    doc="Anti-social behaviour incidents (police.uk street rows with no Crime ID).",
)

STOP_SEARCHES = Table(
    "stop_searches",
    (
        Column("force", "VARCHAR", required=True),
        Column("searched_at", "TIMESTAMP", required=True, doc="UTC"),
        Column("search_type", "VARCHAR", required=True, filterable=True),
        Column("part_of_operation", "BOOLEAN", filterable=True),
        Column("operation", "VARCHAR"),
        Column("latitude", "DOUBLE", minimum=-90, maximum=90),
        Column("longitude", "DOUBLE", minimum=-180, maximum=180),
        Column("gender", "VARCHAR", filterable=True),
        Column("age_range", "VARCHAR", filterable=True),
        Column("self_defined_ethnicity", "VARCHAR", filterable=True),
        Column("officer_defined_ethnicity", "VARCHAR", filterable=True),
        Column("legislation", "VARCHAR", filterable=True),
        Column("object_of_search", "VARCHAR", filterable=True),
        Column("outcome", "VARCHAR", filterable=True),
        Column("outcome_linked_to_object", "BOOLEAN", filterable=True),
        Column("removal_of_more_than_outer_clothing", "BOOLEAN", filterable=True),
        Column("area", "VARCHAR"),
        Column("district", "VARCHAR"),
    ),
    month_column="searched_at",
    doc="Stop and search records.",
)

INCIDENTS = Table(
    "incidents",
    (
        Column("incident_id", "VARCHAR", required=True),
        Column("force", "VARCHAR", required=True),
        Column("created_at", "TIMESTAMP", required=True),
        Column("arrived_at", "TIMESTAMP", doc="first officer on scene; NULL if not attended"),
        Column("grade", "VARCHAR", required=True, choices=GRADES, filterable=True),
        Column(
            "incident_type",
            "VARCHAR",
            doc="call type, e.g. domestic, crime, asb, public_safety",
            filterable=True,
        ),
        Column(
            "domestic_abuse", "BOOLEAN", doc="the incident's domestic-abuse flag", filterable=True
        ),
        Column("area", "VARCHAR"),
        Column("district", "VARCHAR"),
    ),
    key=("incident_id",),
    month_column="created_at",
    doc="Command-and-control incidents.",
)

CALLS = Table(
    "calls",
    (
        Column("call_id", "VARCHAR", required=True),
        Column("force", "VARCHAR", required=True),
        Column("line", "VARCHAR", required=True, choices=CALL_LINES, filterable=True),
        Column("received_at", "TIMESTAMP", required=True),
        Column("answered_seconds", "DOUBLE", minimum=0, doc="seconds to answer; NULL if abandoned"),
        Column("abandoned", "BOOLEAN", required=True),
        Column("district", "VARCHAR"),
    ),
    key=("call_id",),
    month_column="received_at",
    doc="Telephony: one row per call offered.",
)

SURVEY_RESPONSES = Table(
    "survey_responses",
    (
        Column("response_id", "VARCHAR", required=True),
        Column("force", "VARCHAR", required=True),
        Column(
            "survey",
            "VARCHAR",
            required=True,
            doc="e.g. victim_satisfaction, public_confidence",
            filterable=True,
        ),
        Column("aspect", "VARCHAR", required=True, doc="e.g. whole_experience", filterable=True),
        Column("response_date", "DATE", required=True),
        Column("answer", "VARCHAR"),
        Column(
            "satisfied", "BOOLEAN", required=True, doc="the answer counts towards the percentage"
        ),
        Column("area", "VARCHAR"),
        Column("district", "VARCHAR"),
        Column(
            "crime_category",
            "VARCHAR",
            doc="for victim surveys: the crime the victim reported",
            filterable=True,
        ),
    ),
    key=("response_id", "aspect"),
    month_column="response_date",
    doc="Survey responses (victim satisfaction, public confidence).",
)

PERSON_LINKS = Table(
    "person_links",
    (
        Column("crime_id", "VARCHAR", required=True),
        Column("person_id", "VARCHAR", required=True, doc="pseudonymous"),
        Column("role", "VARCHAR", required=True, choices=ROLES),
    ),
    key=("crime_id", "person_id", "role"),
    doc="Links between crimes and pseudonymous people.",
)

STANDARD_FLAGS = (
    "allocated",
    "vcc_contact_due",
    "vcc_contact_made",
    "supervisory_review_due",
    "supervisory_review_done",
    "suspect_managed",
)
"""Per-standard crime-management flags of an investigation event: a proportion of one standard
counts the events where it was met among those where it was due."""

INVESTIGATIONS = Table(
    "investigations",
    (
        Column("crime_id", "VARCHAR", required=True),
        Column("snapshot_date", "DATE", required=True, doc="the day of the event or audit"),
        Column("status", "VARCHAR", doc="e.g. under_investigation, filed", filterable=True),
        Column(
            "compliant",
            "BOOLEAN",
            doc="meets the force's crime-management standard as a whole (every standard due met)",
            filterable=True,
        ),
        Column(
            "allocated",
            "BOOLEAN",
            doc="allocated to an investigator within the force's standard",
            filterable=True,
        ),
        Column(
            "vcc_contact_due",
            "BOOLEAN",
            doc="a Victim Care Contract contact fell due",
            filterable=True,
        ),
        Column(
            "vcc_contact_made",
            "BOOLEAN",
            doc="the Victim Care Contract contact due was made on time",
            filterable=True,
        ),
        Column(
            "supervisory_review_due",
            "BOOLEAN",
            doc="a supervisory review fell due",
            filterable=True,
        ),
        Column(
            "supervisory_review_done",
            "BOOLEAN",
            doc="the supervisory review due was done on time",
            filterable=True,
        ),
        Column(
            "suspect_managed",
            "BOOLEAN",
            doc="the named suspect is managed (arrested, interviewed or circulated) to standard; "
            "NULL where there is no suspect",
            filterable=True,
        ),
        Column("force", "VARCHAR", doc="NULL: the force of the crime (crimes table)"),
        Column("district", "VARCHAR", doc="NULL: the district of the crime"),
        Column("area", "VARCHAR"),
        *_offence(),
        *_markers(),
    ),
    key=("crime_id", "snapshot_date"),
    month_column="snapshot_date",
    doc="Crime-management events and audits, one row per investigation event. Offence, markers, "
    "force and district left empty are taken from the crime.",
)

AGE_BANDS = ("under_18", "18_24", "25_34", "35_44", "45_54", "55_64", "65_plus")

ACTIVITY_TYPES = (
    "arrest",
    "voluntary_interview",
    "dispersal_authorisation",
    "dispersal_direction",
    "criminal_behaviour_order",
    "community_protection_warning",
    "community_protection_notice",
    "closure_order",
    "injunction",
    "gang_injunction",
    "knife_crime_prevention_order",
    "stalking_protection_order",
    "domestic_violence_protection_notice",
    "domestic_violence_protection_order",
    "sexual_harm_prevention_order",
    "warrant",
    "seizure",
    "asset_recovery",
    "fraud_referral",
    "non_crime_investigation",
    "sex_offender_visit",
    "casefile_submission",
    "pre_charge_submission",
    "data_quality_audit",
    "custody_detention",
    "other",
)
"""What an activity record is: a power or order used, a referral, seizure, arrest, visit, file or
audit finding. A force's own codes are mapped to these (`values:` in the mapping)."""

ACTIVITIES = Table(
    "activities",
    (
        Column("activity_id", "VARCHAR", required=True),
        Column("force", "VARCHAR", required=True),
        Column("activity_date", "DATE", required=True),
        Column("activity_type", "VARCHAR", required=True, choices=ACTIVITY_TYPES, filterable=True),
        Column(
            "outcome",
            "VARCHAR",
            doc="status or result as the force records it, e.g. granted, breached, error_found",
            filterable=True,
        ),
        Column(
            "quantity",
            "DOUBLE",
            doc="amount of the activity in `unit` (e.g. pounds recovered, grams seized)",
        ),
        Column(
            "unit", "VARCHAR", doc="unit of `quantity`, e.g. gbp, grams, items", filterable=True
        ),
        Column("person_id", "VARCHAR", doc="pseudonymous person, as in person_links; optional"),
        Column("crime_id", "VARCHAR", doc="the crime the activity concerns; optional"),
        Column("age_band", "VARCHAR", choices=AGE_BANDS, filterable=True),
        Column("domestic_abuse", "BOOLEAN", filterable=True),
        Column("gang_related", "BOOLEAN", doc="youth or gang violence work", filterable=True),
        Column("area", "VARCHAR"),
        Column("district", "VARCHAR"),
    ),
    key=("activity_id",),
    month_column="activity_date",
    doc="Police activity that is not a crime: one row per use of a power or order, referral, "
    "seizure, arrest, visit, case file or audit finding.",
)

HO_RECORDED_CRIME = Table(
    "ho_recorded_crime",
    (
        Column("financial_year", "VARCHAR", required=True, doc="e.g. 2017/18"),
        Column("quarter", "SMALLINT", required=True, minimum=1, maximum=4),
        Column("force", "VARCHAR", required=True),
        Column("offence_code", "VARCHAR", required=True),
        Column("offence_description", "VARCHAR"),
        Column("offence_group", "VARCHAR"),
        Column("offence_subgroup", "VARCHAR"),
        Column(
            "offences",
            "BIGINT",
            required=True,
            doc="may be negative: the tables carry later cancellations and reclassifications",
        ),
    ),
    doc="Home Office police recorded crime, Police Force Area open data table. Not keyed: the "
    "published table repeats an offence code on several rows (e.g. homicide's sub-offences).",
)

RECORD_TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        CRIMES,
        OUTCOMES,
        ASB_INCIDENTS,
        STOP_SEARCHES,
        INCIDENTS,
        CALLS,
        SURVEY_RESPONSES,
        PERSON_LINKS,
        INVESTIGATIONS,
        ACTIVITIES,
        HO_RECORDED_CRIME,
    )
}

COVERAGE_DDL = """
CREATE TABLE IF NOT EXISTS coverage (
    batch_id INTEGER NOT NULL,
    force VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    table_name VARCHAR NOT NULL,
    month DATE NOT NULL
);
"""
"""The months of data received: one row per batch x force x canonical table x month covered.
A month with no row here is missing for that table, never zero (see store/coverage.py)."""

SYSTEM_DDL = (
    COVERAGE_DDL
    + """
CREATE TABLE IF NOT EXISTS schema_meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS ingest_batches (
    batch_id INTEGER PRIMARY KEY,
    source VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    table_name VARCHAR NOT NULL,
    file VARCHAR NOT NULL,
    content_sha256 VARCHAR NOT NULL,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP NOT NULL,
    rows_in BIGINT NOT NULL,
    rows_accepted BIGINT NOT NULL,
    rows_quarantined BIGINT NOT NULL,
    forces VARCHAR,
    first_month DATE,
    last_month DATE,
    superseded_by INTEGER,
    CHECK (rows_in = rows_accepted + rows_quarantined)
);
CREATE TABLE IF NOT EXISTS quarantine (
    batch_id INTEGER NOT NULL,
    table_name VARCHAR NOT NULL,
    file VARCHAR NOT NULL,
    line BIGINT,
    field VARCHAR,
    check_name VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    raw VARCHAR
);
"""
)


def table_ddl(table: Table) -> str:
    """`CREATE TABLE` for a record table. Keys are enforced by ingest, which quarantines duplicates
    with a reason instead of failing the batch on a constraint."""
    cols = [f"    {c.name} {c.sql_type}" for c in (*table.columns, *table.system_columns)]
    return f"CREATE TABLE IF NOT EXISTS {table.name} (\n" + ",\n".join(cols) + "\n);"


REVISED_TABLES: dict[str, Table] = {
    t.name: t for t in (CRIMES, OUTCOMES, ASB_INCIDENTS, STOP_SEARCHES)
}
"""Tables whose rows a later publication can replace (data.police.uk republishes months). The
replaced rows move to `<table>_history`; the canonical table holds only current rows."""

REVISION_REASONS = ("republished", "revised")
"""Why a row left the current table: its month was republished, or its record (key) was
published again with different content."""

HISTORY_COLUMNS = (
    Column("superseded_by", "INTEGER", doc="ingest batch whose rows replaced this one"),
    Column("superseded_because", "VARCHAR", choices=REVISION_REASONS),
)


def history_name(table: Table) -> str:
    return f"{table.name}_history"


def history_ddl(table: Table) -> str:
    """`CREATE TABLE` for the history of a revised table: its columns, then why it was replaced."""
    cols = [
        f"    {c.name} {c.sql_type}"
        for c in (*table.columns, *table.system_columns, *HISTORY_COLUMNS)
    ]
    return f"CREATE TABLE IF NOT EXISTS {history_name(table)} (\n" + ",\n".join(cols) + "\n);"


def full_ddl() -> str:
    """DDL of a new store at `SCHEMA_VERSION`."""
    return (
        SYSTEM_DDL
        + "\n".join(table_ddl(t) for t in RECORD_TABLES.values())
        + "\n"
        + "\n".join(history_ddl(t) for t in REVISED_TABLES.values())
    )


# -- National tables: every force, from published national sources ----------------------------
# Kept apart from RECORD_TABLES: they hold published aggregates, not records, and are created
# by the national ingest when first used (`national_ddl`), so older stores need no migration.


def _national_force() -> tuple[Column, ...]:
    return (
        Column("force_code", "VARCHAR", required=True, doc="ONS police force area code"),
        Column("force", "VARCHAR", required=True, doc="force name as the store writes it"),
        Column("period_start", "DATE", required=True, doc="first month the figure counts"),
        Column("period_end", "DATE", required=True, doc="last month the figure counts (first day)"),
    )


NATIONAL_CRIME = Table(
    "national_crime",
    (
        *_national_force(),
        Column("financial_year", "VARCHAR", required=True, doc="e.g. 2019/20"),
        Column("quarter", "SMALLINT", required=True, minimum=1, maximum=4),
        Column("offence_code", "VARCHAR", required=True),
        Column("offence_description", "VARCHAR"),
        Column("offence_group", "VARCHAR"),
        Column("offence_subgroup", "VARCHAR"),
        Column("offences", "BIGINT", required=True, doc="may be negative (cancellations)"),
    ),
    month_column="period_start",
    doc="Home Office police recorded crime PFA tables: offences by force, quarter and offence code.",
)

NATIONAL_ROLLING_CRIME = Table(
    "national_rolling_crime",
    (
        *_national_force(),
        Column("offence_group", "VARCHAR", required=True),
        Column("offences", "BIGINT", required=True, doc="total of the 12 months ending period_end"),
    ),
    month_column="period_end",
    doc="Home Office / ONS recorded crime, rolling 12-month totals by force and offence group.",
)

NATIONAL_OUTCOMES = Table(
    "national_outcomes",
    (
        *_national_force(),
        Column("financial_year", "VARCHAR", required=True),
        Column("quarter", "SMALLINT", required=True, minimum=1, maximum=4),
        Column("offence_code", "VARCHAR", required=True),
        Column("offence_group", "VARCHAR"),
        Column("offence_subgroup", "VARCHAR"),
        Column("outcome_type", "SMALLINT", required=True, minimum=0, maximum=22),
        Column("outcome_description", "VARCHAR"),
        Column("outcome_group", "VARCHAR"),
        Column(
            "offences",
            "BIGINT",
            required=True,
            doc="offences recorded in the quarter with this outcome to date (type 0: none yet)",
        ),
        Column("outcomes_in_quarter", "BIGINT", doc="outcomes assigned in the quarter"),
    ),
    month_column="period_start",
    doc="Home Office crime outcomes open data: outcomes of offences by force, quarter, code.",
)

NATIONAL_POPULATION = Table(
    "national_population",
    (
        *_national_force(),
        Column("year", "SMALLINT", required=True, doc="mid-year of the estimate"),
        Column("population", "BIGINT", required=True, minimum=0, doc="persons"),
        Column("households", "BIGINT", minimum=0, doc="households (projection)"),
    ),
    month_column="period_start",
    doc="Population of each police force area (ONS mid-year estimates); period is June.",
)

NATIONAL_STREET_COUNTS = Table(
    "national_street_counts",
    (
        *_national_force(),
        Column("lad_name", "VARCHAR", doc="local authority the crimes were located in"),
        Column("crime_type", "VARCHAR", required=True, doc="data.police.uk category"),
        Column("crimes", "BIGINT", required=True, minimum=0, doc="rows counted, as published"),
    ),
    month_column="period_start",
    doc="data.police.uk street-level crime counted by force, month, local authority and type.",
)

NATIONAL_TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        NATIONAL_CRIME,
        NATIONAL_ROLLING_CRIME,
        NATIONAL_OUTCOMES,
        NATIONAL_POPULATION,
        NATIONAL_STREET_COUNTS,
    )
}


def national_ddl() -> str:
    """`CREATE TABLE IF NOT EXISTS` of every national table."""
    return "\n".join(table_ddl(t) for t in NATIONAL_TABLES.values())
