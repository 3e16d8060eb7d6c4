"""The command line from the outside: help everywhere, the exit-code contract, every format."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from pharmcheck.cli import cli


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += _commands(command, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


@pytest.mark.parametrize("path", _commands(cli), ids=lambda p: " ".join(p) or "pharmcheck")
@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_help_everywhere(path: tuple[str, ...], flag: str) -> None:
    result = CliRunner().invoke(cli, [*path, flag])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_version() -> None:
    from pharmcheck._version import __version__

    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


def run(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def test_exit_0_when_clean() -> None:
    result = run(
        "check", "amlodipine 5 mg daily", "atorvastatin 20 mg nocte", "metformin 500 mg bd"
    )
    assert result.exit_code == 0, result.output
    assert "No findings." in result.output


def test_exit_1_on_major_finding() -> None:
    result = run("check", "tramadol", "Neurontin 600 tid", "Demerol 75 mg IM q3h", "--crcl", "28")
    assert result.exit_code == 1
    assert "MAJOR" in result.output


def test_fail_on_raises_the_bar() -> None:
    args = ("check", "levodopa 100 mg tid", "--fail-on", "contraindicated")
    assert run(*args).exit_code == 0


def test_exit_1_on_unrecognised_unless_allowed() -> None:
    result = run("check", "amlodipine", "xyzzyplox")
    assert result.exit_code == 1
    assert "NOT CHECKED" in result.output and "xyzzyplox" in result.output
    assert run("check", "amlodipine", "xyzzyplox", "--allow-unrecognized").exit_code == 0


def test_exit_zero_flag() -> None:
    assert run("check", "tramadol 100 mg qid", "sertraline 100 mg", "--exit-zero").exit_code == 0


@pytest.mark.parametrize(
    "args",
    [
        ("check",),
        ("check", "tramadol", "--crcl", "-5"),
        ("check", "tramadol", "--age", "400"),
        ("check", "tramadol", "--select", "PC999"),
        ("check", "tramadol", "--as-of", "yesterday"),
        ("check", "--input", "/nonexistent/file.json"),
        ("rules", "PC999"),
        ("drug", "show", "xyzzyplox"),
    ],
)
def test_exit_2_with_one_line(args: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.strip().splitlines() if line.strip()]
    assert "Traceback" not in result.output
    assert lines and (lines[-1].startswith("pharmcheck: error:") or lines[-1].startswith("Error:"))


def test_json_contract() -> None:
    result = run("check", "Neurontin 600 tid", "xyzzy", "--crcl", "28", "--format", "json")
    data = json.loads(result.output)
    assert {
        "pharmcheck_version",
        "knowledge_base",
        "patient",
        "medications",
        "unrecognized",
        "findings",
        "highest_severity",
    } <= set(data)
    assert set(data["knowledge_base"]) == {"version", "schema_revision"}
    med = data["medications"][0]
    assert med == {
        **med,
        "input": "Neurontin 600 tid",
        "drug": "gabapentin",
        "match": "brand",
        "score": 1.0,
        "dose": {"value": 600, "unit": "mg"},
        "frequency": "tid",
        "daily_dose": {"value": 1800, "unit": "mg"},
    }
    assert data["unrecognized"][0]["input"] == "xyzzy"
    order = ["info", "minor", "moderate", "major", "contraindicated"]
    severities = [order.index(f["severity"]) for f in data["findings"]]
    assert severities == sorted(severities, reverse=True)
    for finding in data["findings"]:
        assert set(finding) >= {
            "code",
            "name",
            "category",
            "severity",
            "drugs",
            "title",
            "message",
            "recommendation",
            "evidence",
            "references",
        }
        assert all(d == d.lower() for d in finding["drugs"])
    assert data["highest_severity"] == order[max(severities)]


def test_library_report_equals_cli_json(checker) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    result = run(
        "check",
        "tramadol 50 mg qid",
        "sertraline 100 mg",
        "--as-of",
        "2026-11-25",
        "--format",
        "json",
    )
    report = checker.check(["tramadol 50 mg qid", "sertraline 100 mg"], as_of=date(2026, 11, 25))
    assert json.loads(result.output) == json.loads(json.dumps(report.to_dict()))


def test_markdown_and_csv_formats() -> None:
    md = run("check", "tramadol 50 mg qid", "sertraline 100 mg", "--format", "markdown").output
    assert md.startswith("# pharmcheck report") and "## Findings" in md
    out = run("check", "tramadol 50 mg qid", "sertraline 100 mg", "xyzzy", "--format", "csv").output
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and {"code", "severity", "drugs", "message"} <= set(rows[0])
    assert any(r["category"] == "unrecognized" for r in rows)


def test_input_document(tmp_path: Path) -> None:
    doc = {
        "as_of": "2026-11-25",
        "patient": {
            "id": "bed-7",
            "age": 70,
            "crcl": 28,
            "conditions": ["juvenile myoclonic epilepsy"],
            "myoclonus": "worsening",
        },
        "medications": [
            {
                "name": "clonazepam",
                "dose": "2 mg",
                "frequency": "tid",
                "start": "2026-07-15",
                "history": [
                    {"date": "2026-07-15", "daily_dose": "1.5 mg"},
                    {"date": "2026-11-15", "daily_dose": "6 mg"},
                ],
            },
            {"name": "carbamazepine 200 mg bd"},
        ],
    }
    path = tmp_path / "req.json"
    path.write_text(json.dumps(doc))
    data = json.loads(run("check", "--input", str(path), "--format", "json").output)
    codes = {f["code"] for f in data["findings"]}
    assert {"PC601", "PC621", "PC701"} <= codes
    assert data["patient"]["id"] == "bed-7"
    yaml_path = tmp_path / "req.yaml"
    yaml_path.write_text(
        "medications:\n  - tramadol 50 mg qid\n  - name: sertraline\n    dose: 100 mg\n"
    )
    assert json.loads(run("check", "--input", str(yaml_path), "--format", "json").output)[
        "medications"
    ]


def test_output_refuses_to_overwrite_input(tmp_path: Path) -> None:
    path = tmp_path / "req.json"
    path.write_text(json.dumps({"medications": ["tramadol"]}))
    result = CliRunner().invoke(cli, ["check", "--input", str(path), "-o", str(path)])
    assert result.exit_code == 2 and "refusing to write the report" in result.output
    assert json.loads(path.read_text()) == {"medications": ["tramadol"]}


def test_rules_listing_and_detail() -> None:
    listing = run("rules").output
    assert "PC101" in listing and "myoclonus-causing-drug" in listing
    detail = run("rules", "renal-dose-band").output
    for heading in ("What it flags", "Why it is risky", "Known limits", "References", "Examples"):
        assert heading in detail


@pytest.mark.parametrize(
    ("name", "drug"),
    [
        ("Ultram", "tramadol"),
        ("Klonopin", "clonazepam"),
        ("Keppra", "levetiracetam"),
        ("Nootropil", "piracetam"),
        ("Demerol", "pethidine"),
        ("tramadol hydrochloride", "tramadol"),
    ],
)
def test_drug_show_brands_and_salts(name: str, drug: str) -> None:
    data = json.loads(run("drug", "show", name, "--format", "json").output)
    assert data["name"] == drug
    assert {
        "name",
        "synonyms",
        "classes",
        "smiles",
        "inchikey",
        "drugbank_id",
        "atc_codes",
        "myoclonus_risk",
        "anticholinergic_burden",
        "mme_factor",
        "serotonergic",
        "renal",
        "treats_myoclonus",
        "references",
    } <= set(data)
    assert data["smiles"] and data["inchikey"] and data["myoclonus_risk"]["references"]


def test_drug_search() -> None:
    out = run("drug", "search", "keppra").output
    assert "levetiracetam" in out


def test_db_info_json() -> None:
    data = json.loads(run("db", "info", "--format", "json").output)
    assert {"schema_revision", "kb_version", "built_at", "counts"} <= set(data)
    assert {
        "drugs",
        "curated_drugs",
        "names",
        "classes",
        "references",
        "interaction_rules",
        "condition_rules",
    } <= set(data["counts"])


def test_every_format_names_the_kb_version(kb) -> None:  # type: ignore[no-untyped-def]
    for fmt in ("text", "json", "markdown", "csv"):
        out = run(
            "check", "tramadol 50 mg qid", "sertraline 100 mg", "--format", fmt, "--exit-zero"
        ).output
        assert kb.version in out, fmt


def test_text_report_fits_80_columns() -> None:
    out = run(
        "check",
        "tramadol",
        "Neurontin 600 tid",
        "Demerol 75 mg IM q3h",
        "xyzzy",
        "co-codamol 30/500 2 qds",
        "--crcl",
        "28",
        "--condition",
        "juvenile myoclonic epilepsy",
        "--myoclonus",
        "worsening",
    ).output
    assert max(len(line) for line in out.splitlines()) <= 80


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://alice:s3cret-pw@127.0.0.1:1/kb",  # no driver installed, or no server
        "postgresql://alice:s3cret-pw@db.example:notaport/kb",  # an unusable URL
        "mysql://alice:s3cret-pw@127.0.0.1:1/kb",
        "nosuchdialect://alice:s3cret-pw@host/kb",
    ],
)
@pytest.mark.parametrize(
    "command",
    [("check", "tramadol"), ("db", "info"), ("db", "build"), ("db", "upgrade"), ("db", "verify")],
)
def test_database_passwords_are_never_shown(url: str, command: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*command, "--db", url])
    assert result.exit_code == 2, result.output
    assert "s3cret" not in result.output and "alice:***@" in result.output
    assert "internal error" not in result.output


@given(
    user=st.from_regex(r"[A-Za-z0-9_.-]{0,12}", fullmatch=True),
    password=st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=30),
)
def test_hide_password_hides_any_password(user: str, password: str) -> None:
    from pharmcheck.kb.store import hide_password

    url = f"postgresql+psycopg://{user}:{password}@db.example:5432/kb"
    assert hide_password(f"cannot use {url} (failed)") == (
        f"cannot use postgresql+psycopg://{user}:***@db.example:5432/kb (failed)"
    )


def test_help_lists_each_command_as_its_own_short_help() -> None:
    from pharmcheck.cli import _Group

    for name, (_, listed) in _Group.COMMANDS.items():
        command = cli.get_command(click.Context(cli), name)
        assert command is not None and command.get_short_help_str(limit=1000) == listed, name


def test_help_imports_no_command() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from pharmcheck.cli import cli; cli(['--help'], standalone_mode=False); "
        "print(sorted(m for m in sys.modules if m.startswith('pharmcheck')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pharmcheck.engine" not in done.stdout and "_command" not in done.stdout, done.stdout
