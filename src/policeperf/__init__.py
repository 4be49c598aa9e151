"""policeperf: police performance frameworks from the records.

ingest -> store -> framework -> engine -> results -> narrative -> report / dashboard.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__version__ = "0.1.0"
__all__ = ["__version__", "evaluate"]


def evaluate(*args: Any, typed: bool = True, **kwargs: Any) -> pd.DataFrame:
    """The results table of a framework for a reporting month, for notebooks and scripts.

    Takes the arguments of `policeperf.engine.evaluate` (store, framework, month; `force`,
    `profile`, `row_months`, `as_at`). The columns have the dtypes declared in
    `policeperf.engine.schema` (docs/results-schema.md): `month` as datetime64, counts as
    nullable integers, flags as nullable booleans, verdicts and statuses as categories. The
    engine's own entry returns months as `datetime.date`, which the report and dashboard read;
    pass `typed=False` for that table.
    """
    # Imported here: the engine pulls in pandas and DuckDB, which `import policeperf` need not.
    from policeperf.engine import evaluate as run

    return run(*args, typed=typed, **kwargs)
