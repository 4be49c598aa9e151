"""Ingest: read sources into the canonical tables; every row accepted or quarantined."""
