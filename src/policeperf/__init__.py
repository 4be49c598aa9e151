"""policeperf: police performance frameworks from the records.

ingest -> store -> framework -> engine -> results -> narrative -> report / dashboard.
"""

from typing import Any

__version__ = "0.1.0"
__all__ = ["__version__", "evaluate"]


def __getattr__(name: str) -> Any:
    # The engine pulls in Ibis; load it only when the Python API is used.
    if name == "evaluate":
        from policeperf.engine import evaluate

        return evaluate
    raise AttributeError(name)
