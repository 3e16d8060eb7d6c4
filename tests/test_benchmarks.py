"""The batch benchmark still runs, and its naive loop finds what the screen finds (not timed
here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


@pytest.mark.parametrize("sample", ["all", "100"])
def test_screen_benchmark_compares_like_with_like(tmp_path: Path, sample: str) -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "bench_screen.py"),
            "--rows",
            "2000",
            "--sample",
            sample,
            "--dir",
            str(tmp_path),
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert lines[0].startswith("rows: 2000   screened 2000 medication row(s) for 250 patient(s)")
    sampled = "250" if sample == "all" else "100"
    assert (
        f"same findings (code, drugs, severity, message) as the screen for all {sampled} sampled"
        in lines[2]
    )
    assert ("upper bound" in lines[2]) is (sample != "all") and lines[3].startswith("speed-up ")
