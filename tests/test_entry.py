"""The entry point prints the group's help and version without click, exactly as click does."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

RUN_CLICK = "import sys; from pharmcheck.cli import main; main()"


def run(args: list[str], columns: int, *python_args: str) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "COLUMNS": str(columns)}
    env.pop("LINES", None)
    return subprocess.run(
        [sys.executable, *python_args, *args], capture_output=True, env=env, check=False
    )


@pytest.mark.parametrize(
    ("args", "columns"),
    # the help is at least 50 columns wide and at most 98
    [([], 61), (["--help"], 20), (["--help"], 300), (["-h"], 61), (["--version"], 61), (["-V"], 9)],
)
def test_the_program_prints_clicks_bytes_without_importing_click(
    args: list[str], columns: int
) -> None:
    fast = run(args, columns, "-X", "importtime", "-m", "pharmcheck")
    lines = fast.stderr.splitlines(keepends=True)
    timed = [line for line in lines if line.startswith(b"import time:")]
    clicks = run(args, columns, "-c", RUN_CLICK)
    assert fast.returncode == clicks.returncode == (2 if not args else 0)
    assert fast.stdout == clicks.stdout
    assert b"".join(line for line in lines if line not in timed) == clicks.stderr
    assert clicks.stdout or clicks.stderr
    imported = {line.rsplit(b"|", 1)[-1].strip() for line in timed}
    assert b"pharmcheck.entry" in imported and b"click" not in imported


@pytest.mark.parametrize(
    ("args", "code", "start"),
    [
        (["rules", "-h"], 0, "Usage: pharmcheck rules [OPTIONS]"),
        (["--nosuch"], 2, "Usage: pharmcheck [OPTIONS] COMMAND [ARGS]...\nTry 'pharmcheck --help'"),
    ],
)
def test_any_other_command_line_runs_click(args: list[str], code: int, start: str) -> None:
    done = run(args, 80, "-m", "pharmcheck")
    assert done.returncode == code
    assert (done.stdout or done.stderr).decode().startswith(start)
