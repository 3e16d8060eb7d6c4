"""A plain install (no extras) proves the split: the wheel, installed outside the checkout with
only its core dependencies (and the test tools), checks a real list, builds its KB without RDKit,
names the extra a missing feature needs, and passes the tests marked ``core``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pharmcheck.extras import EXTRAS

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Install:
    python: Path
    env: dict[str, str]
    cwd: Path

    def run(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return _run([str(self.python), *args], cwd=cwd or self.cwd, env=self.env)

    def pharmcheck(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run("-m", "pharmcheck", *args)


def _run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, capture_output=True, text=True, timeout=600, check=False, **kwargs
    )


_NO_INDEX = ("No matching distribution found", "Could not find a version")


@pytest.fixture(scope="module")
def core(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Install:
    where = tmp_path_factory.mktemp("core")
    venv = where / "venv"
    assert _run([sys.executable, "-m", "venv", str(venv)]).returncode == 0
    python = venv / "bin" / "python"
    # No extras: the core dependencies as the wheel declares them, plus the test tools.
    installed = _run([str(python), "-m", "pip", "install", "-q", f"{wheel}[test]"])
    if installed.returncode != 0 and any(text in installed.stderr for text in _NO_INDEX):
        pytest.skip("no package index to install the core dependencies from")
    assert installed.returncode == 0, installed.stderr[-2000:]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PHARMCHECK_", "PYTHON"))}
    env["PHARMCHECK_HOME"] = str(where / "home")
    return Install(python, env, where)


def test_no_extra_is_installed_and_pharmcheck_is_the_wheel(core: Install) -> None:
    modules = [*EXTRAS["chem"], *EXTRAS["batch"]]
    code = (
        "import importlib.util, pharmcheck; "
        "print(pharmcheck.__file__); "
        f"print([m for m in {modules!r} if importlib.util.find_spec(m)])"
    )
    done = core.run("-c", code)
    where, found = done.stdout.splitlines()
    assert where.startswith(str(core.python.parent.parent)), done.stderr
    assert found == "[]"


def test_a_plain_install_checks_a_list_with_its_first_use_build(core: Install) -> None:
    done = core.pharmcheck(
        "check", "tramadol 50 mg qid", "Neurontin 600 tid", "--crcl", "28", "--format", "json"
    )
    assert "building the knowledge base" in done.stderr
    assert done.returncode == 1, done.stderr[-2000:]  # major findings
    findings = json.loads(done.stdout)["findings"]
    # gabapentin is renally cleared: 1800 mg/day at CrCl 28 is above its label band (PC501)
    assert any(f["code"] == "PC501" and "gabapentin" in f["drugs"] for f in findings)
    # tramadol lowers the seizure threshold and is a myoclonus-causing drug (PC101)
    assert any(f["code"] == "PC101" and "tramadol" in f["drugs"] for f in findings)


@pytest.mark.parametrize(
    ("args", "extra"),
    [
        (("classify", "CCO"), "chem"),
        (("check", "CC1CN(CCN1)c1c(F)cc2c(=O)c(C(=O)O)cn(C3CC3)c2c1"), "chem"),
        (("screen", "ward.csv"), "batch"),
    ],
    ids=["classify", "check-smiles", "screen"],
)
def test_a_feature_whose_extra_is_missing_names_it_in_one_line(
    core: Install, args: tuple[str, ...], extra: str
) -> None:
    done = core.pharmcheck(*args)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert f"pip install 'pharmcheck[{extra}]'" in done.stderr
    assert done.stdout == ""


def test_verify_says_what_it_could_not_check(core: Install) -> None:
    assert core.pharmcheck("check", "amlodipine").returncode == 0  # the default KB, built once
    done = core.pharmcheck("db", "verify", "--format", "json")
    assert done.returncode == 0, done.stdout
    result = json.loads(done.stdout)
    assert result["ok"] and not result["complete"]
    structures = next(c for c in result["checks"] if c["name"] == "structures")
    assert "pharmcheck[chem]" in structures["not_checked"]


def test_the_core_tests_pass_without_extras(core: Install) -> None:
    # pytest's pythonpath puts the checkout first: the wheel's code, with no extra importable
    done = core.run("-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "core", "tests", cwd=ROOT)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "error" not in done.stdout.splitlines()[-1]
