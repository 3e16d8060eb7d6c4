"""Invariants of the check, over generated medication lists (hypothesis; 200 examples each)."""

from __future__ import annotations

import json
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from pharmcheck.domain import Medication, Patient, Severity

AS_OF = date(2026, 11, 25)
POOL = [
    "tramadol 50 mg qid",
    "morphine 10 mg q4h",
    "Neurontin 600 tid",
    "sertraline 100 mg daily",
    "linezolid 600 mg bd",
    "valproic acid 500 mg bd",
    "meropenem 1 g tds",
    "clonazepam 0.5 mg bd",
    "Keppra 500 mg bd",
    "amitriptyline 25 mg nocte",
    "oxybutynin 5 mg bd",
    "cefepime 2 g q8h",
    "lithium carbonate 400 mg nocte",
    "lisinopril 10 mg daily",
    "carbamazepine 200 mg bd",
    "amlodipine 5 mg daily",
    "metformin 500 mg bd",
    "Demerol 75 mg IM q3h",
    "ciprofloxacin 500 mg bd",
    "fentanyl 25 mcg/h patch",
    "levodopa/carbidopa 100/25 tid",
    "piracetam 2.4 g tds",
    "quetiapine 50 mg",
    "xyzzy",
    "pregabalin 150 mg bd",
    "diazepam 5 mg tds",
    "lamotrigine 100 mg bd",
    "etomidate 20 mg iv stat",
]
PATIENTS = st.builds(
    Patient,
    age=st.none() | st.integers(16, 95),
    crcl=st.none() | st.integers(5, 140),
    myoclonus=st.none() | st.sampled_from(["absent", "present", "worsening", "improving"]),
    conditions=st.lists(
        st.sampled_from(["juvenile myoclonic epilepsy", "Dravet syndrome", "dehydration"]),
        max_size=2,
    ).map(tuple),
)
LISTS = st.lists(st.sampled_from(POOL), min_size=1, max_size=8, unique=True)


def _findings(report, drop_duplicates: bool = False) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(
        json.dumps(f.to_dict(), sort_keys=True)
        for f in report.findings
        if not (drop_duplicates and f.category == "duplicate-therapy")
    )


@given(LISTS, PATIENTS, st.randoms())
def test_order_does_not_matter(checker, meds, patient, rnd) -> None:  # type: ignore[no-untyped-def]
    shuffled = list(meds)
    rnd.shuffle(shuffled)
    first = checker.check(meds, patient, as_of=AS_OF)
    second = checker.check(shuffled, patient, as_of=AS_OF)
    assert _findings(first) == _findings(second)
    assert sorted(u.input for u in first.unrecognized) == sorted(
        u.input for u in second.unrecognized
    )


def _asserted(report):  # type: ignore[no-untyped-def]
    # Messages quote the input text, so compare what each finding asserts.
    return sorted((f.code, f.severity, f.drugs) for f in report.findings)


@given(LISTS, PATIENTS, st.randoms())
def test_case_and_whitespace_change_nothing(checker, meds, patient, rnd) -> None:  # type: ignore[no-untyped-def]
    def mangle(text: str) -> str:
        cased = "".join(c.upper() if rnd.random() < 0.5 else c.lower() for c in text)
        return "  " + cased.replace(" ", "   ") + " "

    base = checker.check(meds, patient, as_of=AS_OF)
    messy = checker.check([mangle(m) for m in meds], patient, as_of=AS_OF)
    assert _asserted(base) == _asserted(messy)


@given(LISTS, PATIENTS)
def test_a_repeated_entry_never_lowers_or_removes_a_finding(checker, meds, patient) -> None:  # type: ignore[no-untyped-def]
    """Every entry is given, so a repeat adds to the summed dose: findings may appear or rise
    (same-drug-listed-twice, a maximum now exceeded), never fall or vanish."""
    base = checker.check(meds, patient, as_of=AS_OF)
    repeated = checker.check(list(meds) + list(meds), patient, as_of=AS_OF)
    highest: dict[tuple[str, tuple[str, ...]], Severity] = {}
    for f in repeated.findings:
        highest[(f.code, f.drugs)] = max(highest.get((f.code, f.drugs), f.severity), f.severity)
    for f in base.findings:
        if f.code == "PC702" and (f.code, f.drugs) not in highest:
            # a renal rule folds into PC501 once the summed dose makes PC501 report the drug
            carrier = [r for r in repeated.findings if r.code == "PC501" and r.drugs == f.drugs]
            label = f.title.split(" in ", 1)[1]
            assert (
                carrier
                and f" in {label} (evidence" in carrier[0].message
                and carrier[0].severity >= f.severity
            ), f
            continue
        assert (f.code, f.drugs) in highest, f
        assert highest[(f.code, f.drugs)] >= f.severity, f


@given(LISTS, st.sampled_from(POOL), PATIENTS)
def test_adding_a_drug_never_removes_a_pairwise_finding(checker, meds, extra, patient) -> None:  # type: ignore[no-untyped-def]
    before = {
        (f.code, f.drugs, f.message)
        for f in checker.check(meds, patient, as_of=AS_OF).findings
        if f.code == "PC201"
    }
    after = {
        (f.code, f.drugs, f.message)
        for f in checker.check([*meds, extra], patient, as_of=AS_OF).findings
        if f.code == "PC201"
    }
    assert before <= after


@given(LISTS, PATIENTS)
def test_report_survives_a_json_round_trip(checker, meds, patient) -> None:  # type: ignore[no-untyped-def]
    data = checker.check([Medication(m) for m in meds], patient, as_of=AS_OF).to_dict()
    assert json.loads(json.dumps(data)) == data


@given(LISTS, PATIENTS)
def test_every_input_is_accounted_for(checker, meds, patient) -> None:  # type: ignore[no-untyped-def]
    report = checker.check(meds, patient, as_of=AS_OF)
    seen = {m.input for m in report.medications} | {u.input for u in report.unrecognized}
    assert seen == set(meds)
