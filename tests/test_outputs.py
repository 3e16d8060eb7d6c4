"""Outputs a pharmacist and a script can trust: never over an input, never half-written, never
steered by the input's text, and exit codes that reflect every finding."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pharmcheck.domain import Medication, Patient, Severity
from pharmcheck.files import replacing, replacing_path
from pharmcheck.report import render
from pharmcheck.report.escape import markdown, spreadsheet_cell, visible
from tests.helpers import AS_OF

REPO = Path(__file__).resolve().parent.parent


def run(args: list[str], kb_url: str, **kwargs) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    env = {**os.environ, "PYTHONPATH": str(REPO), "PHARMCHECK_DB": kb_url}
    return subprocess.run(
        [sys.executable, "-m", "pharmcheck", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
        **kwargs,
    )


def start(args: list[str], kb_url: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PHARMCHECK_DB": kb_url}
    return subprocess.Popen(
        [sys.executable, "-m", "pharmcheck", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


# --- outputs never overwrite inputs --------------------------------------------------------------


@pytest.mark.parametrize("link", ["hard", "symbolic", "same"])
def test_check_refuses_a_report_over_its_input_by_any_path(
    tmp_path: Path, kb_url: str, link: str
) -> None:
    request = tmp_path / "req.json"
    request.write_text('{"medications": ["tramadol 50 mg qid"]}', encoding="utf-8")
    target = tmp_path / "report.json"
    if link == "hard":
        os.link(request, target)
    elif link == "symbolic":
        target.symlink_to(request)
    else:
        target = request
    done = run(["check", "--input", str(request), "-o", str(target)], kb_url)
    assert done.returncode == 2
    assert "refusing to write the report" in done.stderr and "it is the input file" in done.stderr
    assert json.loads(request.read_text(encoding="utf-8")) == {
        "medications": ["tramadol 50 mg qid"]
    }


def test_a_report_keeps_the_permissions_of_the_file_it_replaces(
    tmp_path: Path, kb_url: str
) -> None:
    target = tmp_path / "report.txt"
    target.write_text("previous", encoding="utf-8")
    target.chmod(0o600)
    done = run(["check", "tramadol 50 mg qid", "-o", str(target), "--exit-zero"], kb_url)
    assert done.returncode == 0, done.stderr
    assert "tramadol" in target.read_text(encoding="utf-8")
    assert target.stat().st_mode & 0o777 == 0o600


def test_a_failed_write_leaves_the_previous_file_and_no_partial(tmp_path: Path) -> None:
    target = tmp_path / "findings.csv"
    target.write_text("previous", encoding="utf-8")
    with pytest.raises(RuntimeError), replacing(target) as handle:
        handle.write(b"half a report")
        raise RuntimeError("disk full")
    assert target.read_text(encoding="utf-8") == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["findings.csv"]


def test_a_path_replaced_gets_its_mode_and_moves_inside_around_move(tmp_path: Path) -> None:
    target = tmp_path / "kb.sqlite"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o600)
    seen: list[tuple[str, str]] = []

    @contextmanager
    def around(partial: Path) -> Iterator[None]:  # the lock a KB build holds over the move
        seen.append((target.read_text(encoding="utf-8"), partial.read_text(encoding="utf-8")))
        yield
        seen.append((target.read_text(encoding="utf-8"), ""))

    with replacing_path(target, mode=0o644, around_move=around) as partial:
        assert partial.parent == tmp_path and partial.stat().st_mode & 0o777 == 0o644
        partial.write_text("new", encoding="utf-8")  # by a writer that wants a path
    assert seen == [("old", "new"), ("new", "")]
    assert target.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["kb.sqlite"]
    with pytest.raises(RuntimeError), replacing_path(target) as partial:
        partial.write_text("half", encoding="utf-8")
        raise RuntimeError("build failed")
    assert target.read_text(encoding="utf-8") == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["kb.sqlite"]


# --- signals and pipes ---------------------------------------------------------------------------


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_exits_128_plus_it_and_leaves_the_previous_output(
    tmp_path: Path, kb_url: str, signum: int, code: int
) -> None:
    target = tmp_path / "report.txt"
    target.write_text("previous", encoding="utf-8")
    process = start(["check", "--input", "-", "-o", str(target)], kb_url)  # waits on stdin
    time.sleep(1.5)
    process.send_signal(signum)
    _, errors = process.communicate(timeout=60)
    process.stdin.close()  # type: ignore[union-attr]
    assert process.returncode == code, errors
    assert "Traceback" not in errors and "stopped by" in errors
    assert target.read_text(encoding="utf-8") == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["report.txt"]


def test_a_large_report_into_a_reader_that_stops_is_141(kb_url: str) -> None:
    names = [f"unknown-drug-{i}" for i in range(800)]  # a report far larger than a pipe's buffer
    env = {**os.environ, "PYTHONPATH": str(REPO), "PHARMCHECK_DB": kb_url, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "pharmcheck", "check", "tramadol", *names, "--format", "json"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    assert process.stdout is not None
    process.stdout.read(100)
    process.stdout.close()
    process.wait(timeout=120)
    assert process.returncode == 141


# --- exit codes ----------------------------------------------------------------------------------


def test_fail_on_sees_findings_that_min_severity_hides(kb_url: str) -> None:
    # tramadol alone: a minor causative finding (no risk-raising context), nothing major
    done = run(
        [
            "check",
            "tramadol 50 mg qid",
            "--fail-on",
            "minor",
            "--min-severity",
            "major",
            "--as-of",
            "2026-11-25",
        ],
        kb_url,
    )
    assert done.returncode == 1
    assert "No findings." not in done.stdout
    assert "below the minimum severity not shown (1 minor" in done.stdout


def test_the_library_counts_what_min_severity_hides(checker) -> None:  # type: ignore[no-untyped-def]
    report = checker.check(["tramadol 50 mg qid"], as_of=AS_OF, min_severity=Severity.MAJOR)
    assert report.findings == ()
    assert report.highest_severity == Severity.MINOR
    assert report.to_dict()["hidden_findings"] == len(report.hidden) > 0


# --- nothing from the input steers the display ---------------------------------------------------

HOSTILE = "\x1b]0;pwned\x07\x1b[2J\x1b[1;1H ALL CLEAR\n\nNo findings.\n\u202eevil\x00=HYPERLINK(1)"


def _is_hidden(char: str) -> bool:
    return (
        (unicodedata.category(char) == "Cc" and char != "\n")
        or char in "\u2028\u2029"
        or unicodedata.bidirectional(char)
        in ("LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI")
    )


def test_escaping_functions() -> None:
    assert visible("a\x1b[2Jb\nc\u202e") == "a\\x1b[2Jb\\nc\\u202e"
    assert markdown("<img src=x onerror=alert(1)>") == "\\<img src=x onerror=alert(1)\\>"
    assert (
        spreadsheet_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)" and spreadsheet_cell("+P4") == "'+P4"
    )
    assert spreadsheet_cell("P4") == "P4"


@given(
    text=st.text(st.characters(max_codepoint=0x2100)) | st.text(st.characters(max_codepoint=0x80))
)
def test_visible_hides_exactly_the_hidden_characters(text: str) -> None:
    shown = visible(text)
    assert not any(_is_hidden(c) for c in shown)
    if not any(_is_hidden(c) or c == "\n" for c in text):
        assert shown == text  # ASCII or not: nothing else is touched
    else:
        assert shown != text


@given(text=st.text(min_size=1, max_size=40), where=st.sampled_from(["id", "drug", "condition"]))
def test_no_output_holds_a_control_character_from_the_input(checker, text: str, where: str) -> None:  # type: ignore[no-untyped-def]
    text = text if text.strip() else "x" + text
    meds = ["tramadol 50 mg qid"] + ([f"{text} 5 mg"] if where == "drug" else [])
    patient = Patient(
        id=text if where == "id" else "bed 7", conditions=(text,) if where == "condition" else ()
    )
    report = checker.check([Medication(m) for m in meds], patient, as_of=AS_OF)
    for fmt in ("text", "markdown", "csv"):
        out = render(report, fmt)
        assert not any(_is_hidden(c) for c in out), (fmt, out)
    rows = list(csv.reader(io.StringIO(render(report, "csv"))))
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert len(rows) == 1 + len(report.findings) + len(report.unrecognized)


def test_a_patient_id_cannot_start_a_fake_report(checker) -> None:  # type: ignore[no-untyped-def]
    report = checker.check(
        ["tramadol 50 mg qid", "sertraline 100 mg daily"], Patient(id=HOSTILE), as_of=AS_OF
    )
    out = render(report, "text")
    assert "No findings." not in out.splitlines()
    assert "\\x1b[2J" in out and "\\u202e" in out and "\x1b" not in out
    md = render(report, "markdown")
    assert "No findings." not in md.splitlines() and "\x1b" not in md


# --- the same for a screen -----------------------------------------------------------------------

WARD = "patient_id,name\nP1,tramadol 50 mg qid\nP1,sertraline 100 mg daily\n"


@pytest.mark.parametrize(
    "clash", ["summary-is-meds", "summary-is-output", "output-links-to-patients"]
)
def test_screen_refuses_outputs_over_inputs_or_each_other(
    tmp_path: Path, kb_url: str, clash: str
) -> None:
    meds, patients, out = tmp_path / "meds.csv", tmp_path / "patients.csv", tmp_path / "out.csv"
    meds.write_text(WARD, encoding="utf-8")
    patients.write_text("patient_id,age\nP1,70\n", encoding="utf-8")
    summary = {"summary-is-meds": meds, "summary-is-output": out}.get(
        clash, tmp_path / "summary.csv"
    )
    if clash == "output-links-to-patients":
        os.link(patients, out)
    done = run(
        [
            "screen",
            str(meds),
            "--patients",
            str(patients),
            "-o",
            str(out),
            "--summary",
            str(summary),
        ],
        kb_url,
    )
    assert done.returncode == 2 and "refusing to write the" in done.stderr
    assert meds.read_text(encoding="utf-8") == WARD
    assert patients.read_text(encoding="utf-8") == "patient_id,age\nP1,70\n"


def test_screen_outputs_keep_their_permissions(tmp_path: Path, kb_url: str) -> None:
    meds, out, summary = tmp_path / "meds.csv", tmp_path / "out.csv", tmp_path / "summary.csv"
    meds.write_text(WARD, encoding="utf-8")
    for target in (out, summary):
        target.write_text("previous", encoding="utf-8")
        target.chmod(0o600)
    done = run(
        ["screen", str(meds), "-o", str(out), "--summary", str(summary), "--exit-zero"], kb_url
    )
    assert done.returncode == 0, done.stderr
    assert out.stat().st_mode & 0o777 == 0o600 and summary.stat().st_mode & 0o777 == 0o600
    assert "tramadol" in out.read_text(encoding="utf-8")


def test_a_hostile_patient_id_cannot_steer_a_screen(tmp_path: Path, kb_url: str) -> None:
    meds, out, summary = tmp_path / "meds.csv", tmp_path / "out.csv", tmp_path / "summary.csv"
    hostile = '"\x1b]0;x\x07\x1b[2J\x1b[1;1H ALL CLEAR"'
    meds.write_text(
        f"patient_id,name\n{hostile},tramadol 50 mg qid\n=HYPERLINK(1),sertraline 100 mg daily\n",
        encoding="utf-8",
    )
    done = run(["screen", str(meds), "-o", str(out), "--summary", str(summary)], kb_url)
    assert done.returncode in (0, 1), done.stderr
    assert "\x1b" not in done.stderr and "\\x1b[2J" in done.stderr
    for written in (out, summary):
        cells = [
            cell
            for row in csv.reader(io.StringIO(written.read_text(encoding="utf-8")))
            for cell in row
        ]
        assert "'=HYPERLINK(1)" in cells and not any(c.startswith("=") for c in cells)
        assert not any(_is_hidden(c) for cell in cells for c in cell)


def test_screen_fail_on_sees_findings_that_min_severity_hides(tmp_path: Path, kb_url: str) -> None:
    meds = tmp_path / "meds.csv"
    meds.write_text("patient_id,name\nP1,tramadol 50 mg qid\n", encoding="utf-8")
    done = run(
        [
            "screen",
            str(meds),
            "--fail-on",
            "minor",
            "--min-severity",
            "major",
            "--as-of",
            "2026-11-25",
        ],
        kb_url,
    )
    assert done.returncode == 1
    assert "below the minimum severity not written (1 minor" in done.stderr
    assert "PC101" not in done.stdout


def test_a_stopped_screen_is_143_and_leaves_its_output(tmp_path: Path, kb_url: str) -> None:
    out = tmp_path / "out.csv"
    out.write_text("previous", encoding="utf-8")
    process = start(["screen", "-", "-o", str(out)], kb_url)  # waits on stdin
    time.sleep(2)
    process.send_signal(signal.SIGTERM)
    _, errors = process.communicate(timeout=60)
    assert process.returncode == 143, errors
    assert out.read_text(encoding="utf-8") == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_a_signal_while_a_file_is_being_written_removes_the_partial_file(tmp_path: Path) -> None:
    target = tmp_path / "findings.csv"
    target.write_text("previous", encoding="utf-8")
    script = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from pharmcheck.cli import _stop\n"
        "from pharmcheck.files import replacing\n"
        "signal.signal(signal.SIGTERM, _stop)\n"
        f"with replacing(Path({str(target)!r})) as handle:\n"
        "    handle.write(b'half a screen')\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    handle.write(b'never written')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 143, done.stderr
    assert target.read_text(encoding="utf-8") == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["findings.csv"]


def test_a_large_screen_into_a_reader_that_stops_is_141(tmp_path: Path, kb_url: str) -> None:
    meds = tmp_path / "meds.csv"
    rows = "".join(f"P{i},tramadol 50 mg qid\nP{i},sertraline 100 mg daily\n" for i in range(400))
    meds.write_text(
        "patient_id,name\n" + rows, encoding="utf-8"
    )  # findings far beyond a pipe's buffer
    env = {**os.environ, "PYTHONPATH": str(REPO), "PHARMCHECK_DB": kb_url, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "pharmcheck", "screen", str(meds)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    assert process.stdout is not None
    process.stdout.read(100)
    process.stdout.close()
    process.wait(timeout=120)
    assert process.returncode == 141
