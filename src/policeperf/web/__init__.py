"""The local dashboard (FastAPI): drill-down by measure, area and month over the results table."""

from policeperf.web.app import create_app
from policeperf.web.settings import Settings, check_bind

__all__ = ["Settings", "check_bind", "create_app"]
