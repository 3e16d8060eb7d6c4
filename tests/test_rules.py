"""Every rule: its documented examples run as tests, and the registry is well formed."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pharmcheck.domain import CATEGORIES, Severity
from pharmcheck.rules import REGISTRY, select_rules
from pharmcheck.smiles_text import looks_like_smiles
from tests.helpers import AS_OF, medications_from, patient_from

pytestmark = pytest.mark.core  # runs in the install without extras (test_core_install.py)

EXAMPLES = [
    pytest.param(rule, example, id=f"{code}-{'flagged' if example.flagged else 'clean'}-{i}")
    for code, rule in sorted(REGISTRY.items())
    for i, example in enumerate(rule.examples)
]


@pytest.mark.parametrize(("rule", "example"), EXAMPLES)
def test_rule_examples(checker, rule, example) -> None:  # type: ignore[no-untyped-def]
    if any(looks_like_smiles(text) for text in example.medications):
        pytest.importorskip("rdkit", reason="an example given as a structure needs the chem extra")
    report = checker.check(medications_from(example), patient_from(example.patient), as_of=AS_OF)
    assert not report.unrecognized, report.unrecognized
    codes = [f.code for f in report.findings]
    if example.flagged:
        assert rule.code in codes, f"{rule.code} did not fire on {example.medications}: {codes}"
        own = [(f.severity, f.message) for f in report.findings if f.code == rule.code]
        assert any(
            severity == example.severity and example.says in message for severity, message in own
        ), own
    else:
        assert rule.code not in codes, f"{rule.code} fired on clean example {example.medications}"


def test_every_flagged_example_states_its_severity_and_message() -> None:
    """A flagged example asserts what the finding says and how severe it is, not only that the
    code fires; a clean example has no finding to describe."""
    for code, rule in REGISTRY.items():
        for example in rule.examples:
            where = f"{code} {example.medications} {example.patient}"
            if example.flagged:
                assert example.severity is not None, f"{where}: no severity="
                assert example.says.strip(), f"{where}: no says="
            else:
                assert example.severity is None and not example.says, where


def test_every_rule_has_a_flagged_and_a_clean_example() -> None:
    for rule in REGISTRY.values():
        assert any(e.flagged for e in rule.examples), rule.code
        assert any(not e.flagged for e in rule.examples), rule.code


def test_registry_codes_names_and_docs() -> None:
    names = set()
    for code, rule in REGISTRY.items():
        assert re.fullmatch(r"PC[1-8]\d\d", code)
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name)
        assert rule.name not in names
        names.add(rule.name)
        assert rule.category in CATEGORIES
        for section in (rule.doc.what, rule.doc.why, rule.doc.limits, rule.doc.references):
            assert len(section) > 10


def test_select_and_ignore() -> None:
    assert [r.code for r in select_rules(["PC1"])] == ["PC101"]
    assert "PC201" not in [r.code for r in select_rules(ignore=["interacting-pair"])]
    assert [r.code for r in select_rules(["PC2"], ["PC203"])] == ["PC201", "PC202", "PC204"]
    with pytest.raises(ValueError, match="no rule matches"):
        select_rules(["PC999"])


def _check(checker, *meds: str, **patient):  # type: ignore[no-untyped-def]
    from pharmcheck.domain import Medication, Patient

    return checker.check([Medication(m) for m in meds], Patient(**patient), as_of=AS_OF)


TRAMADOL_NAMES = ("tramadol 50 mg qid", "Ultram 50 mg qid", "tramadol hydrochloride 50 mg")


@given(
    names=st.lists(st.sampled_from(TRAMADOL_NAMES), min_size=1, max_size=4),
    partner=st.booleans(),
)
def test_rules_never_pair_a_drug_with_itself(checker, names: list[str], partner: bool) -> None:  # type: ignore[no-untyped-def]
    """Tramadol under any of its names is one drug: it never interacts with itself (PC201 needs
    a second drug, here sertraline: serotonin toxicity) and no finding names it twice."""
    report = _check(checker, *names, *(["sertraline 100 mg"] if partner else []))
    for finding in report.findings:
        assert len(set(finding.drugs)) == len(finding.drugs), finding
    pairs = [set(f.drugs) for f in report.findings if f.code == "PC201"]
    assert bool(pairs) == partner, pairs
    assert all(pair == {"tramadol", "sertraline"} for pair in pairs), pairs


def test_same_pair_reported_once_per_reason(checker) -> None:  # type: ignore[no-untyped-def]
    report = _check(checker, "valproic acid 500 mg bd", "meropenem 1 g tds", "Epilim 200 mg bd")
    keys = [(f.code, f.drugs, f.message) for f in report.findings]
    assert len(keys) == len(set(keys))


def test_etomidate_is_info(checker) -> None:  # type: ignore[no-untyped-def]
    report = _check(checker, "etomidate 20 mg iv stat")
    causative = [f for f in report.findings if f.code == "PC101"]
    assert causative and causative[0].severity == Severity.INFO


def test_mme_total_arithmetic(checker) -> None:  # type: ignore[no-untyped-def]
    report = _check(checker, "fentanyl 25 mcg/h patch", "oxycodone 10 mg q6h")
    mme = next(f for f in report.findings if f.code == "PC401")
    assert "Total 120 MME/day" in mme.message  # 25 x 2.4 = 60, 40 x 1.5 = 60
    assert mme.severity == Severity.MAJOR


def test_mme_incomplete_for_pethidine(checker) -> None:  # type: ignore[no-untyped-def]
    report = _check(checker, "pethidine 50 mg q4h", "morphine 10 mg q4h")
    mme = next(f for f in report.findings if f.code == "PC401")
    assert "INCOMPLETE" in mme.message and "pethidine has no CDC 2022 MME factor" in mme.message
    assert mme.message.startswith("At least 60 MME/day (morphine 60 mg x 1 = 60)")


@pytest.mark.parametrize(
    ("sig", "expected"),
    [
        ("morphine 10 mg q4h prn max 60 mg/day", "Total 60 MME/day"),
        ("morphine 10 mg prn", "daily dose unknown"),
    ],
)
def test_mme_prn(checker, sig: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    mme = next(f for f in _check(checker, sig).findings if f.code == "PC401")
    assert expected in mme.message


def test_serotonergic_load_is_major_with_mao_inhibitor(checker) -> None:  # type: ignore[no-untyped-def]
    load = next(
        f
        for f in _check(checker, "linezolid 600 mg bd", "sertraline 50 mg").findings
        if f.code == "PC202"
    )
    assert load.severity == Severity.MAJOR and set(load.drugs) == {"linezolid", "sertraline"}


def test_acb_burden_names_every_contributor(checker) -> None:  # type: ignore[no-untyped-def]
    acb = next(
        f
        for f in _check(checker, "amitriptyline 10 mg", "oxybutynin 5 mg", "morphine 5 mg").findings
        if f.code == "PC203"
    )
    assert "ACB total 7" in acb.message
    assert set(acb.drugs) == {"amitriptyline", "oxybutynin", "morphine"}
