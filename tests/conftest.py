"""Shared fixtures: one KB built from db/ per test session, and a checker on it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# The normal suite runs every property on the same 200 examples on every machine (derandomized), so
# a red CI always means a change; PHARMCHECK_HYPOTHESIS=thorough explores 2,000 fresh random ones.
_COMMON: dict[str, Any] = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
}
settings.register_profile("default", max_examples=200, derandomize=True, **_COMMON)
settings.register_profile("thorough", max_examples=2000, **_COMMON)
settings.load_profile(os.environ.get("PHARMCHECK_HYPOTHESIS", "default"))

REPO = Path(__file__).resolve().parent.parent
pytest_plugins = ["tests.service_server"]  # the service over real HTTP: serving(), service_url


@pytest.fixture(scope="session")
def kb_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from pharmcheck.kb.build import build

    path = tmp_path_factory.mktemp("kb") / "kb.sqlite"
    build(f"sqlite:///{path}")
    return path


def copy_of_kb(kb_path: Path, folder: Path) -> str:
    """The URL of a copy of the session KB in ``folder``: what a test writes there (overrides,
    feedback) reaches no other test."""
    import shutil

    copy = folder / "site.sqlite"
    shutil.copyfile(kb_path, copy)
    return f"sqlite:///{copy}"


@pytest.fixture
def private_kb_url(kb_path: Path, tmp_path: Path) -> str:
    """A copy of the session KB for this test alone (see copy_of_kb)."""
    return copy_of_kb(kb_path, tmp_path)


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pharmcheck's wheel, built once per session for the tests that install it elsewhere."""
    import subprocess
    import sys

    dist = tmp_path_factory.mktemp("dist")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(REPO)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if built.returncode != 0 and "No matching distribution found" in built.stderr:
        pytest.skip("no package index to fetch the build backend from")
    assert built.returncode == 0, built.stderr[-2000:]
    return next(dist.glob("pharmcheck-*.whl"))


@pytest.fixture(scope="session")
def rebuilt_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A KB built from the sources plus one drug listed first: every curated drug id moves by one,
    and its structure, which db/structures/ does not hold, is computed with RDKit."""
    import shutil

    from pharmcheck.kb.build import build
    from pharmcheck.paths import sources_dir

    pytest.importorskip("rdkit", reason="a structure not in db/structures/ needs the chem extra")
    folder = tmp_path_factory.mktemp("rebuilt")
    sources = folder / "db"
    shutil.copytree(sources_dir(), sources)
    (sources / "drugs" / "00-added.csv").write_text(
        "drug,smiles,drugbank_id,atc_codes,rxnorm_cui,structure_source\n"
        f"zz-added-drug,N{'C' * 40}O,,,,test structure\n"
    )
    build(f"sqlite:///{folder / 'kb.sqlite'}", sources)
    return folder / "kb.sqlite"


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
