"""The condition hierarchy: a rule for a broader condition applies to the conditions under it,
and a condition with its ancestors gives one finding."""

from __future__ import annotations

import shutil
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pharmcheck.domain import Medication, Patient, Severity
from pharmcheck.inputs.conditions import resolve_condition
from pharmcheck.kb.build import check_sources
from pharmcheck.kb.sources import read_sources
from pharmcheck.paths import sources_dir
from pharmcheck.rules.base import CheckContext

AS_OF = date(2026, 11, 25)


def pc7(checker, meds: list[str], conditions: tuple[str, ...], drug: str, code: str = "PC701"):  # type: ignore[no-untyped-def]
    report = checker.check(
        [Medication(m) for m in meds], Patient(conditions=conditions), as_of=AS_OF
    )
    return [f for f in report.findings if f.code == code and drug in f.drugs]


def cid(kb, name: str) -> int:  # type: ignore[no-untyped-def]
    return int(kb.condition_by_name[name])


# --- the hierarchy as stored --------------------------------------------------------------------


@pytest.mark.parametrize(
    "child",
    [
        "unverricht-lundborg-disease",
        "lafora-disease",
        "merrf",
        "sialidosis-type-1",
        "neuronal-ceroid-lipofuscinosis",
    ],
)
def test_the_pmes_are_under_progressive_myoclonus_epilepsy(kb, child: str) -> None:  # type: ignore[no-untyped-def]
    above = kb.condition_ancestors[cid(kb, child)]
    assert cid(kb, "progressive-myoclonus-epilepsy") in above and cid(kb, "epilepsy") in above


def test_generalised_syndromes_are_under_ige(kb) -> None:  # type: ignore[no-untyped-def]
    ige = cid(kb, "idiopathic-generalised-epilepsy")
    assert ige in kb.condition_ancestors[cid(kb, "juvenile-myoclonic-epilepsy")]
    assert ige in kb.condition_ancestors[cid(kb, "epilepsy-with-eyelid-myoclonia")]


def test_dravet_is_not_a_pme(kb) -> None:  # type: ignore[no-untyped-def]
    # ILAE 2022: a developmental and epileptic encephalopathy, not a progressive myoclonus epilepsy
    assert kb.condition_ancestors[cid(kb, "dravet-syndrome")] == {cid(kb, "epilepsy")}


def test_no_dravet_rule_calls_it_a_pme() -> None:
    for row in read_sources(sources_dir()).tables["condition_rules"]:
        if row["condition"] == "dravet-syndrome":
            text = row["management"]
            assert "Dravet listed among them" not in text, row.where
            assert "PME" not in text or "not a PME" in text, row.where


# --- names and codes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "condition"),
    [
        ("Lafora disease", "lafora-disease"),
        ("Lafora body disease", "lafora-disease"),
        ("G40.C01", "lafora-disease"),
        ("G40.C09", "lafora-disease"),
        ("MERRF", "merrf"),
        ("myoclonic epilepsy with ragged red fibers", "merrf"),
        ("sialidosis type I", "sialidosis-type-1"),
        ("cherry-red spot myoclonus syndrome", "sialidosis-type-1"),
        ("Batten disease", "neuronal-ceroid-lipofuscinosis"),
        ("neuronal ceroid lipofuscinoses", "neuronal-ceroid-lipofuscinosis"),
        ("E75.4", "neuronal-ceroid-lipofuscinosis"),
        ("Angelman syndrome", "angelman-syndrome"),
        ("Q93.51", "angelman-syndrome"),
        ("Jeavons syndrome", "epilepsy-with-eyelid-myoclonia"),
        ("eyelid myoclonia with absences", "epilepsy-with-eyelid-myoclonia"),
    ],
)
def test_new_syndromes_resolve(kb, text: str, condition: str) -> None:  # type: ignore[no-untyped-def]
    found = resolve_condition(kb, text)
    assert found.resolved and kb.conditions[found.condition_id][0] == condition, found


# --- having a condition through a descendant ----------------------------------------------------


def test_a_child_has_its_ancestors_not_its_siblings_or_children(kb) -> None:  # type: ignore[no-untyped-def]
    uld = CheckContext(
        kb, Patient(), [], AS_OF, frozenset({cid(kb, "unverricht-lundborg-disease")})
    )
    assert uld.has_condition("progressive-myoclonus-epilepsy") is True
    assert uld.has_condition("epilepsy") is True
    assert uld.has_condition("lafora-disease") is False
    assert uld.has_condition("juvenile-myoclonic-epilepsy") is False
    pme = CheckContext(
        kb, Patient(), [], AS_OF, frozenset({cid(kb, "progressive-myoclonus-epilepsy")})
    )
    assert pme.has_condition("unverricht-lundborg-disease") is False


def test_esrd_given_is_renal_impairment(kb) -> None:  # type: ignore[no-untyped-def]
    ctx = CheckContext(kb, Patient(), [], AS_OF, frozenset({cid(kb, "end-stage-renal-disease")}))
    assert ctx.has_condition("renal-impairment") is True


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_having_a_condition_implies_having_its_ancestors(kb, data) -> None:  # type: ignore[no-untyped-def]
    given_ids = data.draw(st.frozensets(st.sampled_from(sorted(kb.conditions)), max_size=3))
    ctx = CheckContext(kb, Patient(), [], AS_OF, given_ids)
    for condition_id, (name, _) in kb.conditions.items():
        if ctx.has_condition(name):
            for ancestor in kb.condition_ancestors[condition_id]:
                assert ctx.has_condition(kb.conditions[ancestor][0]) is True, (name, ancestor)
        if condition_id in given_ids or given_ids & kb.condition_descendants[condition_id]:
            assert ctx.has_condition(name) is True


# --- rules through the hierarchy ----------------------------------------------------------------


@pytest.mark.parametrize(
    "drug",
    [
        "carbamazepine 200 mg bd",
        "phenytoin 100 mg tds",
        "gabapentin 300 mg tds",
        "vigabatrin 500 mg bd",
    ],
)
def test_uld_inherits_pme_rules_at_their_severity(checker, drug: str) -> None:  # type: ignore[no-untyped-def]
    name = drug.split()[0]
    pme = pc7(checker, [drug], ("progressive myoclonus epilepsy",), name)
    uld = pc7(checker, [drug], ("ULD",), name)
    assert len(pme) == 1 and len(uld) == 1
    assert uld[0].severity >= pme[0].severity
    assert "Unverricht-Lundborg" in uld[0].title
    assert "Also paradoxical in Progressive myoclonus epilepsy" in uld[0].message


@pytest.mark.parametrize(
    "syndrome", ["Lafora disease", "MERRF", "sialidosis type I", "Batten disease"]
)
def test_a_pme_without_its_own_rule_gets_the_pme_rule(checker, syndrome: str) -> None:  # type: ignore[no-untyped-def]
    # phenytoin may worsen a PME and precipitate cerebellar signs (Roivainen 2014): major for every
    # PME
    found = pc7(checker, ["phenytoin 100 mg tds"], (syndrome,), "phenytoin")
    assert len(found) == 1 and found[0].severity == Severity.MAJOR
    assert "a form of progressive myoclonus epilepsy" in found[0].title


def test_a_parent_rule_applies_to_a_child_in_pc702(checker) -> None:  # type: ignore[no-untyped-def]
    # the tramadol label's seizure warning is for epilepsy: it holds for JME
    found = pc7(
        checker, ["tramadol 50 mg qid"], ("juvenile myoclonic epilepsy",), "tramadol", "PC702"
    )
    assert len(found) == 1 and found[0].severity == Severity.MAJOR
    assert "Juvenile myoclonic epilepsy (a form of epilepsy or seizure disorder)" in found[0].title
    assert not pc7(checker, ["tramadol 50 mg qid"], ("Angelman syndrome",), "tramadol", "PC702")


def test_child_and_ancestors_give_one_finding_with_the_child_rule(checker) -> None:  # type: ignore[no-untyped-def]
    for conditions in [("Jeavons syndrome",), ("Jeavons syndrome", "IGE", "epilepsy")]:
        found = pc7(checker, ["oxcarbazepine 300 mg bd"], conditions, "oxcarbazepine")
        assert len(found) == 1, conditions
        assert found[0].title.startswith("oxcarbazepine in Epilepsy with eyelid myoclonia")
        assert "MEN11-JS" in " ".join(found[0].references)  # the child's rule leads
    # the IGE carbamazepine rule (major) beats no child rule
    found = pc7(checker, ["carbamazepine 200 mg bd"], ("Jeavons syndrome",), "carbamazepine")
    assert len(found) == 1 and found[0].severity == Severity.MAJOR


def test_child_rule_at_the_higher_severity(checker) -> None:  # type: ignore[no-untyped-def]
    # MERRF's own carbamazepine rule is moderate; PME's is moderate: one finding, MERRF's advice
    found = pc7(checker, ["carbamazepine 200 mg bd"], ("MERRF", "PME"), "carbamazepine")
    assert len(found) == 1 and "MERRF" in found[0].title
    assert found[0].recommendation.startswith("Expert review")
    # phenytoin: only the PME rule (major) applies to MERRF
    assert (
        pc7(checker, ["phenytoin 100 mg tds"], ("MERRF",), "phenytoin")[0].severity
        == Severity.MAJOR
    )


def test_dravet_finding_does_not_carry_pme_rules(checker) -> None:  # type: ignore[no-untyped-def]
    found = pc7(checker, ["carbamazepine 200 mg bd"], ("Dravet syndrome",), "carbamazepine")
    assert len(found) == 1 and "progressive myoclonus" not in found[0].message.lower()
    assert (
        found[0].severity == Severity.MAJOR
    )  # sodium-channel agents typically exacerbate (Wirrell 2016)


# --- check-sources ------------------------------------------------------------------------------


def _with_parents(tmp_path, lines: list[str]) -> list[str]:  # type: ignore[no-untyped-def]
    copy = tmp_path / "db"
    shutil.copytree(sources_dir(), copy)
    (copy / "condition_parents" / "extra.csv").write_text(
        "\n".join(["condition,parent,ref_id", *lines]) + "\n", encoding="utf-8"
    )
    return check_sources(copy)


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("epilepsy,juvenile-myoclonic-epilepsy,", "closes a cycle"),
        ("dravet-syndrome,dravet-syndrome,", "closes a cycle"),
        ("lafora-disease,no-such-condition,", "unknown parent 'no-such-condition'"),
        ("no-such-condition,epilepsy,", "unknown condition 'no-such-condition'"),
        ("lafora-disease,epilepsy,NO-SUCH-REF", "unknown reference"),
        ("lafora-disease,,", "condition_parents.parent is empty"),
    ],
)
def test_check_sources_rejects_a_bad_edge(tmp_path, line: str, problem: str) -> None:  # type: ignore[no-untyped-def]
    problems = _with_parents(tmp_path, [line])
    assert any(problem in p for p in problems), problems


def test_check_sources_accepts_a_second_parent(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert _with_parents(tmp_path, ["merrf,mitochondrial-disease,"]) == []


def test_the_vocabulary_lists_each_conditions_parents(kb) -> None:  # type: ignore[no-untyped-def]
    by_name = {e["condition"]: e for e in kb.condition_vocabulary()}
    assert by_name["lafora-disease"]["is_a"] == ["progressive-myoclonus-epilepsy"]
    assert by_name["dravet-syndrome"]["is_a"] == ["epilepsy"]
    assert by_name["angelman-syndrome"]["is_a"] == []


EPILEPSY_FAMILY = [
    "ULD",
    "Lafora disease",
    "MERRF",
    "Batten disease",
    "JME",
    "Jeavons syndrome",
    "Dravet syndrome",
    "Lennox-Gastaut syndrome",
    "myoclonic seizures",
    "Angelman syndrome",
]
DRUGS = [
    "carbamazepine 200 mg bd",
    "phenytoin 100 mg tds",
    "oxcarbazepine 300 mg bd",
    "lamotrigine 100 mg bd",
    "vigabatrin 500 mg bd",
    "tramadol 50 mg qid",
    "valproic acid 500 mg bd",
]


def _condition_findings(checker, drugs: list[str], conditions: tuple[str, ...]):  # type: ignore[no-untyped-def]
    report = checker.check(
        [Medication(d) for d in drugs],
        Patient(conditions=conditions, sex="male", age=30),
        as_of=AS_OF,
    )
    return sorted(
        (f.code, f.drugs, int(f.severity), frozenset(f.references))
        for f in report.findings
        if f.code in ("PC701", "PC702")
    )


@settings(max_examples=25, deadline=None)
@given(
    given_names=st.lists(st.sampled_from(EPILEPSY_FAMILY), min_size=1, max_size=2, unique=True),
    drugs=st.lists(st.sampled_from(DRUGS), min_size=1, max_size=3, unique=True),
    data=st.data(),
)
def test_naming_an_implied_ancestor_changes_nothing(checker, kb, given_names, drugs, data) -> None:  # type: ignore[no-untyped-def]
    # a patient given ULD already has PME and epilepsy: saying so again adds no finding, no severity
    child = resolve_condition(kb, data.draw(st.sampled_from(given_names))).condition_id
    ancestors = sorted(kb.conditions[a][0] for a in kb.condition_ancestors[child])
    if not ancestors:
        return
    ancestor = data.draw(st.sampled_from(ancestors))
    assert _condition_findings(checker, drugs, (*given_names, ancestor)) == _condition_findings(
        checker, drugs, tuple(given_names)
    )
