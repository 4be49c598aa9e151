"""schemathesis drives every API operation from its OpenAPI schema: never a 5xx, and every
response matches the schema."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings

from policeperf.web import Settings, create_app
from tests.conftest import ROOT


def _app() -> object:
    store = ROOT / "test-output" / "api-schema.duckdb"
    if not store.exists():
        from policeperf.store import Store
        from policeperf.synth import ingest_demo, write_demo_exports

        store.parent.mkdir(exist_ok=True)
        with Store(store) as db:
            ingest_demo(db, write_demo_exports(store.parent / "api-schema-exports"))
    return create_app(Settings(store=store))


schema = schemathesis.openapi.from_asgi("/api/openapi.json", _app())


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_operations_never_fail_with_a_server_error(case: schemathesis.Case) -> None:
    response = case.call()
    assert response.status_code < 500, response.text
    case.validate_response(response)


def test_the_schema_documents_the_error_shape() -> None:
    spec = schema.raw_schema
    assert "ErrorResponse" in spec["components"]["schemas"]
    assert set(spec["paths"]) == {"/api/months", "/api/measures", "/api/results"}
