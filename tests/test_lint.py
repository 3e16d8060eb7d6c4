"""The code style CI enforces: ruff's lint rules and format, and mypy (configured in
pyproject.toml). Each tool runs from the repository root as `.ci/run` runs the suite."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

import pharmcheck
from tests.conftest import REPO

CHECKS = {
    "ruff check": ["ruff", "check", "pharmcheck", "tests", "benchmarks", "migrations"],
    "ruff format": ["ruff", "format", "--check", "pharmcheck", "tests", "benchmarks", "migrations"],
    "mypy": ["mypy", "pharmcheck", "tests"],
}

# What the chem and batch extras install, whose types mypy reads (RDKit ships stubs).
EXTRAS_MODULES = ("rdkit", "pandas", "pyarrow")


@pytest.mark.slow
@pytest.mark.parametrize("name", CHECKS)
def test_tool_is_clean(name: str) -> None:
    tool, *args = CHECKS[name]
    if importlib.util.find_spec(tool) is None:
        pytest.fail(f"{tool} is not installed: install the test extra (pip install -e '.[test]')")
    if tool == "mypy" and not all(importlib.util.find_spec(m) for m in EXTRAS_MODULES):
        pytest.skip("mypy reads the optional extras' libraries: install '.[all,test]'")
    done = subprocess.run(
        [sys.executable, "-m", tool, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"{name} found problems:\n{done.stdout}{done.stderr}"


def test_all_names_every_lazy_export() -> None:
    """``__all__`` is spelled out for linters and type checkers; it must match what
    ``pharmcheck.__getattr__`` serves, and every name must resolve."""
    assert set(pharmcheck.__all__) == {*pharmcheck._HOMES, "__version__"}
    for name in pharmcheck.__all__:
        if pharmcheck._HOMES.get(name) == "batch" and importlib.util.find_spec("pandas") is None:
            continue  # the batch extra is not installed
        assert getattr(pharmcheck, name) is not None, name
