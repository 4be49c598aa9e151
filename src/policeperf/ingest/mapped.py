"""A force's own exports (CSV, Parquet, XLSX) described by a YAML column mapping.

    table: crimes                  # a canonical table
    constants: {force: Demo Constabulary, date_precision: day}
    columns:
      crime_id: CRIME_REF          # canonical column: source column
      recorded_date: {from: DATE_RECORDED, format: "%d/%m/%Y"}
      domestic_abuse: {from: DA_FLAG, values: {"Y": true, "N": false}}

Every canonical column the table requires must be mapped or given as a constant. Values outside a
`values` map are quarantined, not guessed. District gives area through the reference districts;
an LSOA code (2011) or LSOA name gives district when no district column is mapped.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import duckdb
import openpyxl
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from policeperf.errors import InputFileError
from policeperf.ingest.batch import StageFiles
from policeperf.ingest.files import InputFile, read_header
from policeperf.ingest.reader import Staged, stage_arrow, stage_csv
from policeperf.ingest.reference_tables import geography_join
from policeperf.ingest.validate import Route, Source, exact_integer, ident, sql_str
from policeperf.store.schema import RECORD_TABLES, Table
from policeperf.yamlconf import validate_file

SOURCE = "table"
FORMATS = ("csv", "parquet", "xlsx")
DERIVED_FROM = {
    "offence_category": "offence_code",
    "offence_group": "offence_code",
    "offence_subgroup": "offence_code",
    "area": "district",
}
"""Columns filled from reference data when the mapping gives the column they follow from."""


class ColumnMapping(BaseModel):
    """Where one canonical column comes from in the export."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    from_: str = Field(alias="from", description="source column name")
    format: str | None = Field(default=None, description="strptime format for dates and times")
    values: dict[str, str | int | float | bool | None] | None = Field(
        default=None, description="map from source text to the canonical value"
    )

    @field_validator("format")
    @classmethod
    def _strptime_format(cls, value: str | None) -> str | None:
        if value is not None:
            check_strptime_format(value)
        return value


class TableMapping(BaseModel):
    """A column mapping file."""

    model_config = ConfigDict(extra="forbid")
    table: str
    format: Literal["csv", "parquet", "xlsx"] | None = None
    delimiter: str = ","
    sheet: str | None = None
    constants: dict[str, str | int | float | bool] = Field(default_factory=dict)
    columns: dict[str, str | ColumnMapping]

    @field_validator("delimiter")
    @classmethod
    def _one_character(cls, value: str) -> str:
        if len(value) != 1 or value in ('"', "\r", "\n", "\x00"):
            raise ValueError(
                f"got {value!r}; expected one character other than a quote or a line break, e.g. ',' or ';'"
            )
        return value

    @field_validator("table")
    @classmethod
    def _known_table(cls, value: str) -> str:
        if value not in RECORD_TABLES:
            raise ValueError(f"got {value!r}; expected one of {', '.join(sorted(RECORD_TABLES))}")
        return value

    @field_validator("columns", "constants")
    @classmethod
    def _columns_exist(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        table = RECORD_TABLES.get(str(info.data.get("table")))
        if table is None:
            return value
        unknown = sorted(set(value) - set(table.column_names))
        if unknown:
            raise ValueError(
                f"unknown {table.name} column(s) {', '.join(unknown)}; expected some of "
                f"{', '.join(table.column_names)}"
            )
        return value

    @model_validator(mode="after")
    def _required_columns_mapped(self) -> TableMapping:
        table = RECORD_TABLES[self.table]
        given = set(self.columns) | set(self.constants)
        missing = sorted(
            c.name
            for c in table.columns
            if c.required and c.name not in given and DERIVED_FROM.get(c.name) not in given
        )
        if missing:
            raise ValueError(f"required {self.table} column(s) not mapped: {', '.join(missing)}")
        return self

    def source_of(self, name: str) -> ColumnMapping | None:
        spec = self.columns.get(name)
        if spec is None:
            return None
        return ColumnMapping(**{"from": spec}) if isinstance(spec, str) else spec


def check_strptime_format(value: str) -> None:
    """Refuse a date format the reader cannot use (e.g. `%Q`) when the mapping is loaded, not
    half-way through an ingest."""
    with duckdb.connect() as con:
        try:
            con.execute("SELECT try_strptime('2000-01-01', ?)", [value]).fetchall()
        except duckdb.Error as exc:
            detail = str(exc).splitlines()[0].split(": ", 1)[-1]
            raise ValueError(f"got {value!r}; not a strptime date format ({detail})") from None


def load_mapping(path: Path) -> TableMapping:
    return validate_file(path, TableMapping)


def fingerprint(mapping: TableMapping) -> str:
    """The mapping's canonical content: the same for the same meaning, whatever the layout,
    comments or key order of its file."""
    return json.dumps(mapping.model_dump(mode="json", by_alias=True), sort_keys=True)


def _source(mapping: TableMapping, name: str, alias: str = "s") -> Source | None:
    if name in mapping.constants:
        value = mapping.constants[name]
        literal = ("true" if value else "false") if isinstance(value, bool) else str(value)
        return Source(sql_str(literal), f"constant {name}")
    spec = mapping.source_of(name)
    if spec is None:
        return None
    values = None
    if spec.values is not None:
        values = {k: v for k, v in spec.values.items()}
    return Source(f"{alias}.{ident(spec.from_)}", spec.from_, format=spec.format, values=values)


def _text(source: Source) -> str:
    """SQL for the trimmed (and value-mapped) text of a source, usable in a join condition."""
    raw = f"nullif(trim({source.expr}), '')"
    if not source.values:
        return raw
    cases = " ".join(
        f"WHEN {sql_str(k)} THEN {sql_str(v if not isinstance(v, bool) else str(v).lower())}"
        for k, v in source.values.items()
    )
    return f"(CASE {raw} {cases} END)"


def route_for(mapping: TableMapping, source_columns: list[str]) -> Route:
    """The route a mapping describes, with district/area derived from reference where absent."""
    table: Table = RECORD_TABLES[mapping.table]
    sources: dict[str, Source] = {}
    for column in table.columns:
        found = _source(mapping, column.name)
        if found is not None:
            sources[column.name] = found
    missing_cols = sorted(
        {s.label for s in sources.values() if not s.label.startswith("constant ")}
        - set(source_columns)
    )
    if missing_cols:
        raise InputFileError(
            "mapping",
            f"columns named in the mapping are not in the file: {', '.join(missing_cols)}",
        )
    from_sql = "{stage} s"
    names = table.column_names
    force = sources.get("force")
    if force is not None and "district" in names:
        force_sql = _text(force)
        if "district" not in sources and ("lsoa_code" in sources or "lsoa_name" in sources):
            code = _text(sources["lsoa_code"]) if "lsoa_code" in sources else "NULL"
            name = _text(sources["lsoa_name"]) if "lsoa_name" in sources else "NULL"
            from_sql += geography_join(force_sql, code, name)
            sources["district"] = Source("coalesce(d1.district, d2.district)", "LSOA code")
            if "area" not in sources:
                sources["area"] = Source("coalesce(d1.area, d2.area)", "LSOA code")
        elif "district" in sources and "area" in names and "area" not in sources:
            from_sql += (
                f" LEFT JOIN ref_districts dd ON dd.force = {force_sql}"
                f" AND dd.district = {_text(sources['district'])}"
            )
            sources["area"] = Source("dd.area", sources["district"].label)
    code = sources.get("offence_code")
    if code is not None and "offence_category" in names and "offence_category" not in sources:
        from_sql += f" LEFT JOIN ref_offence_codes oc ON oc.offence_code = {_text(code)}"
        for column, ref in (
            ("offence_category", "police_uk_category"),
            ("offence_group", "offence_group"),
            ("offence_subgroup", "offence_subgroup"),
        ):
            sources[column] = Source(
                code.expr,
                code.label,
                values=code.values,
                typed=f"oc.{ref}",
                expected="a Home Office offence code (reference offence_codes)",
            )
    if "outcome_type" in sources and "outcome_types" not in sources:
        typed_type = _text(sources["outcome_type"])
        sources["outcome_types"] = Source(
            "NULL",
            sources["outcome_type"].label,
            typed=f"CASE WHEN {exact_integer(typed_type, 'SMALLINT')} IS NOT NULL "
            f"THEN [{exact_integer(typed_type, 'SMALLINT')}] END",
        )
    return Route(table, sources, from_sql=from_sql, raw_columns=source_columns)


def _format_of(file: InputFile, mapping: TableMapping) -> str:
    if mapping.format:
        return mapping.format
    suffix = Path(file.name).suffix.lower().lstrip(".")
    if suffix in FORMATS:
        return suffix
    raise InputFileError(
        file.name, f"cannot tell the format; expected a file ending {', '.join(FORMATS)}"
    )


def _read_xlsx(file: InputFile, sheet: str | None) -> pa.Table:
    try:
        book = openpyxl.load_workbook(file.path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a non-workbook
        raise InputFileError(file.name, "not a readable XLSX workbook") from exc
    try:
        ws = book[sheet] if sheet else book.worksheets[0]
    except KeyError as exc:
        raise InputFileError(
            file.name, f"no sheet {sheet!r}; sheets: {', '.join(book.sheetnames)}"
        ) from exc
    rows = ws.iter_rows(values_only=True)
    header = [str(h).strip() if h is not None else "" for h in next(rows, ())]
    if not any(header):
        raise InputFileError(file.name, "empty sheet; expected a header row")
    while header and not header[-1]:
        header.pop()  # trailing empty header cells: formatting, not columns
    if "" in header or len(set(header)) != len(header):
        raise InputFileError(file.name, "header has blank or repeated names; expected each once")
    columns: dict[str, list[Any]] = {h: [] for h in header}
    for row in rows:
        for name, value in zip(header, row, strict=False):
            columns[name].append(None if value is None else _cell_text(value))
        for name in header[len(row) :]:
            columns[name].append(None)
    book.close()
    return pa.table({k: pa.array(v, pa.string()) for k, v in columns.items()})


def _read_parquet(con: duckdb.DuckDBPyConnection, file: InputFile) -> pa.Table:
    """A Parquet file's rows; struct, list, map and binary columns as DuckDB's text for them
    (Arrow cannot cast those to text), so a mapped one is quarantined, not a traceback."""
    source = f"read_parquet({sql_str(str(file.path))})"
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
        select = ", ".join(
            f"{ident(name)}::VARCHAR AS {ident(name)}"
            if any(t in str(kind) for t in ("STRUCT", "MAP", "UNION", "[", "BLOB", "BIT"))
            else ident(name)
            for name, kind, *_ in described
        )
        return con.sql(f"SELECT {select} FROM {source}").to_arrow_table()
    except duckdb.Error as exc:
        raise InputFileError(file.name, "not a readable Parquet file") from exc


def _cell_text(value: Any) -> str:
    if hasattr(value, "isoformat"):
        return str(value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat())
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def plan(
    con: duckdb.DuckDBPyConnection, file: InputFile, mapping: TableMapping
) -> tuple[str, tuple[str, ...], StageFiles, list[Route]]:
    fmt = _format_of(file, mapping)
    if fmt == "csv":
        header = read_header(file.path, file.name, mapping.delimiter)

        def stage(conn: duckdb.DuckDBPyConnection, files: Sequence[InputFile]) -> Staged:
            return stage_csv(
                conn, [(f.path, f.name) for f in files], header, delimiter=mapping.delimiter
            )

        columns = header
        group: tuple[str, ...] = ("csv", *header)
    else:
        data = _read_parquet(con, file) if fmt == "parquet" else _read_xlsx(file, mapping.sheet)
        columns = data.column_names
        group = (fmt, file.name)

        def stage(conn: duckdb.DuckDBPyConnection, files: Sequence[InputFile]) -> Staged:
            return stage_arrow(conn, data, files[0].name)

    try:
        route = route_for(mapping, columns)
    except InputFileError as exc:
        raise InputFileError(file.name, exc.problem) from None
    return mapping.table, group, stage, [route]
