"""schemathesis drives every API operation from its OpenAPI schema: never a 5xx, and every
response matches the schema."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from policeperf.web import Settings, create_app

# The schema is read at import, when fixtures do not exist yet; the app opens its store only
# on a request, so each process points it at a private path the fixture below fills.
STORE = Path(tempfile.gettempdir()) / f"policeperf-api-{os.getpid()}" / "store.duckdb"
# schemathesis calls the app as Host "testserver"; the dashboard answers only allowed names.
APP = create_app(Settings(store=STORE, allowed_hosts=("testserver",)))
schema = schemathesis.openapi.from_asgi("/api/openapi.json", APP)


@pytest.fixture(scope="module", autouse=True)
def _store_with_the_demo_force(demo_store_path: Path) -> Iterator[None]:
    STORE.parent.mkdir(exist_ok=True)
    shutil.copyfile(demo_store_path, STORE)
    # The first request evaluates the store; done here, so no generated case waits on it.
    with TestClient(APP) as client:
        assert client.get("/api/months").status_code == 200
    yield
    shutil.rmtree(STORE.parent, ignore_errors=True)


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_operations_never_fail_with_a_server_error(case: schemathesis.Case) -> None:
    response = case.call(timeout=120)  # a loaded machine must not fail a correct answer
    assert response.status_code < 500, response.text
    case.validate_response(response)


def test_the_schema_documents_the_error_shape() -> None:
    spec = schema.raw_schema
    assert "ErrorResponse" in spec["components"]["schemas"]
    assert set(spec["paths"]) == {"/api/months", "/api/measures", "/api/results"}
