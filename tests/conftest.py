"""Shared fixtures: one KB built from db/ per test session, and a checker on it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# The normal suite runs every property at least 200 examples; PHARMCHECK_HYPOTHESIS=thorough runs
# 2000.
settings.register_profile(
    "default",
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "thorough",
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.load_profile(os.environ.get("PHARMCHECK_HYPOTHESIS", "default"))

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def kb_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from pharmcheck.kb.build import build

    path = tmp_path_factory.mktemp("kb") / "kb.sqlite"
    build(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def kb_url(kb_path: Path) -> str:
    return f"sqlite:///{kb_path}"


@pytest.fixture(scope="session")
def kb(kb_url: str):  # type: ignore[no-untyped-def]
    from pharmcheck.kb.store import open_kb

    return open_kb(kb_url)


@pytest.fixture(scope="session")
def checker(kb):  # type: ignore[no-untyped-def]
    from pharmcheck.engine import Checker

    return Checker(kb)


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kb_url: str) -> None:
    """Never touch the real per-user KB; point every CLI call at the session KB."""
    monkeypatch.setenv("PHARMCHECK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PHARMCHECK_DB", kb_url)
