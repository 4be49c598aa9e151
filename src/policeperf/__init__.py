"""policeperf: police performance frameworks from the records.

ingest -> store -> framework -> engine -> results -> narrative -> report / dashboard.
"""

__version__ = "0.1.0"
