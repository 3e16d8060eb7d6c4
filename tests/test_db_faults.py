"""Database faults: old schema revisions, interrupted and concurrent builds."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pharmcheck.kb import migrate
from pharmcheck.kb.schema import SCHEMA_HEAD

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def cli(
    *args: str, quiet: bool = False, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    env = {**(env or os.environ), "PYTHONPATH": str(REPO)}
    out = subprocess.DEVNULL if quiet else subprocess.PIPE
    return subprocess.Popen(
        [sys.executable, "-m", "pharmcheck", *args], stdout=out, stderr=out, text=True, env=env
    )


def test_old_schema_revision_is_refused_then_upgraded(tmp_path: Path, kb_path: Path) -> None:
    copy = tmp_path / "kb.sqlite"
    shutil.copy(kb_path, copy)
    url = f"sqlite:///{copy}"
    previous = migrate.previous_revision(SCHEMA_HEAD)
    if previous is None:
        pytest.skip("only one schema revision exists")
    migrate.downgrade(url, previous)
    refused = cli("check", "tramadol", "--db", url)
    out, err = refused.communicate(timeout=120)
    assert refused.returncode == 2 and "pharmcheck db upgrade" in err and err.count("\n") == 1
    upgraded = cli("db", "upgrade", "--db", url)
    upgraded.communicate(timeout=120)
    assert upgraded.returncode == 0
    again = cli("check", "tramadol", "--db", url)
    out, err = again.communicate(timeout=120)
    assert again.returncode in (0, 1), err
    assert "tramadol" in out


def test_interrupted_build_leaves_the_previous_kb_intact(tmp_path: Path, kb_path: Path) -> None:
    target = tmp_path / "kb.sqlite"
    shutil.copy(kb_path, target)
    before = target.read_bytes()
    build = cli("db", "build", "--db", f"sqlite:///{target}", quiet=True)
    time.sleep(1.5)  # well inside the build, which takes several seconds
    build.send_signal(signal.SIGKILL)
    build.wait(timeout=60)
    assert target.read_bytes() == before
    check = cli("check", "tramadol", "--db", f"sqlite:///{target}")
    check.communicate(timeout=120)
    assert check.returncode in (0, 1)


def test_checks_during_a_rebuild_see_the_old_or_the_new_kb(tmp_path: Path, kb_path: Path) -> None:
    target = tmp_path / "kb.sqlite"
    shutil.copy(kb_path, target)
    url = f"sqlite:///{target}"
    builder = cli("db", "build", "--db", url, quiet=True)
    results = []
    deadline = time.time() + 120
    while builder.poll() is None and time.time() < deadline:
        checkers = [
            cli("check", "tramadol 50 mg qid", "sertraline 100 mg", "--format", "json", "--db", url)
            for _ in range(8)
        ]
        for proc in checkers:
            _, err = proc.communicate(timeout=120)
            results.append((proc.returncode, err))
    builder.wait(timeout=120)
    assert builder.returncode == 0
    assert results, "the rebuild finished before any check started"
    failures = [err for code, err in results if code not in (0, 1)]
    assert not failures, failures[:3]


def test_runs_starting_together_build_the_default_kb_once(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PHARMCHECK_DB"}
    env["PHARMCHECK_HOME"] = str(tmp_path / "home")
    runs = [cli("check", "tramadol 50 mg qid", env=env) for _ in range(3)]
    outcomes = [(run.communicate(timeout=300), run.returncode) for run in runs]
    assert all(code in (0, 1) for _, code in outcomes), outcomes
    assert all("tramadol" in out for (out, _), _ in outcomes)
    assert sum("building the knowledge base" in err for (_, err), _ in outcomes) == 1
    assert all(len(err.splitlines()) <= 1 for (_, err), _ in outcomes)  # a note to build or to wait
    assert len(list((tmp_path / "home").glob("kb-*.sqlite"))) == 1
