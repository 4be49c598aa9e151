"""The store: one embedded DuckDB file holding the canonical tables."""

from policeperf.store.database import DEFAULT_STORE_PATH, Store, resolve_store_path
from policeperf.store.schema import RECORD_TABLES, SCHEMA_VERSION, Column, Table

__all__ = [
    "DEFAULT_STORE_PATH",
    "RECORD_TABLES",
    "SCHEMA_VERSION",
    "Column",
    "Store",
    "Table",
    "resolve_store_path",
]
