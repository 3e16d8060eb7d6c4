"""Condition resolution: how a condition as written is read, and that one not read is never
skipped."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from pharmcheck.cli import cli
from pharmcheck.domain import Patient
from pharmcheck.inputs.conditions import resolve_condition, search_conditions
from pharmcheck.report import render

AS_OF = date(2026, 11, 25)


def _name(kb, text: str) -> str | None:  # type: ignore[no-untyped-def]
    found = resolve_condition(kb, text)
    return kb.conditions[found.condition_id][0] if found.resolved else None


@pytest.mark.parametrize(
    ("text", "condition"),
    [
        ("Juvenile Myoclonic Epilepsy (JME)", "juvenile-myoclonic-epilepsy"),
        ("Lennox Gastaut syndrome", "lennox-gastaut-syndrome"),
        ("Lennox–Gastaut", "lennox-gastaut-syndrome"),  # an en dash, as word processors write it
        ("Dravet's syndrome", "dravet-syndrome"),
        ("Dravet syndrome (SMEI)", "dravet-syndrome"),
        ("unverricht-lundborg disease", "unverricht-lundborg-disease"),
        ("JME", "juvenile-myoclonic-epilepsy"),
        ("  juvenile   MYOCLONIC epilepsy ", "juvenile-myoclonic-epilepsy"),
        ("HUNTINGTON'S DISEASE", "huntington-disease"),
        ("Lance-Adams syndrome", "posthypoxic-myoclonus"),
    ],
)
def test_written_forms_of_a_condition(kb, text: str, condition: str) -> None:  # type: ignore[no-untyped-def]
    found = resolve_condition(kb, text)
    assert _name(kb, text) == condition
    assert found.match in ("exact", "normalized") and found.score == 1.0


@pytest.mark.parametrize(
    ("code", "condition"),
    [
        ("G40.834", "dravet-syndrome"),
        ("g40.812", "lennox-gastaut-syndrome"),
        ("G40.B19", "juvenile-myoclonic-epilepsy"),
        ("G40.A", "absence-seizures"),
    ],
)
def test_icd10cm_codes(kb, code: str, condition: str) -> None:  # type: ignore[no-untyped-def]
    found = resolve_condition(kb, code)
    assert (_name(kb, code), found.match) == (condition, "code")
    assert code in (found.note() or "")


def test_a_code_not_in_the_vocabulary_is_not_guessed(kb) -> None:  # type: ignore[no-untyped-def]
    found = resolve_condition(
        kb, "G40.B09"
    )  # a JME code no source read here lists: never read as its parent
    assert not found.resolved and "G40.B09" in found.reason


def test_a_near_miss_is_accepted_with_its_score(checker) -> None:  # type: ignore[no-untyped-def]
    found = resolve_condition(checker.kb, "Dravett syndrom")
    assert (_name(checker.kb, "Dravett syndrom"), found.match) == ("dravet-syndrome", "fuzzy")
    assert 0.8 < found.score < 1
    report = checker.check(["carbamazepine"], Patient(conditions=("Dravett syndrom",)), as_of=AS_OF)
    assert not report.unrecognized
    assert any(
        "Dravett syndrom" in n and "fuzzy" in n and f"{found.score:.2f}" in n for n in report.notes
    )


@pytest.mark.parametrize(
    "text",
    [
        "xyzzy syndrome",
        "renal",
        "myoclonus-dystonia",
        "epi",
        "dravet (ruled out)",
        "Juvenile myoclonic epilepsy (LGS)",
        "(JME)x(LGS)",
    ],
)
def test_far_misses_and_contradictions_are_not_read(kb, text: str) -> None:  # type: ignore[no-untyped-def]
    assert not resolve_condition(kb, text).resolved


def test_text_and_abbreviation_that_disagree_name_both(kb) -> None:  # type: ignore[no-untyped-def]
    found = resolve_condition(kb, "Juvenile myoclonic epilepsy (LGS)")
    assert found.match == "ambiguous"
    assert set(found.suggestions) == {"Juvenile myoclonic epilepsy", "Lennox-Gastaut syndrome"}


def _vocabulary_names(kb):  # type: ignore[no-untyped-def]
    return sorted(kb.condition_keys)


@given(st.data())
def test_case_and_spacing_never_change_the_reading(kb, data) -> None:  # type: ignore[no-untyped-def]
    stored = data.draw(st.sampled_from(_vocabulary_names(kb)))
    flips = data.draw(st.lists(st.booleans(), min_size=len(stored), max_size=len(stored)))
    pad = data.draw(st.sampled_from(["", " ", "  ", "\t"]))
    written = pad + "".join(c.upper() if f else c for c, f in zip(stored, flips, strict=True)) + pad
    assert resolve_condition(kb, written).condition_id == kb.condition_keys[stored]


@given(st.text(max_size=40))
def test_any_text_is_read_or_reported(checker, text: str) -> None:  # type: ignore[no-untyped-def]
    report = checker.check(["amlodipine"], Patient(conditions=(text,)), as_of=AS_OF)
    found = resolve_condition(checker.kb, text)
    assert found.resolved != any(u.kind == "condition" for u in report.unrecognized)


def test_carbamazepine_in_jme_as_written_is_flagged(checker) -> None:  # type: ignore[no-untyped-def]
    report = checker.check(
        ["carbamazepine 200 mg bd"],
        Patient(conditions=("Juvenile Myoclonic Epilepsy (JME)",)),
        as_of=AS_OF,
    )
    assert any(
        f.code == "PC701" and "Juvenile myoclonic epilepsy" in f.title for f in report.findings
    )
    assert not report.unrecognized


def test_unrecognised_condition_in_every_format(checker) -> None:  # type: ignore[no-untyped-def]
    report = checker.check(["amlodipine"], Patient(conditions=("made-up syndrome",)), as_of=AS_OF)
    assert "condition made-up syndrome:" in render(report, "text")
    assert "No findings for the recognised inputs." in render(report, "text")
    assert "condition **made-up syndrome**" in render(report, "markdown")
    assert json.loads(render(report, "json"))["unrecognized"] == [
        {
            "input": "made-up syndrome",
            "kind": "condition",
            "suggestions": [],
            "reason": (
                "not a condition in the knowledge base's vocabulary: "
                "condition rules were not checked for it"
            ),
        }
    ]
    rows = list(csv.DictReader(io.StringIO(render(report, "csv"))))
    assert [(r["category"], r["title"]) for r in rows] == [
        ("unrecognized", "Not checked: condition made-up syndrome")
    ]


def test_unrecognised_drug_is_marked_as_a_drug(checker) -> None:  # type: ignore[no-untyped-def]
    report = checker.check(["xyzzyplox"], as_of=AS_OF)
    assert json.loads(render(report, "json"))["unrecognized"][0]["kind"] == "drug"


def test_cli_exit_1_for_an_unrecognised_condition_unless_allowed() -> None:
    assert CliRunner().invoke(cli, ["check", "amlodipine 5 mg daily"]).exit_code == 0
    args = ["check", "amlodipine 5 mg daily", "--condition", "made-up syndrome"]
    result = CliRunner().invoke(cli, args)
    assert (
        result.exit_code == 1
        and "NOT CHECKED" in result.output
        and "made-up syndrome" in result.output
    )
    assert CliRunner().invoke(cli, [*args, "--allow-unrecognized"]).exit_code == 0
    assert (
        CliRunner()
        .invoke(cli, ["check", "amlodipine 5 mg daily", "--condition", "Dravet's syndrome"])
        .exit_code
        == 0
    )


def test_conditions_command_searches_labels_synonyms_and_codes() -> None:
    found = CliRunner().invoke(cli, ["conditions", "jme"])
    assert found.exit_code == 0 and found.output.startswith("juvenile-myoclonic-epilepsy")
    listed = json.loads(
        CliRunner().invoke(cli, ["conditions", "G40.81", "--format", "json"]).output
    )
    assert [c["condition"] for c in listed] == ["lennox-gastaut-syndrome"]
    assert {c["code"] for c in listed[0]["codes"]} == {"G40.811", "G40.812", "G40.813", "G40.814"}
    none = CliRunner().invoke(cli, ["conditions", "zzzzqq"])
    assert none.exit_code == 0 and "no condition matches" in none.output


def test_conditions_command_lists_the_whole_vocabulary(kb) -> None:  # type: ignore[no-untyped-def]
    listed = json.loads(CliRunner().invoke(cli, ["conditions", "--format", "json"]).output)
    assert sorted(c["condition"] for c in listed) == sorted(
        name for name, _ in kb.conditions.values()
    )
    assert search_conditions(kb, "Dravet's")[0]["condition"] == "dravet-syndrome"
