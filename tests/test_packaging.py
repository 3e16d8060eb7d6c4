"""What an installed copy needs: the wheel, installed outside the checkout, runs a real check
with the knowledge base built from the db/ and migrations/ it ships."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=600, check=False, **kwargs
    )


@pytest.mark.slow
def test_the_wheel_installed_elsewhere_runs_a_check(tmp_path: Path, wheel: Path) -> None:
    shipped = set(zipfile.ZipFile(wheel).namelist())
    for page_file in (
        "templates/check.html",
        "templates/base.html",
        "static/style.css",
        "static/app.js",
    ):
        assert f"pharmcheck/service/web/{page_file}" in shipped, page_file  # the web pages' assets
    venv = tmp_path / "venv"
    assert _run([sys.executable, "-m", "venv", "--without-pip", str(venv)]).returncode == 0
    python = venv / "bin" / "python"
    installed = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            str(wheel),
        ]
    )
    assert installed.returncode == 0, installed.stderr[-2000:]
    # The dependencies come from this environment's site-packages, without pharmcheck itself
    # (installed or editable): pharmcheck comes only from the wheel.
    deps = tmp_path / "deps"
    deps.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not entry.name.lower().startswith(("pharmcheck", "__editable__")):
            (deps / entry.name).symlink_to(entry)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHARMCHECK_")}
    env.update(PYTHONPATH=str(deps), PHARMCHECK_HOME=str(tmp_path / "home"))
    where = _run(
        [str(python), "-c", "import pharmcheck; print(pharmcheck.__file__)"], cwd=tmp_path, env=env
    )
    assert where.stdout.startswith(str(venv)), where.stdout + where.stderr
    done = _run(
        [
            str(python),
            "-m",
            "pharmcheck",
            "check",
            "tramadol 50 mg qid",
            "Neurontin 600 tid",
            "--crcl",
            "28",
            "--format",
            "json",
        ],
        cwd=tmp_path,
        env=env,
    )
    assert done.returncode == 1, done.stderr[-2000:]  # major findings
    assert '"drug": "gabapentin"' in done.stdout and '"code": "PC501"' in done.stdout
    assert "building the knowledge base" in done.stderr
    screened = _run(
        [str(python), "-m", "pharmcheck", "screen", "-"],
        cwd=tmp_path,
        env=env,
        input="patient_id,name\np1,tramadol 50 mg qid\n",
    )
    assert screened.returncode in (0, 1) and "p1" in screened.stdout, screened.stderr[-2000:]
