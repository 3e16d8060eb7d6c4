"""Checker's surface: check(), read-only properties, and the two steps of a check, each taking
one typed request and returning a value (never filling a list its caller passed)."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from pharmcheck import Checker, InputError, Medication, Patient
from pharmcheck.engine import EvaluateRequest, ResolvedItems, ResolveRequest
from pharmcheck.rules import REGISTRY

AS_OF = date(2026, 11, 25)
# Not a KB drug: a made-up fluoroquinolone-like structure is screened by structure only.
UNKNOWN_STRUCTURE = "CCN1C=C(C(=O)O)C(=O)c2cc(F)c(N3CCN(CCCC)CC3)cc21"


def test_the_public_surface_is_check_the_properties_and_the_two_steps() -> None:
    public = {name for name in dir(Checker) if not name.startswith("_")}
    assert public == {
        "check",
        "kb",
        "kb_version",
        "schema_revision",
        "rules",
        "resolve",
        "evaluate",
        "prefetch",
        "conditions_of",
    }


@pytest.mark.parametrize("name", ["kb", "kb_version", "schema_revision", "rules"])
def test_properties_are_read_only(checker, name: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(AttributeError):
        setattr(checker, name, None)


def test_properties_say_what_a_report_says(checker) -> None:  # type: ignore[no-untyped-def]
    report = checker.check(["tramadol"], as_of=AS_OF)
    assert (checker.kb_version, checker.schema_revision) == (
        report.kb_version,
        report.schema_revision,
    )
    assert {r.code for r in checker.rules} == set(REGISTRY)
    assert [r.code for r in checker.rules] == sorted(r.code for r in checker.rules)


def test_requests_are_frozen() -> None:
    request = ResolveRequest(Medication("tramadol"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        request.index = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda c: c.resolve(Medication("tramadol")), "resolve needs a ResolveRequest"),
        (lambda c: c.evaluate(["tramadol"]), "evaluate needs an EvaluateRequest"),
    ],
)
def test_a_step_given_something_else_is_an_input_error(checker, call, words: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match=words):
        call(checker)


def test_resolve_returns_the_drugs_of_a_text_naming_two(checker) -> None:  # type: ignore[no-untyped-def]
    found = checker.resolve(ResolveRequest(Medication("sertraline 100 mg, tramadol 50 mg qid")))
    assert [m.drug for m in found.medications] == ["sertraline", "tramadol"]
    assert found.medications[1].daily_dose is not None
    assert found.medications[1].daily_dose.value == 200  # 50 mg four times a day
    assert found.unrecognized == () and found.structures == ()


def test_a_structure_matching_no_drug_is_returned_or_reported_as_the_request_says(checker) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("rdkit")
    med = Medication("unknown compound", smiles=UNKNOWN_STRUCTURE)
    screened = checker.resolve(ResolveRequest(med))
    assert isinstance(screened, ResolvedItems)
    assert [s.input for s in screened.structures] == ["unknown compound"]
    assert screened.medications == () and screened.unrecognized == ()
    not_screened = checker.resolve(ResolveRequest(med, screen_structures=False))
    assert not_screened.structures == ()
    assert [u.input for u in not_screened.unrecognized] == ["unknown compound"]
    assert "structure-based screening is not available" in not_screened.unrecognized[0].reason


def test_the_two_steps_give_what_check_gives(checker) -> None:  # type: ignore[no-untyped-def]
    meds = ["tramadol 50 mg qid", "sertraline 100 mg daily", "gabbapentin 600 tid"]
    patient = Patient(age=81, crcl=25, myoclonus="present", conditions=("epilepsy",))
    found = [
        checker.resolve(ResolveRequest(Medication(m), index=i, weight_kg=patient.weight_kg))
        for i, m in enumerate(meds)
    ]
    stepwise = checker.evaluate(
        EvaluateRequest(
            patient,
            tuple(m for f in found for m in f.medications),
            AS_OF,
            checker.rules,
            unrecognized=tuple(u for f in found for u in f.unrecognized),
            notes=tuple(n for f in found for n in f.notes),
        )
    )
    assert stepwise == checker.check(meds, patient, as_of=AS_OF)
    assert stepwise.findings  # tramadol and sertraline at CrCl 25 are flagged


def test_checker_refuses_what_is_not_a_knowledge_base() -> None:
    with pytest.raises(InputError, match="Checker needs a KnowledgeBase"):
        Checker("sqlite:///kb.sqlite")  # type: ignore[arg-type]
