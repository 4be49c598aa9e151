"""Casting staged text into a canonical table, with one reason for every row that fails.

A `Route` says how staged rows become rows of one canonical table: which rows (`where`), from what
(`from_sql`, which may join reference tables) and, per canonical column, a `Source`. Validation is
generated from the table's `Column` specs (`store/schema.py`), so type, required, choice and range
rules live in one place. The whole file is checked in one SQL statement inside DuckDB.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb

from policeperf.store.schema import Column, Table

TRUE_WORDS = ("true", "t", "yes", "y", "1")
FALSE_WORDS = ("false", "f", "no", "n", "0")
_SHOWN_CHARS = 60
INTEGER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT")


@dataclass(frozen=True)
class Source:
    """Where one canonical column comes from."""

    expr: str
    """SQL giving the raw text (staged columns are VARCHAR), e.g. `s."Month"`."""
    label: str
    """The name users know the field by (the source column), used in quarantine reasons."""
    format: str | None = None
    """strptime format for DATE and TIMESTAMP columns; ISO 8601 when None."""
    values: Mapping[str, Any] | None = None
    """Value map applied to the trimmed raw text; text outside the map is quarantined."""
    typed: str | None = None
    """A ready typed SQL expression (e.g. from a reference join); the raw text is still checked."""
    expected: str | None = None
    """What a valid value looks like, for messages; derived from the type when None."""


@dataclass(frozen=True)
class Route:
    """How staged rows become rows of one canonical table."""

    table: Table
    sources: Mapping[str, Source]
    where: str = "TRUE"
    from_sql: str = "{stage} s"
    raw_columns: Sequence[str] = field(default_factory=tuple)
    """Staged columns shown in the quarantined `raw` text and checked for NUL bytes."""
    helpers: Mapping[str, str] = field(default_factory=dict)
    """Temporary tables `from_sql` joins, made once per stage for all its routes: name suffix ->
    SELECT, `{stage}` standing for the staged table in both (see `make_helpers`)."""


def make_helpers(con: duckdb.DuckDBPyConnection, stage: str, routes: Sequence[Route]) -> list[str]:
    """Create the helper tables of `routes` for staged table `stage`; returns their names."""
    made: list[str] = []
    for route in routes:
        for suffix, select in route.helpers.items():
            name = stage + suffix
            if name not in made:
                con.execute(f"CREATE TEMP TABLE {name} AS {select.replace('{stage}', stage)}")
                made.append(name)
    return made


def sql_str(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def trim_sql(text: str) -> str:
    """SQL equal to `trim(text)` at a fraction of its cost on ordinary values: DuckDB's trim
    removes Unicode space separators, so it walks every character; only text that starts or
    ends with a space, or holds any non-ASCII character (fewer bytes than characters), can
    change, and only that is trimmed. Text sorting before '!' is text whose first byte is a
    space or below (or empty): that comparison reads DuckDB's inlined prefix, where
    `starts_with` costs a function call per value."""
    return (
        f"(CASE WHEN {text} < '!' OR ends_with({text}, ' ') "
        f"OR strlen({text}) <> length({text}) THEN trim({text}) ELSE {text} END)"
    )


def _expected(column: Column, source: Source) -> str:
    if source.expected:
        return source.expected
    if column.sql_type == "DATE":
        return f"a date ({source.format})" if source.format else "a date (YYYY-MM-DD)"
    if column.sql_type == "TIMESTAMP":
        return f"a date and time ({source.format})" if source.format else "an ISO date and time"
    if column.sql_type == "BOOLEAN":
        return "true/false (or yes/no, y/n, 1/0)"
    if column.sql_type in INTEGER_TYPES:
        return "a whole number"
    if column.sql_type == "DOUBLE":
        return "a number"
    return column.sql_type.lower()


def _mapped(raw: str, values: Mapping[str, Any]) -> str:
    cases = " ".join(f"WHEN {sql_str(k)} THEN {sql_str(_literal(v))}" for k, v in values.items())
    return f"(CASE {raw} {cases} ELSE NULL END)"


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _parse(column: Column, source: Source, text: str) -> str:
    if source.typed is not None:
        return source.typed
    t = column.sql_type
    if t == "VARCHAR":
        return text
    if t in ("DATE", "TIMESTAMP"):
        if source.format:
            return f"try_strptime({text}, {sql_str(source.format)})::{t}"
        return f"try_cast({text} AS {t})"
    if t == "BOOLEAN":
        yes = ", ".join(sql_str(w) for w in TRUE_WORDS)
        no = ", ".join(sql_str(w) for w in FALSE_WORDS)
        return f"(CASE WHEN lower({text}) IN ({yes}) THEN true WHEN lower({text}) IN ({no}) THEN false END)"
    if t in INTEGER_TYPES:
        return exact_integer(text, t)
    return f"try_cast({text} AS {t})"


def exact_integer(text: str, sql_type: str = "INTEGER") -> str:
    """SQL casting whole-number text only: a cast alone rounds `2.5` to 3 and reads `1e1` as
    10, so anything but optional sign and digits stays NULL (and is quarantined)."""
    return f"(CASE WHEN regexp_full_match({text}, '[+-]?[0-9]+') THEN try_cast({text} AS {sql_type}) END)"


def _shown(raw: str) -> str:
    return f"'''' || left({raw}, {_SHOWN_CHARS}) || ''''"


def build_typed(
    con: duckdb.DuckDBPyConnection, stage: str, route: Route, target: str, *, nul_free: bool = False
) -> None:
    """Create temporary table `target`: `__file`, `__line`, the typed canonical columns and `__field`,
    `__check`, `__reason` (NULL when the row is valid). With `nul_free` (no staged file holds a
    NUL byte) the per-value NUL check, which could then never fail, is left out."""
    table = route.table
    inner = ["s.__file AS __file", "s.__line AS __line"]
    nul_checks: list[str] = []
    if route.raw_columns and not nul_free:
        first_nul = " ".join(
            f"WHEN strpos(s.{ident(c)}, chr(0)) > 0 THEN {sql_str(c)}" for c in route.raw_columns
        )
        inner.append(f"CASE {first_nul} END AS __nul")
        nul_checks.append(
            "WHEN __nul IS NOT NULL THEN struct_pack(f := __nul, c := 'nul_byte', "
            "r := __nul || ': contains a NUL byte; expected text')"
        )
    for column in table.columns:
        source = route.sources.get(column.name)
        if source is None:
            continue
        inner.append(f"nullif({trim_sql(source.expr)}, '') AS {ident('__r_' + column.name)}")
        if source.typed is not None:
            inner.append(f"{source.typed} AS {ident('__t_' + column.name)}")

    outer = ["__file", "__line"]
    checks: list[str] = []
    for column in table.columns:
        source = route.sources.get(column.name)
        if source is None:
            outer.append(f"NULL::{column.sql_type} AS {ident(column.name)}")
            continue
        raw = ident("__r_" + column.name)
        text = _mapped(raw, source.values) if source.values else raw
        typed_source = (
            Source(**{**source.__dict__, "typed": ident("__t_" + column.name)})
            if source.typed is not None
            else source
        )
        typed = _parse(column, typed_source, text)
        outer.append(f"{typed} AS {ident(column.name)}")
        checks.extend(_checks(column, source, raw, text, typed))

    error = "CASE " + " ".join(nul_checks) + " " + " ".join(checks) + " END"
    if not nul_checks and not checks:
        error = "NULL::STRUCT(f VARCHAR, c VARCHAR, r VARCHAR)"
    from_sql = route.from_sql.replace("{stage}", stage)
    con.execute(
        f"""
        CREATE TEMP TABLE {target} AS
        SELECT * EXCLUDE (__err), __err.f AS __field, __err.c AS __check, __err.r AS __reason
        FROM (
            SELECT {", ".join(outer)}, {error} AS __err
            FROM (SELECT {", ".join(inner)} FROM {from_sql}
                  WHERE {route.where}) s
        )
        """
    )


def _checks(column: Column, source: Source, raw: str, text: str, typed: str) -> list[str]:
    label = source.label
    out: list[str] = []

    def fail(cond: str, check: str, reason_sql: str) -> None:
        out.append(
            f"WHEN {cond} THEN struct_pack(f := {sql_str(label)}, c := {sql_str(check)}, "
            f"r := {reason_sql})"
        )

    if column.required:
        fail(f"{raw} IS NULL", "missing", sql_str(f"{label}: missing; required"))
    if source.values:
        keys = ", ".join(sorted(source.values))
        fail(
            f"{raw} IS NOT NULL AND {text} IS NULL",
            "not_allowed",
            f"{sql_str(label + ': got ')} || {_shown(raw)} || {sql_str('; expected one of ' + keys)}",
        )
    if column.sql_type != "VARCHAR" or source.typed is not None:
        fail(
            f"{raw} IS NOT NULL AND {typed} IS NULL",
            "not_allowed"
            if column.sql_type == "VARCHAR"
            else "invalid_" + column.sql_type.lower().replace("[]", "_list"),
            f"{sql_str(label + ': got ')} || {_shown(raw)} || "
            f"{sql_str('; expected ' + _expected(column, source))}",
        )
    if column.sql_type in ("DATE", "TIMESTAMP"):
        # DuckDB reads year 0 (`0000-01`) and years past 9999; Python dates cannot hold them.
        fail(
            f"NOT (year({typed}) BETWEEN 1 AND 9999)",
            "out_of_range",
            f"{sql_str(label + ': got ')} || {_shown(raw)} || "
            f"{sql_str('; expected a year from 0001 to 9999')}",
        )
    if column.choices:
        allowed = ", ".join(sql_str(c) for c in column.choices)
        fail(
            f"{typed} IS NOT NULL AND {typed}::VARCHAR NOT IN ({allowed})",
            "not_allowed",
            f"{sql_str(label + ': got ')} || {_shown(typed + '::VARCHAR')} || "
            f"{sql_str('; expected one of ' + ', '.join(column.choices))}",
        )
    if column.minimum is not None:
        fail(
            f"{typed} < {column.minimum}",
            "out_of_range",
            f"{sql_str(label + ': got ')} || {_shown(raw)} || "
            f"{sql_str(f'; expected at least {column.minimum:g}')}",
        )
    if column.maximum is not None:
        fail(
            f"{typed} > {column.maximum}",
            "out_of_range",
            f"{sql_str(label + ': got ')} || {_shown(raw)} || "
            f"{sql_str(f'; expected at most {column.maximum:g}')}",
        )
    return out


def raw_text(route: Route, alias: str = "s") -> str:
    """SQL rebuilding a staged row's text (its source columns joined by commas) for quarantine."""
    if not route.raw_columns:
        return "NULL"
    cols = ", ".join(f"coalesce({alias}.{ident(c)}, '')" for c in route.raw_columns)
    return f"concat_ws(',', {cols})"
