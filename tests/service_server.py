"""The service over real HTTP: uvicorn on a free loopback port, in a thread of the test process.

``serving(settings)`` runs any configuration; the ``service_url`` fixture is one unauthenticated
service on the session KB for the whole session. Loaded by conftest.py as a plugin.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pharmcheck.service.settings import ServiceSettings


@contextmanager
def serving(settings: ServiceSettings) -> Iterator[str]:
    """Start the service for ``settings`` (a ServiceSettings) and yield its base URL, which is
    also its ``public_url`` (the ``aud`` its tokens must carry)."""
    pytest.importorskip("fastapi", reason="the service needs the server extra")
    uvicorn = pytest.importorskip("uvicorn", reason="the service needs the server extra")
    from pharmcheck.service.app import create_app

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = create_app(replace(settings, public_url=f"http://127.0.0.1:{port}"))
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the service did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture(scope="session")
def service_kb_url(kb_path: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A copy of the session KB for the session service: its feedback writes reach no other test."""
    from tests.conftest import copy_of_kb

    return copy_of_kb(kb_path, tmp_path_factory.mktemp("service-kb"))


@pytest.fixture(scope="session")
def service_url(service_kb_url: str) -> Iterator[str]:
    """An unauthenticated service (``--allow-unauthenticated`` on loopback) on a copy of the
    session KB."""
    from pharmcheck.service.settings import ServiceSettings

    settings = ServiceSettings(db_url=service_kb_url, allow_unauthenticated=True)
    with serving(settings) as url:
        yield url
