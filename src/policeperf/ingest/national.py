"""National sources: every force from published tables (Home Office, ONS, data.police.uk counts).

Five kinds of file, told apart by their header: the Home Office police recorded crime PFA table
(any financial year), the rolling 12-month PFA totals, the crime outcomes open data, the ONS PFA
population table and data.police.uk street counts by force and month. Each follows the store's
rules (one transaction, every row accepted or quarantined with a reason, the same content is
never ingested twice) and every force name is resolved through the force reference
(`reference/national_forces.py`): a name it does not know is quarantined, never dropped.

Coverage is recorded exactly: a force covers the months its accepted rows count, so a force or a
month absent from a file is absent from the store, never zero (`record_coverage`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from policeperf.errors import InputFileError
from policeperf.ingest.batch import Clock, StageFiles, utc_now
from policeperf.ingest.files import InputFile, read_header
from policeperf.ingest.gzip_inputs import unpacked
from policeperf.ingest.reader import Staged, stage_csv
from policeperf.ingest.reference_tables import POLICE_UK_CATEGORIES
from policeperf.ingest.run import IngestReport, Progress, Starting, ingest_files
from policeperf.ingest.validate import Route, Source, sql_str
from policeperf.reference.national_forces import alias_key_sql, load_force_reference
from policeperf.store import Store
from policeperf.store.schema import (
    NATIONAL_CRIME,
    NATIONAL_OUTCOMES,
    NATIONAL_POPULATION,
    NATIONAL_ROLLING_CRIME,
    NATIONAL_STREET_COUNTS,
    NATIONAL_TABLES,
    national_ddl,
)

SOURCE = "national"
ALIASES = "ref_force_aliases"
FORCE_EXPECTED = "a police force area in the force reference (reference/data/national_forces.csv)"
WHOLE = "'[+-]?[0-9]+(\\.0+)?'"
"""A whole number, as the tables write it: `9`, ` 9 `, `9.0` or `-00`."""


def c(name: str) -> str:
    return 's."' + name + '"'


def whole(expr: str) -> str:
    """SQL reading whole-number text (`9.0` included); anything else, e.g. `2.5`, stays NULL."""
    return (
        f"(CASE WHEN regexp_full_match(trim({expr}), {WHOLE}) "
        f"THEN try_cast(try_cast(trim({expr}) AS DOUBLE) AS BIGINT) END)"
    )


def force_sources(column: str, label: str) -> dict[str, Source]:
    return {
        "force_code": Source(c(column), label, typed="fa.code", expected=FORCE_EXPECTED),
        "force": Source(c(column), label, typed="fa.force", expected=FORCE_EXPECTED),
    }


def force_join(column: str) -> str:
    return f"{{stage}} s LEFT JOIN {ALIASES} fa ON fa.key = {alias_key_sql(c(column))}"


def quarter_start(year: str, quarter: str) -> str:
    """First day of a financial quarter: Q1 of 2019/20 starts April 2019."""
    return (
        f"(CASE WHEN regexp_full_match(trim({year}), '\\d{{4}}/\\d{{2}}') "
        f"AND trim({quarter}) IN ('1', '2', '3', '4') "
        f"THEN (make_date(left(trim({year}), 4)::INTEGER, 4, 1) "
        f"+ to_months(3 * (trim({quarter})::INTEGER - 1)))::DATE END)"
    )


def financial_sources(year: str, quarter: str) -> dict[str, Source]:
    start = quarter_start(c(year), c(quarter))
    fy = "a financial year such as 2019/20"
    return {
        "period_start": Source(c(year), year, typed=start, expected=fy),
        "period_end": Source(c(year), year, typed=f"({start} + INTERVAL 2 MONTH)::DATE", expected=fy),
        "financial_year": Source(
            c(year), year,
            typed=f"CASE WHEN regexp_full_match(trim({c(year)}), '\\d{{4}}/\\d{{2}}') THEN trim({c(year)}) END",
            expected=fy,
        ),
        "quarter": Source(c(quarter), quarter),
    }  # fmt: skip


PRC_HEADER = [
    "Financial Year", "Financial Quarter", "Force Name", "Offence Description", "Offence Group",
    "Offence Subgroup", "Offence Code", "Number of Offences",
]  # fmt: skip
ROLLING_HEADER = [
    "12 months ending", "PFA", "Region", "Offence", "Rolling year total number of offences",
]  # fmt: skip
OUTCOMES_HEADER = [
    "financial_year", "financial_quarter", "force_name", "offence_description", "offence_group",
    "offence_subgroup", "offence_code", "offence_code_expired", "outcome_description",
    "outcome_group", "outcome_type", "offences", "force_outcomes_recorded_in_quarter",
]  # fmt: skip
STREET_HEADER = ["month", "falls_within", "lad_name", "crime_type", "crimes"]
POPULATION_HEADER = re.compile(r"^code,name,MYE(\d{4}),SNHP(\d{4})$")


def prc_routes(_: list[str]) -> list[Route]:
    return [
        Route(
            NATIONAL_CRIME,
            {
                **force_sources("Force Name", "Force Name"),
                **financial_sources("Financial Year", "Financial Quarter"),
                "offence_code": Source(c("Offence Code"), "Offence Code"),
                "offence_description": Source(c("Offence Description"), "Offence Description"),
                "offence_group": Source(c("Offence Group"), "Offence Group"),
                "offence_subgroup": Source(c("Offence Subgroup"), "Offence Subgroup"),
                "offences": Source(
                    c("Number of Offences"),
                    "Number of Offences",
                    typed=whole(c("Number of Offences")),
                    expected="a whole number",
                ),
            },
            from_sql=force_join("Force Name"),
            raw_columns=PRC_HEADER,
        )
    ]


def rolling_routes(_: list[str]) -> list[Route]:
    col = "12 months ending"
    end = f"date_trunc('month', try_strptime(trim({c(col)}), '%d-%m-%Y'))::DATE"
    expected = "a date DD-MM-YYYY"
    return [
        Route(
            NATIONAL_ROLLING_CRIME,
            {
                **force_sources("PFA", "PFA"),
                "period_start": Source(
                    c(col), col, typed=f"({end} - INTERVAL 11 MONTH)::DATE", expected=expected
                ),
                "period_end": Source(c(col), col, typed=end, expected=expected),
                "offence_group": Source(c("Offence"), "Offence"),
                "offences": Source(
                    c("Rolling year total number of offences"),
                    "Rolling year total number of offences",
                    typed=whole(c("Rolling year total number of offences")),
                    expected="a whole number",
                ),
            },
            from_sql=force_join("PFA"),
            raw_columns=ROLLING_HEADER,
        )
    ]


def _na(name: str) -> str:
    """A column where the R export writes `NA` for no value."""
    return f"nullif(trim({c(name)}), 'NA')"


def outcomes_routes(_: list[str]) -> list[Route]:
    def text(name: str) -> Source:
        return Source(_na(name), name)

    return [
        Route(
            NATIONAL_OUTCOMES,
            {
                **force_sources("force_name", "force_name"),
                **financial_sources("financial_year", "financial_quarter"),
                "offence_code": text("offence_code"),
                "offence_group": text("offence_group"),
                "offence_subgroup": text("offence_subgroup"),
                "outcome_type": text("outcome_type"),
                "outcome_description": text("outcome_description"),
                "outcome_group": text("outcome_group"),
                "offences": Source(
                    _na("offences"),
                    "offences",
                    typed=whole(_na("offences")),
                    expected="a whole number",
                ),
                "outcomes_in_quarter": Source(
                    _na("force_outcomes_recorded_in_quarter"),
                    "force_outcomes_recorded_in_quarter",
                    typed=whole(_na("force_outcomes_recorded_in_quarter")),
                    expected="a whole number or NA",
                ),
            },
            from_sql=force_join("force_name"),
            raw_columns=OUTCOMES_HEADER,
        )
    ]


def population_routes(header: list[str]) -> list[Route]:
    persons, households = header[2], header[3]
    year = int(persons[3:])
    mid = f"DATE '{year:04d}-06-01'"
    return [
        Route(
            NATIONAL_POPULATION,
            {
                "force_code": Source(
                    c("name"),
                    "code/name",
                    typed="coalesce(fc.code, fa.code)",
                    expected=FORCE_EXPECTED + ", not a region or country",
                ),
                "force": Source(
                    c("name"),
                    "code/name",
                    typed="coalesce(fc.force, fa.force)",
                    expected=FORCE_EXPECTED,
                ),
                "period_start": Source(sql_str(year), persons, typed=mid),
                "period_end": Source(sql_str(year), persons, typed=mid),
                "year": Source(sql_str(year), persons),
                "population": Source(c(persons), persons),
                "households": Source(c(households), households),
            },
            from_sql=(
                f"{{stage}} s LEFT JOIN {ALIASES} fc ON fc.key = {alias_key_sql(c('code'))}"
                f" AND nullif(trim({c('code')}), '') IS NOT NULL"
                f" LEFT JOIN {ALIASES} fa ON fa.key = {alias_key_sql(c('name'))}"
            ),
            raw_columns=header,
        )
    ]


def street_routes(_: list[str]) -> list[Route]:
    month = f"try_strptime(trim({c('month')}), '%Y-%m')::DATE"
    return [
        Route(
            NATIONAL_STREET_COUNTS,
            {
                **force_sources("falls_within", "falls_within"),
                "period_start": Source(c("month"), "month", typed=month, expected="YYYY-MM"),
                "period_end": Source(c("month"), "month", typed=month, expected="YYYY-MM"),
                "lad_name": Source(c("lad_name"), "lad_name"),
                "crime_type": Source(
                    c("crime_type"), "crime_type", values={k: k for k in POLICE_UK_CATEGORIES}
                ),
                "crimes": Source(c("crimes"), "crimes"),
            },
            from_sql=force_join("falls_within"),
            raw_columns=STREET_HEADER,
        )
    ]


@dataclass(frozen=True)
class Kind:
    """One national file kind: what it is called, how its header is recognised, its routes."""

    name: str
    what: str
    matches: Callable[[list[str]], bool]
    routes: Callable[[list[str]], list[Route]]


KINDS = (
    Kind("prc-pfa", "Home Office police recorded crime PFA table",
         lambda h: h == PRC_HEADER, prc_routes),
    Kind("rolling-pfa", "Home Office rolling-year recorded crime by PFA",
         lambda h: h == ROLLING_HEADER, rolling_routes),
    Kind("outcomes-pfa", "Home Office crime outcomes open data",
         lambda h: h == OUTCOMES_HEADER, outcomes_routes),
    Kind("population-pfa", "ONS police force area population (code,name,MYEyyyy,SNHPyyyy)",
         lambda h: POPULATION_HEADER.match(",".join(h)) is not None, population_routes),
    Kind("street-counts", "data.police.uk street counts by force and month",
         lambda h: h == STREET_HEADER, street_routes),
)  # fmt: skip


def detect(file: InputFile) -> tuple[Kind, list[str]]:
    """The kind of a national file, from its header; one line naming the kinds otherwise."""
    header = read_header(file.path, file.name)
    for kind in KINDS:
        if kind.matches(header):
            return kind, header
    raise InputFileError(
        file.name,
        "not a national source file (header "
        + ",".join(header)[:120]
        + "); expected one of: "
        + "; ".join(k.what for k in KINDS),
    )


def plan(
    con: duckdb.DuckDBPyConnection, file: InputFile
) -> tuple[str, tuple[str, ...], StageFiles, list[Route]]:
    kind, header = detect(file)

    def stage(conn: duckdb.DuckDBPyConnection, files: Sequence[InputFile]) -> Staged:
        return stage_csv(conn, [(f.path, f.name) for f in files], header)

    return kind.name, (kind.name, ",".join(header)), stage, kind.routes(header)


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """Create the national tables if this store has none yet, and the alias table ingest joins."""
    con.execute(national_ddl())
    con.register("__aliases", pa.table(load_force_reference().alias_rows()))
    con.execute(f"CREATE OR REPLACE TEMP TABLE {ALIASES} AS SELECT * FROM __aliases")
    con.unregister("__aliases")


def record_coverage(con: duckdb.DuckDBPyConnection, batch_ids: Sequence[int]) -> None:
    """Replace the batches' coverage by the months their accepted rows count, force by force:
    a span from first to last row would cover a force's missing months (Thames Valley's five
    absent months of 2022) and report them as zero."""
    if not batch_ids:
        return
    ids = list(batch_ids)
    con.execute("DELETE FROM coverage WHERE list_contains(?, batch_id)", [ids])
    for table in NATIONAL_TABLES:
        con.execute(
            f"""INSERT INTO coverage
            SELECT DISTINCT t.batch_id, t.force, b.source, b.kind, '{table}', m.month::DATE
            FROM {table} t JOIN ingest_batches b USING (batch_id),
                 unnest(generate_series(t.period_start::TIMESTAMP, t.period_end::TIMESTAMP,
                                        INTERVAL 1 MONTH)) AS m(month)
            WHERE list_contains(?, t.batch_id)""",
            [ids],
        )


def ingest_national(
    store: Store,
    paths: Sequence[str | Path],
    *,
    on_progress: Progress | None = None,
    on_start: Starting | None = None,
    clock: Clock = utc_now,
) -> IngestReport:
    """Ingest national source files (CSV, `.csv.gz`, zip archives or folders of them), each
    kind told from its header, in one transaction with exact coverage."""
    with unpacked(paths) as files, store.transaction() as con:
        prepare(con)
        report = ingest_files(
            store, files, source=SOURCE, planner=plan, on_progress=on_progress,
            on_start=on_start, clock=clock,
        )  # fmt: skip
        record_coverage(con, [b.batch_id for b in report.batches
                              if not b.skipped and b.batch_id is not None])  # fmt: skip
    return report
