"""The CDS Hooks service over real HTTP (uvicorn on a free loopback port)."""

from __future__ import annotations

import pytest

httpx = pytest.importorskip("httpx", reason="the service needs the server extra")


def test_discovery_answers_over_http(service_url: str) -> None:
    answer = httpx.get(f"{service_url}/cds-services")
    assert answer.status_code == 200
    assert isinstance(answer.json()["services"], list)
