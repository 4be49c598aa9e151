"""Running the backend expressions and rolling districts up to areas and the force.

The cube is small: measure x area x month. Additive figures (numerators and denominators) are
aggregated once by district and summed up here; medians arrive per level and window.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard

import numpy as np
import pandas as pd

from policeperf.engine.aggregate import (
    FOLLOW_UP_LAGS,
    HELD_ROWS,
    Scope,
    additive_expr,
    areas_table,
    base_table,
    first_outcomes,
    fold_follow_up,
    held_column,
    is_period,
    measure_columns,
    median_exprs,
    period_numerator_expr,
    with_harm,
)
from policeperf.engine.derived import ratio_frames
from policeperf.framework.kinds import kind
from policeperf.framework.loader import harm_weights
from policeperf.framework.models import Framework, Measure
from policeperf.reference import outcome_sets
from policeperf.store.database import Store, fetch_frame, read_queries, write_queries
from policeperf.store.schema import RECORD_TABLES

if TYPE_CHECKING:
    import ibis
    import ibis.expr.types as ir

LEVELS = ("force", "area", "district")
LAG_COLUMNS = tuple(f"lag{k}" for k in range(FOLLOW_UP_LAGS))
"""Cohort outcome rates: crimes of the month with an outcome within k months (k = 0..11)."""
FORCE_AREA = "all"


@dataclass
class Cube:
    additive: pd.DataFrame
    """measure_id, level, area, period (date), num, den, and for harm `crimes` (the crimes whose
    weights make `num`); for cohort outcome rates `lag0`..`lag11` (the month's crimes with an
    outcome within k months) and `num` = `lag0`, what was known at the month's end"""
    medians: pd.DataFrame
    """measure_id, level, area, window (month/r12/fy), key (month index or FY start year), value, n"""
    months: dict[str, tuple[date, date]]
    """First and last month with records, per measure."""
    held: dict[str, dict[str, int]] = field(default_factory=dict)
    """Record table -> the force's records in scope (`*`) and how many have a value in each
    column a measure's filters read, as `columns_held` gives them; counted in the additive
    scans, so only for tables with an additive measure."""


Build = Callable[[Any], "ir.Table"]
"""An Ibis backend -> the expression of one query."""

QUERY_SOURCES = ("aggregate.py", "cube.py", "__init__.py")
"""The engine modules that write the queries: a kept query is for this code only."""

MONTH_TOKEN = "{reporting_month}"
"""Where the reporting month stands in a kept query: one compiled query serves every month."""
MONTH_FREE = ("coverage", "forces")
"""Queries that do not depend on the reporting month."""


class Queries:
    """The engine's queries by label. On any Ibis backend each is built and run by Ibis. On a
    policeperf store each query's SQL is compiled once and kept (`store.database.cache_dir`)
    under a key of everything the SQL depends on, and run by DuckDB from then on: a repeated
    evaluation neither loads Ibis nor compiles. A query whose result or in-memory tables hold a
    type the kept form does not carry is run by Ibis every time."""

    def __init__(self, backend: Any = None, store: Store | None = None) -> None:
        self._backend = backend
        self.store = store
        self._base: dict[str, object] = {}
        self._books: dict[str, dict[str, Any]] = {}
        self._changed: set[str] = set()
        self._key = ""
        self._month: str | None = None
        self._iso = ""
        if store is not None:
            self._base = _code_identity(store)
            self._key = self._open_key({})

    @property
    def backend(self) -> Any:
        """The Ibis backend, created (and Ibis loaded) only when a query must be built."""
        if self._backend is None:
            from policeperf.store.database import ibis_backend

            assert self.store is not None
            self._backend = ibis_backend(self.store)
        return self._backend

    def _open_key(self, parts: Mapping[str, object]) -> str:
        text = json.dumps({**self._base, **parts}, sort_keys=True, default=_plain)
        key = hashlib.sha256(text.encode()).hexdigest()[:32]
        if key not in self._books:
            self._books[key] = read_queries(key)
        return key

    def use(self, parts: Mapping[str, object], month: date | None = None) -> None:
        """The queries from here on depend on `parts` (framework, force, profile, reference
        data) as well as on the code and store schema: their kept SQL is looked up under a key
        of all of them. The reporting `month`, the one literal that changes from run to run, is
        kept as a placeholder instead, so a new month needs no compiling."""
        if self.store is not None:
            self._key = self._open_key(parts)
            self._month = None if month is None else _date_sql(month)
            self._iso = "" if month is None else month.isoformat()

    def run(self, label: str, build: Build) -> pd.DataFrame:
        """The result of query `label`, as Ibis' `to_pandas` gives it."""
        if self.store is None:
            return build(self.backend).to_pandas()
        book = self._books[self._key]
        kept = book.get(label)
        if _well_formed(kept):
            sql = str(kept["sql"])
            sql = sql if self._month is None else sql.replace(MONTH_TOKEN, self._month)
        else:
            expr = build(self.backend)
            compiled = _compiled(self.backend, expr)
            if compiled is None:
                return expr.to_pandas()
            kept, sql = compiled, compiled["sql"]
            template = self._template(label, sql)
            if template is not None:
                book[label] = compiled | {"sql": template}
                self._changed.add(self._key)
        columns = [(str(name), str(kind)) for name, kind in kept["columns"]]
        return fetch_frame(self.store, sql, columns)

    def _template(self, label: str, sql: str) -> str | None:
        """`sql` with the reporting month as `MONTH_TOKEN`; None (not kept) unless that is
        certain: the month written as expected wherever the query depends on it."""
        if MONTH_TOKEN in sql:
            return None  # the placeholder's text is in the query itself (a filter's value)
        if self._month is None:
            return sql
        template = sql.replace(self._month, MONTH_TOKEN)
        if (template == sql and label not in MONTH_FREE) or self._iso in template:
            return None  # the month is written some other way: compile it every time
        return template

    def save(self) -> None:
        """Keep the queries compiled since the last save."""
        for key in sorted(self._changed):
            write_queries(key, self._books[key])
        self._changed.clear()


def _well_formed(kept: object) -> TypeGuard[dict[str, Any]]:
    """Whether a kept entry has the shape `_compiled` writes (a damaged file is compiled anew)."""
    return (
        isinstance(kept, dict)
        and isinstance(kept.get("sql"), str)
        and isinstance(kept.get("columns"), list)
        and all(isinstance(c, list) and len(c) == 2 for c in kept["columns"])
    )


def _date_sql(month: date) -> str:
    """A date as the DuckDB SQL Ibis writes for a date literal."""
    return f"MAKE_DATE({month.year}, {month.month}, {month.day})"


def _plain(value: object) -> object:
    """JSON for the key's parts: sets sorted, dates and anything else as text."""
    if isinstance(value, (set, frozenset)):
        return sorted(map(str, value))
    return str(value)


def _code_identity(store: Store) -> dict[str, object]:
    """What every kept query depends on besides its inputs: the code writing it, the Ibis and
    DuckDB versions compiling and running it, and the store's schema."""
    from importlib.metadata import PackageNotFoundError, version

    import duckdb

    import policeperf

    here = Path(__file__).parent
    digest = hashlib.sha256()
    for name in QUERY_SOURCES:
        digest.update((here / name).read_bytes())
    try:
        ibis_version = version("ibis-framework")
    except PackageNotFoundError:
        ibis_version = "unknown"
    return {"format": 1, "policeperf": policeperf.__version__, "code": digest.hexdigest(),
            "ibis": ibis_version, "duckdb": duckdb.__version__,
            "schema": store.schema_version}  # fmt: skip


KINDS = {"date": "is_date", "string": "is_string", "int64": "is_int64", "float64": "is_float64"}


def _compiled(backend: Any, expr: ir.Table) -> dict[str, Any] | None:
    """The query's SQL, its in-memory tables written into it as VALUES, and each result
    column's kind; None when a type is not one `fetch_frame` reproduces."""
    import ibis.expr.operations as ops

    columns: list[list[str]] = []
    for name, dtype in expr.schema().items():
        kind = next((k for k, test in KINDS.items() if getattr(dtype, test)()), None)
        if kind is None:
            return None
        columns.append([name, kind])
    sql = backend.compile(expr)
    tables = []
    for node in expr.op().find(ops.InMemoryTable):
        values = _values_table(backend, node)
        if values is None:
            return None
        tables.append(values)
    if tables:
        with_ = ", ".join(tables)
        sql = f"WITH {with_}, {sql[5:]}" if sql.startswith("WITH ") else f"WITH {with_} {sql}"
    return {"sql": sql, "columns": columns}


def _values_table(backend: Any, node: Any) -> str | None:
    """An in-memory table (areas, harm weights, window offsets) as a common table expression
    of typed VALUES under the name the compiled SQL gives it."""
    schema = node.schema
    types = []
    for dtype in schema.types:
        if not (dtype.is_string() or dtype.is_integer() or dtype.is_floating()):
            return None
        types.append(backend.compiler.type_mapper.to_string(dtype))
    names = list(schema.names)
    frame = node.data.to_frame()
    rows = [
        "(" + ", ".join(_literal(v, d) for v, d in zip(row, schema.types, strict=True)) + ")"
        for row in frame[names].itertuples(index=False, name=None)
    ]
    cast = ", ".join(
        f'CAST(c{i} AS {t}) AS "{n}"' for i, (n, t) in enumerate(zip(names, types, strict=True))
    )
    alias = ", ".join(f"c{i}" for i in range(len(names)))
    if rows:
        body = f"SELECT {cast} FROM (VALUES {', '.join(rows)}) AS v({alias})"
    else:
        nulls = ", ".join(f"NULL AS c{i}" for i in range(len(names)))
        body = f"SELECT {cast} FROM (SELECT {nulls}) AS v WHERE false"
    return f'"{node.name}" AS ({body})'


def _literal(value: object, dtype: Any) -> str:
    """A value as SQL text that reads back exactly (floats through their shortest repr)."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "NULL"
    if dtype.is_string():
        return "'" + str(value).replace("'", "''") + "'"
    if dtype.is_integer():
        return str(int(value))  # type: ignore[call-overload]
    return f"'{float(value)!r}'"  # type: ignore[arg-type]


def _to_date(value: object) -> date:
    ts = pd.Timestamp(value)
    return date(ts.year, ts.month, 1)


def _rollup(frame: pd.DataFrame, measure: Measure, has_den: bool) -> pd.DataFrame:
    """District rows -> rows for the force, each area and each district: sums by (period, key)
    in the order a sorted group-by gives (force by period, then areas and districts by period
    and name)."""
    cols = ["num", "den"] if has_den else ["num"]
    cols += [c for c in ("crimes", *LAG_COLUMNS) if c in frame]
    return _measure_rows(_sums(frame, cols), measure, has_den, dict(zip(cols, cols, strict=True)))


def _sums(frame: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """Sums of `cols` (NaN as 0) by period for the force, each area and each district. Worked
    with numpy, once for every measure of a scan (the cells depend only on the rows), since
    pandas group-bys per measure cost more than the backend's scan."""
    periods = frame["period"].to_numpy(dtype=object)
    values = [np.nan_to_num(frame[c].to_numpy(dtype=float)) for c in cols]  # as sum() skips NaN
    keys = (
        ("force", np.full(len(frame), FORCE_AREA, dtype=object)),
        ("area", frame["area"].to_numpy(dtype=object)),
        ("district", frame["district"].to_numpy(dtype=object)),
    )
    parts: dict[str, list[np.ndarray]] = {c: [] for c in ("period", "area", "level", *cols)}
    for level, key in keys:
        held = pd.notna(key)
        period_codes, period_names = pd.factorize(periods[held], sort=True)
        key_codes, key_names = pd.factorize(key[held], sort=True)
        cells, where = np.unique(period_codes * len(key_names) + key_codes, return_inverse=True)
        parts["period"].append(
            np.asarray(period_names, dtype=object)[cells // max(len(key_names), 1)]
        )
        parts["area"].append(np.asarray(key_names, dtype=object)[cells % max(len(key_names), 1)])
        parts["level"].append(np.full(len(cells), level, dtype=object))
        for c, v in zip(cols, values, strict=True):
            parts[c].append(np.bincount(where, weights=v[held], minlength=len(cells)))
    return pd.DataFrame({c: np.concatenate(p) for c, p in parts.items()})


def _measure_rows(
    sums: pd.DataFrame, measure: Measure, has_den: bool, source: Mapping[str, str]
) -> pd.DataFrame:
    """One measure's rows of `_sums`: `source` maps each of its columns (num, den, crimes,
    lag0..) to the column of `sums` holding it."""
    names = ["period", "area", "level", *source]
    out = sums[["period", "area", "level", *source.values()]].set_axis(names, axis=1)
    out["measure_id"] = measure.id
    if not has_den:
        out["den"] = float("nan")
    return out


def _medians_at_once(exprs: dict[tuple[str, str], ibis.Table]) -> ibis.Table:
    """The medians of every (level, window) of one measure in one query, a union of the
    groupings, rather than one round trip each: columns level, window, area, key, value, n."""
    import ibis

    parts = []
    for (level, window), expr in exprs.items():
        area = ibis.literal(FORCE_AREA) if level == "force" else expr[level]
        parts.append(
            expr.select(
                level=ibis.literal(level),
                window=ibis.literal(window),
                area=area.cast("string"),
                key=expr.key.cast("int64"),
                value=expr.value.cast("float64"),
                n=expr.n.cast("int64"),
            )
        )
    return ibis.union(*parts, distinct=False)


MEDIAN_GROUPS = tuple((level, window) for level in LEVELS for window in ("month", "r12", "fy"))
"""The (level, window) groupings `median_exprs` gives, in its order."""


def build_cube(
    backend: Any,
    framework: Framework,
    scope: Scope,
    districts: pd.DataFrame,
) -> Cube:
    """Aggregate every measure of `framework` for the force in `scope`. `backend`: an Ibis
    backend, or the `Queries` running them."""
    queries = backend if isinstance(backend, Queries) else Queries(backend)
    area_by_district = dict(zip(districts["district"], districts["area"], strict=True))

    def area_of(district: object) -> object:
        return area_by_district.get(district) if isinstance(district, str) else None

    measures = [m for *_, m in framework.measures()]
    by_table: dict[str, list[Measure]] = defaultdict(list)
    for m in measures:
        if kind(m.kind).computation == "additive":
            by_table[m.table].append(m)
    rate_sets = sorted(
        {m.outcome_set for m in measures if kind(m.kind).outcome_counts and m.outcome_set}
    )

    def first(b: Any) -> ibis.Table | None:
        sets = outcome_sets()
        return first_outcomes(b, scope, [sets[s] for s in rate_sets]) if rate_sets else None

    def records(b: Any, table: str) -> ibis.Table:
        t = base_table(b, table, scope)
        if table == "crimes" and any(kind(m.kind).weighs_harm for m in by_table[table]):
            t = with_harm(t, harm_weights(framework.settings, scope.force))
        return t

    frames: list[pd.DataFrame] = []
    months: dict[str, tuple[date, date]] = {}
    held: dict[str, dict[str, int]] = {}
    for table, table_measures in by_table.items():
        read = [m for m in measures if m.table == table]
        columns = list(dict.fromkeys(c for m in read for c in measure_columns(m)))

        def scan(b: Any, table: str = table, table_measures: list[Measure] = table_measures,
                 columns: list[str] = columns) -> ibis.Table:  # fmt: skip
            return additive_expr(records(b, table), table_measures,
                                 first(b) if table == "crimes" else None, held=columns)  # fmt: skip

        raw = fold_follow_up(queries.run(f"additive {table}", scan), table_measures)
        if columns:
            counts = [HELD_ROWS, *(held_column(c) for c in columns)]
            total = raw[counts].sum()
            held[table] = {"*": int(total[HELD_ROWS])}
            held[table] |= {c: int(total[held_column(c)]) for c in columns}
            raw = raw.drop(columns=counts)
        raw["period"] = raw["period"].map(_to_date)
        raw["area"] = raw["district"].map(area_of)
        span = (min(raw["period"]), max(raw["period"])) if len(raw) else None
        period_nums: dict[str, pd.DataFrame] = {}
        if table == "crimes" and rate_sets:
            for set_name in rate_sets:
                users = [m for m in table_measures if is_period(m) and m.outcome_set == set_name]
                if users:

                    def numerators(b: Any, set_name: str = set_name,
                                   users: list[Measure] = users) -> ibis.Table:  # fmt: skip
                        # The records without harm weights: the numerators read none.
                        found = first(b)
                        assert found is not None
                        return period_numerator_expr(
                            base_table(b, "crimes", scope), found, set_name, users, scope
                        )

                    frame = queries.run(f"period numerators {set_name}", numerators)
                    frame["period"] = frame["period"].map(_to_date)
                    frame["area"] = frame["district"].map(area_of)
                    period_nums[set_name] = frame
        if span is None:
            continue
        values = [c for c in raw.columns if "__" in c]
        rolled: dict[str | None, pd.DataFrame] = {None: _sums(raw, values)}
        for set_name, by_outcome in period_nums.items():
            # Period rates: the scan's denominators beside the numerators by outcome month.
            nums = [c for c in by_outcome.columns if "__" in c]
            both = raw[["period", "area", "district", *values]].merge(
                by_outcome[["period", "area", "district", *nums]],
                on=["period", "area", "district"],
                how="outer",
            )
            both = both[(both["period"] >= span[0]) & (both["period"] <= span[1])]
            rolled[set_name] = _sums(both, [*values, *nums])
        for m in table_measures:
            months[m.id] = span
            has_den = kind(m.kind).has_denominator
            period = is_period(m)
            sums = rolled[m.outcome_set if period else None]
            held_here = {c: f"{m.id}__{c}" for c in ("num", "den", "crimes", *LAG_COLUMNS)}
            held_here = {c: col for c, col in held_here.items() if col in sums.columns}
            if "lag0" in held_here:
                held_here["num"] = held_here["lag0"]
            cols = ["num", "den"] if has_den else ["num"]
            cols += [c for c in ("crimes", *LAG_COLUMNS) if c in held_here]
            frames.append(_measure_rows(sums, m, has_den, {c: held_here[c] for c in cols}))

    median_frames: list[pd.DataFrame] = []
    for m in measures:
        if kind(m.kind).computation != "windowed":
            continue

        def grouped(b: Any, m: Measure = m) -> ibis.Table:
            exprs = median_exprs(base_table(b, m.table, scope), m, areas_table(districts))
            assert tuple(exprs) == MEDIAN_GROUPS
            return _medians_at_once(exprs)

        found = queries.run(f"medians {m.id}", grouped)
        for level, window in MEDIAN_GROUPS:
            frame = found[(found["level"] == level) & (found["window"] == window)]
            # Sorted like the additive roll-up (areas, then months), whatever order the backend
            # returned the groups in, so the results table's rows come in a stable order.
            frame = frame[frame["area"].notna()].sort_values(["area", "key"], kind="stable")
            frame["level"], frame["window"], frame["measure_id"] = level, window, m.id
            median_frames.append(
                frame[["measure_id", "level", "area", "window", "key", "value", "n"]]
            )
            if level == "force" and window == "month" and len(frame):
                lo, hi = int(frame["key"].min()), int(frame["key"].max())
                months[m.id] = (date(lo // 12, lo % 12 + 1, 1), date(hi // 12, hi % 12 + 1, 1))
    additive = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=["measure_id", "level", "area", "period", "num", "den"])
    )
    medians = (
        pd.concat(median_frames, ignore_index=True)
        if median_frames
        else pd.DataFrame(columns=["measure_id", "level", "area", "window", "key", "value", "n"])
    )
    derived = ratio_frames(additive, measures, months)
    if derived:
        additive = pd.concat([additive, *derived], ignore_index=True)
    return Cube(additive=additive, medians=medians, months=months, held=held)


def missing_table(exc: Exception) -> bool:
    """Whether `exc` is the backend saying a table does not exist (Ibis is loaded only when a
    query was being built, so only then can this be that)."""
    from ibis.common.exceptions import TableNotFound

    return isinstance(exc, TableNotFound)


def received_months(queries: Queries, force: str) -> dict[str, set[date]] | None:
    """Record table -> months received for `force` (its own records: the national tables'
    coverage says what was published, not what the force holds); None when the backend holds
    no coverage table (then every month of a measure's record span is taken as received)."""

    def received(backend: Any) -> Any:
        t = backend.table("coverage")
        return t.filter(t.force == force).select("table_name", "month").distinct()

    try:
        frame = queries.run("coverage", received)
    except Exception as exc:
        if missing_table(exc):
            return None
        raise
    out: dict[str, set[date]] = {}
    for table, month in zip(frame["table_name"], frame["month"], strict=True):
        if table not in RECORD_TABLES:
            continue  # published national tables are not the force's own records
        ts = pd.Timestamp(month)
        out.setdefault(str(table), set()).add(date(ts.year, ts.month, 1))
    return out
