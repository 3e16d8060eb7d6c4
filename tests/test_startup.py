"""Start-up: the group's help and version print without click, exactly as click prints them; a
check of drug names imports none of the readers it does not use."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

RUN_CLICK = "from pharmcheck.cli import main; main()"
#: The program, reporting on its last stderr line every module it imported.
RUN_PROGRAM = (
    "import atexit, sys; "
    "atexit.register(lambda: print('MODULES', *sorted(sys.modules), file=sys.stderr)); "
    "from pharmcheck.entry import main; main()"
)


def run(code: str, args: list[str], columns: int = 80) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "COLUMNS": str(columns)}
    env.pop("LINES", None)
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, env=env, check=False
    )


def run_program(args: list[str], columns: int = 80) -> tuple[int, bytes, bytes, set[str]]:
    """Exit code, stdout, stderr and the modules imported of ``pharmcheck ARGS``."""
    done = run(RUN_PROGRAM, args, columns)
    stderr, _, modules = done.stderr.rpartition(b"MODULES ")
    return done.returncode, done.stdout, stderr, set(modules.decode().split())


@pytest.mark.parametrize(
    ("args", "columns"),
    # the help is at least 50 columns wide and at most 98
    [([], 61), (["--help"], 20), (["--help"], 300), (["-h"], 61), (["--version"], 61), (["-V"], 9)],
)
def test_the_program_prints_clicks_bytes_without_importing_click(
    args: list[str], columns: int
) -> None:
    code, stdout, stderr, modules = run_program(args, columns)
    clicks = run(RUN_CLICK, args, columns)
    assert code == clicks.returncode == (2 if not args else 0)
    assert (stdout, stderr) == (clicks.stdout, clicks.stderr)
    assert clicks.stdout or clicks.stderr
    assert "pharmcheck.entry" in modules and "click" not in modules


@pytest.mark.parametrize(
    ("args", "code", "start"),
    [
        (["rules", "-h"], 0, "Usage: pharmcheck rules [OPTIONS]"),
        (["--nosuch"], 2, "Usage: pharmcheck [OPTIONS] COMMAND [ARGS]...\nTry 'pharmcheck --help'"),
    ],
)
def test_any_other_command_line_runs_click(args: list[str], code: int, start: str) -> None:
    returned, stdout, stderr, modules = run_program(args)
    assert returned == code and (stdout or stderr).decode().startswith(start)
    assert "click" in modules


UNUSED_BY_A_CHECK_OF_NAMES = {
    "pharmcheck.fhir",
    "pharmcheck.inputs.document",
    "pharmcheck.overrides",
    "pharmcheck.inputs.conditions",
    "json",
}


def test_a_check_of_names_imports_no_reader_it_does_not_use() -> None:
    code, stdout, _, modules = run_program(["check", "tramadol 50 mg qid", "sertraline"])
    assert code == 1 and b"PC" in stdout  # tramadol with sertraline: findings
    assert {"pharmcheck.engine", "pharmcheck.report.text"} <= modules
    assert not modules & UNUSED_BY_A_CHECK_OF_NAMES


def test_a_check_with_a_condition_still_reads_it() -> None:
    args = ["check", "tramadol", "--condition", "epilepsy", "--exit-zero", "--format", "json"]
    code, stdout, _, modules = run_program(args)
    assert code == 0 and b'"unrecognized": []' in stdout
    assert "pharmcheck.inputs.conditions" in modules


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
def test_help_that_cannot_be_written_is_a_one_line_error() -> None:
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "pharmcheck", "--help"],
            stdout=full,
            stderr=subprocess.PIPE,
            check=False,
        )
    assert done.returncode == 2
    assert done.stderr.decode() == "pharmcheck: error: No space left on device\n"


def test_a_command_leaves_its_objects_to_the_exit_not_to_the_collector() -> None:
    at_exit = (
        "import atexit, gc, sys; "
        "atexit.register(lambda: print('FROZEN', gc.get_freeze_count(), file=sys.stderr)); "
        "from pharmcheck.entry import main; main()"
    )
    done = run(at_exit, ["check", "tramadol 50 mg qid", "--exit-zero"])
    assert done.returncode == 0 and b"PC" in done.stdout
    frozen = int(done.stderr.rpartition(b"FROZEN ")[2])
    assert frozen > 10_000  # the command's modules, KB and findings: no collection at shutdown
