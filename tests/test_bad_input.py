"""The bad-input battery: each case through the CLI as a subprocess.

Each case asserts the exit code (2 for an error, 1 where the outcome is a finding or an
unrecognised input), a one-line message on stderr that names the problem, and no traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def run(args: list[str], kb_url: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PHARMCHECK_DB": kb_url}
    return subprocess.run(
        [sys.executable, "-m", "pharmcheck", *args],
        check=False,
        capture_output=True,
        text=True,
        input=stdin,
        env=env,
        timeout=120,
    )


def assert_outcome(done: subprocess.CompletedProcess[str], code: int, words: str) -> None:
    assert done.returncode == code, (done.returncode, done.stdout[-500:], done.stderr[-500:])
    assert "Traceback" not in done.stderr + done.stdout
    if code == 2:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, done.stderr
        assert words.lower() in lines[0].lower(), lines[0]
    else:
        assert words.lower() in (done.stdout + done.stderr).lower()


def check_doc(
    tmp_path: Path, kb_url: str, document: object | str, *extra: str
) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "request.json"
    path.write_text(
        document if isinstance(document, str) else json.dumps(document), encoding="utf-8"
    )
    return run(["check", "--input", str(path), "--as-of", "2026-11-25", *extra], kb_url)


DOC_CASES = [
    ("malformed-json", '{"medications": [', 2, "malformed JSON"),
    ("malformed-yaml", "medications: [tramadol\n  - : :", 2, "malformed YAML"),
    ("number-as-name", {"medications": [{"name": 42}]}, 2, "'name' must be a non-empty text"),
    (
        "string-as-age",
        {"patient": {"age": "old"}, "medications": ["tramadol"]},
        2,
        "age must be a number",
    ),
    (
        "negative-dose",
        {"medications": [{"name": "tramadol", "dose": "-50 mg"}]},
        2,
        "cannot read the dose",
    ),
    (
        "absurd-dose",
        {"medications": [{"name": "tramadol", "dose": "5000000 mg"}]},
        2,
        "not plausible",
    ),
    ("absurd-age", {"patient": {"age": 400}, "medications": ["tramadol"]}, 2, "age 400"),
    ("negative-crcl", {"patient": {"crcl": -5}, "medications": ["tramadol"]}, 2, "crcl -5"),
    (
        "unknown-unit",
        {"medications": [{"name": "tramadol", "dose": "5 furlongs"}]},
        2,
        "cannot read the dose",
    ),
    (
        "bad-frequency",
        {"medications": [{"name": "tramadol", "dose": "5 mg", "frequency": "sometimes"}]},
        2,
        "unknown frequency",
    ),
    (
        "unparsable-date",
        {"medications": [{"name": "tramadol", "start": "31/02/2026"}]},
        2,
        "is not a date",
    ),
    (
        "future-date",
        {"medications": [{"name": "tramadol", "start": "2030-01-01"}]},
        2,
        "after the check date",
    ),
    (
        "stop-before-start",
        {"medications": [{"name": "tramadol", "start": "2026-05-01", "stop": "2026-01-01"}]},
        2,
        "before start date",
    ),
    ("empty-list", {"medications": []}, 2, "medication list is empty"),
    ("ten-thousand-meds", {"medications": ["amlodipine"] * 10_000}, 2, "at most 1000"),
    ("wrong-top-level", [1, 2, 3], 2, "medication 1"),
    ("garbage-smiles", {"medications": [{"name": "compound X", "smiles": "C1CC((N"}]}, 2, "smiles"),
    ("sql-name", {"medications": ["'); DROP TABLE drugs;--"]}, 1, "not checked"),
    (
        "control-characters",
        {"medications": ["\u0007gaba\u0001pentin\u001b"]},
        0,
        "gabapentin (fuzzy",
    ),
    (
        "control-characters-look-alike",
        {"medications": ["\u0007tram\u0001adol\u001b"]},
        1,
        "trazodone",
    ),
    ("ten-thousand-characters", {"medications": ["x" * 10_000]}, 2, "at most 1,000"),
]


@pytest.mark.parametrize(
    ("document", "code", "words"), [c[1:] for c in DOC_CASES], ids=[c[0] for c in DOC_CASES]
)
def test_documents(tmp_path: Path, kb_url: str, document: object, code: int, words: str) -> None:
    assert_outcome(check_doc(tmp_path, kb_url, document), code, words)


def test_hundred_megabyte_file(tmp_path: Path, kb_url: str) -> None:
    big = tmp_path / "big.json"
    with big.open("wb") as handle:
        handle.truncate(100 * 1024 * 1024)
    assert_outcome(run(["check", "--input", str(big)], kb_url), 2, "larger than")


def test_binary_file(tmp_path: Path, kb_url: str) -> None:
    path = tmp_path / "blob.json"
    path.write_bytes(bytes(range(256)) * 4)
    assert_outcome(run(["check", "--input", str(path)], kb_url), 2, "binary")


def test_directory_as_file(tmp_path: Path, kb_url: str) -> None:
    assert_outcome(run(["check", "--input", str(tmp_path)], kb_url), 2, "directory")
    assert_outcome(run(["screen", str(tmp_path)], kb_url), 2, "directory")


def test_stdin_input(kb_url: str) -> None:
    done = run(
        ["check", "--input", "-", "--format", "json"],
        kb_url,
        stdin='{"medications": ["tramadol 50 mg qid"]}',
    )
    assert (
        done.returncode in (0, 1)
        and json.loads(done.stdout)["medications"][0]["drug"] == "tramadol"
    )


def test_garbage_smiles_positional(kb_url: str) -> None:
    done = run(["classify", "C1CC((N"], kb_url)
    assert_outcome(done, 2, "C1CC((N")


CSV_CASES = [
    ("ragged", b"patient_id,name\np1,tramadol\np1,morphine,extra,cells\n", 1, "rejected row"),
    ("bom", "\ufeffpatient_id,name\np1,amlodipine\n".encode(), 0, "screened 1 medication row"),
    (
        "latin-1",
        "patient_id,name\np1,amlodipine\np1,caf\u00e9ine\n".encode("latin-1"),
        0,
        "screened 2",
    ),
    ("duplicate-headers", b"patient_id,name,name\np1,a,b\n", 2, "duplicate column"),
    ("missing-column", b"patient_id,dose\np1,5 mg\n", 2, "missing required column"),
    ("empty", b"", 2, "empty"),
]


@pytest.mark.parametrize(
    ("content", "code", "words"), [c[1:] for c in CSV_CASES], ids=[c[0] for c in CSV_CASES]
)
def test_csv_inputs(tmp_path: Path, kb_url: str, content: bytes, code: int, words: str) -> None:
    path = tmp_path / "meds.csv"
    path.write_bytes(content)
    assert_outcome(run(["screen", str(path), "-o", str(tmp_path / "out.csv")], kb_url), code, words)


def test_excel_with_no_sheets(tmp_path: Path, kb_url: str) -> None:
    path = tmp_path / "meds.xlsx"
    path.write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    assert_outcome(run(["screen", str(path)], kb_url), 2, "meds.xlsx")


def reader_stops(args: list[str], kb_url: str, lines_read: int) -> tuple[int, bytes]:
    """Run the CLI into a pipe whose reader takes ``lines_read`` lines and closes it, as `head`
    does."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "PHARMCHECK_DB": kb_url}
    with subprocess.Popen(
        [sys.executable, "-m", "pharmcheck", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        for _ in range(lines_read):
            proc.stdout.readline()
        proc.stdout.close()
        return proc.wait(timeout=120), proc.stderr.read()


@pytest.mark.parametrize(
    "args",
    [
        ["rules"],
        ["check", "tramadol 50 mg qid", "sertraline 100 mg daily"],
        ["--version"],
        ["--help"],
    ],
    ids=["short output", "report", "version", "help"],
)
def test_a_reader_that_stops_early_gives_141_quietly(kb_url: str, args: list[str]) -> None:
    """`pharmcheck ... | head`: the reader went away, which is neither an input error (2) nor a
    verdict."""
    assert reader_stops(args, kb_url, 0) == (141, b"")


def test_screen_into_a_reader_that_stops_early(tmp_path: Path, kb_url: str) -> None:
    path = tmp_path / "meds.csv"
    path.write_text(
        "patient_id,name\n"
        + "".join(f"p{i},tramadol 50 mg qid\np{i},sertraline\n" for i in range(3000))
    )
    code, errors = reader_stops(["screen", str(path)], kb_url, 1)
    assert code == 141 and b"Traceback" not in errors and b"error" not in errors


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize(
    "args", [["rules"], ["check", "tramadol 50 mg qid"]], ids=["rules", "check"]
)
def test_output_that_cannot_be_written_is_one_line_and_exit_2(kb_url: str, args: list[str]) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PHARMCHECK_DB": kb_url}
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "pharmcheck", *args],
            check=False,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            timeout=120,
        )
    assert done.returncode == 2 and done.stderr.strip().splitlines() == [
        "pharmcheck: error: No space left on device"
    ]


GIANT_CHAIN = "C" * 20_000  # RDKit's SMILES writer recursed through it and crashed the process


def test_a_giant_structure_as_a_name_is_not_checked_not_a_crash(kb_url: str) -> None:
    assert_outcome(
        run(["check", GIANT_CHAIN, "tramadol 50 mg qid", "--as-of", "2026-11-25"], kb_url),
        1,
        "not checked",
    )


def test_a_giant_structure_in_the_smiles_field_is_a_clear_error(
    tmp_path: Path, kb_url: str
) -> None:
    done = check_doc(
        tmp_path, kb_url, {"medications": [{"name": "compound X", "smiles": GIANT_CHAIN}]}
    )
    assert_outcome(done, 2, "at most 1,000 are read")
    assert len(done.stderr) < 400  # the structure is not echoed back in full


def test_a_giant_structure_in_a_ward_does_not_kill_the_screen(tmp_path: Path, kb_url: str) -> None:
    path = tmp_path / "meds.csv"
    path.write_text(
        f"patient_id,name,smiles\np1,compound X,{GIANT_CHAIN}\np2,tramadol 50 mg qid,\n",
        encoding="utf-8",
    )
    done = run(["screen", str(path), "-o", str(tmp_path / "out.csv")], kb_url)
    assert done.returncode in (0, 1), done.stderr[-500:]
    findings = (tmp_path / "out.csv").read_text(encoding="utf-8")
    assert "p2" in findings and "rejected-row" in findings
