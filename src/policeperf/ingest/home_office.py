"""Home Office police recorded crime: the Police Force Area open data table (CSV export).

Counts are padded with spaces in the published file (` 66776 `); they are trimmed. Force names
are normalised to the names data.police.uk uses ('Cambridgeshire' -> 'Cambridgeshire
Constabulary'); bodies that are not forces (Action Fraud, CIFAS, ...) keep their own names.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from policeperf.ingest.batch import StageFiles
from policeperf.ingest.files import InputFile, require_header
from policeperf.ingest.reader import Staged, stage_csv
from policeperf.ingest.validate import Route, Source
from policeperf.store.schema import HO_RECORDED_CRIME

SOURCE = "home-office"
KIND = "prc-pfa"
HEADER = [
    "Financial Year", "Financial Quarter", "Force Name", "Offence Description", "Offence Group",
    "Offence Subgroup", "Offence Code", "Number of Offences",
]  # fmt: skip


def c(name: str) -> str:
    return 's."' + name + '"'


def routes() -> list[Route]:
    return [
        Route(
            HO_RECORDED_CRIME,
            {
                "financial_year": Source(
                    c("Financial Year"),
                    "Financial Year",
                    typed=f"CASE WHEN regexp_full_match(trim({c('Financial Year')}), '\\d{{4}}/\\d{{2}}')"
                    f" THEN trim({c('Financial Year')}) END",
                    expected="a financial year such as 2017/18",
                ),
                "quarter": Source(c("Financial Quarter"), "Financial Quarter"),
                "force": Source(
                    c("Force Name"),
                    "Force Name",
                    typed=f"coalesce(f.name, trim({c('Force Name')}))",
                ),
                "offence_code": Source(c("Offence Code"), "Offence Code"),
                "offence_description": Source(c("Offence Description"), "Offence Description"),
                "offence_group": Source(c("Offence Group"), "Offence Group"),
                "offence_subgroup": Source(c("Offence Subgroup"), "Offence Subgroup"),
                "offences": Source(c("Number of Offences"), "Number of Offences"),
            },
            from_sql="{stage} s LEFT JOIN ref_forces f ON f.prc_name = trim("
            + c("Force Name")
            + ")",
            raw_columns=HEADER,
        )
    ]


def plan(
    con: duckdb.DuckDBPyConnection, file: InputFile
) -> tuple[str, tuple[str, ...], StageFiles, list[Route]]:
    require_header(file.path, file.name, HEADER, "Home Office recorded crime PFA table")

    def stage(conn: duckdb.DuckDBPyConnection, files: Sequence[InputFile]) -> Staged:
        return stage_csv(conn, [(f.path, f.name) for f in files], HEADER)

    return KIND, (KIND,), stage, routes()
