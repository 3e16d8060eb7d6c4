"""Schemathesis drives the service's OpenAPI description over real HTTP: no answer is a 5xx
and none shows a traceback, whatever the request (valid by the schema, or not)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is in the test extra")
pytest.importorskip("fastapi", reason="the service needs the server extra")

OPERATIONS = [
    "GET /cds-services",
    "POST /cds-services/{service_id}",
    "POST /cds-services/{service_id}/feedback",
    "GET /rules",
    "GET /rules/{code}",
]


@pytest.fixture(scope="module")
def operations(service_url: str) -> dict[str, Any]:
    schema = schemathesis.openapi.from_url(f"{service_url}/openapi.json")
    found = {op.ok().label: op.ok() for op in schema.get_all_operations()}
    assert set(OPERATIONS) <= set(found), sorted(found)
    return found


@pytest.mark.parametrize(
    ("label", "mode"),
    [(label, "positive") for label in OPERATIONS]
    + [(label, "negative") for label in OPERATIONS if label.startswith("POST")],  # bodies
)
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
@given(data=st.data())
def test_no_request_gets_a_server_error(
    operations: dict[str, Any], service_url: str, label: str, mode: str, data: st.DataObject
) -> None:
    strategy = operations[label].as_strategy(schemathesis.GenerationMode(mode))
    case = data.draw(strategy)
    response = case.call(base_url=service_url, timeout=30)
    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:300])
    assert "Traceback" not in response.text
