"""Clinical knowledge applied in its context: directed interactions, treatments that are not
causes, and what each severity means (one finding per clinical problem)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pharmcheck.domain import Medication, Patient, Severity
from pharmcheck.kb.sources import read_sources
from pharmcheck.paths import sources_dir

AS_OF = date(2026, 11, 25)
PME = ("progressive myoclonus epilepsy",)


def found(checker, meds, patient=None, code=None):  # type: ignore[no-untyped-def]
    report = checker.check(
        [Medication(m) if isinstance(m, str) else m for m in meds],
        patient or Patient(),
        as_of=AS_OF,
    )
    return [f for f in report.findings if code is None or f.code == code]


def one(checker, meds, drug, patient=None, code="PC101"):  # type: ignore[no-untyped-def]
    hits = [f for f in found(checker, meds, patient, code) if drug in f.drugs]
    assert len(hits) == 1, hits
    return hits[0]


# --- interactions with a direction ---------------------------------------------------------------


def test_unrelated_myoclonic_drug_does_not_raise_tramadol(checker) -> None:  # type: ignore[no-untyped-def]
    # Metronidazole can cause myoclonus but has no interaction with tramadol.
    alone = one(checker, ["tramadol 50 mg qid"], "tramadol", Patient(crcl=90))
    beside = one(
        checker, ["tramadol 50 mg qid", "metronidazole 400 mg tds"], "tramadol", Patient(crcl=90)
    )
    assert beside.severity == alone.severity <= Severity.MINOR
    assert "interaction" not in beside.message
    assert not found(
        checker, ["tramadol 50 mg qid", "metronidazole 400 mg tds"], Patient(crcl=90), "PC201"
    )
    # so the exit code (major by default) does not change either
    both = checker.check(
        ["tramadol 50 mg qid", "metronidazole 400 mg tds"], Patient(crcl=90), as_of=AS_OF
    )
    assert both.highest_severity < Severity.MAJOR


def test_meropenem_lowers_valproate_so_does_not_raise_its_risk(checker) -> None:  # type: ignore[no-untyped-def]
    patient = Patient(sex="male", age=50)
    valproate = one(
        checker, ["valproic acid 500 mg bd", "meropenem 1 g tds"], "valproic acid", patient
    )
    assert valproate.severity <= Severity.MINOR
    assert "meropenem" not in valproate.message
    pair = one(
        checker, ["valproic acid 500 mg bd", "meropenem 1 g tds"], "valproic acid", patient, "PC201"
    )
    assert pair.severity == Severity.MAJOR and "lowers valproic acid's level" in pair.message


def test_an_interaction_raising_the_level_raises_pc101(checker) -> None:  # type: ignore[no-untyped-def]
    alone = one(checker, ["clozapine 100 mg bd"], "clozapine")
    with_cipro = one(checker, ["clozapine 100 mg bd", "ciprofloxacin 500 mg bd"], "clozapine")
    assert alone.severity <= Severity.MINOR < with_cipro.severity
    assert "interaction with ciprofloxacin" in with_cipro.message
    # ciprofloxacin's own risk is not raised: the rule acts on clozapine only
    cipro = one(
        checker,
        ["clozapine 100 mg bd", "ciprofloxacin 500 mg bd"],
        "ciprofloxacin",
        Patient(crcl=90),
    )
    assert "interaction with clozapine" not in cipro.message


@pytest.mark.parametrize("inhibitor", ["ciprofloxacin 500 mg bd", "fluvoxamine 50 mg bd"])
def test_clozapine_with_a_cyp1a2_inhibitor(checker, inhibitor: str) -> None:  # type: ignore[no-untyped-def]
    pair = one(checker, ["clozapine 200 mg bd", inhibitor], "clozapine", code="PC201")
    assert pair.severity == Severity.MAJOR
    assert "raises clozapine's level" in pair.message and "one-third" in pair.recommendation


@pytest.mark.parametrize(
    "other", ["haloperidol 5 mg bd", "quetiapine 100 mg bd", "carbamazepine 200 mg bd"]
)
def test_lithium_neurotoxicity_pairs(checker, other: str) -> None:  # type: ignore[no-untyped-def]
    pair = one(checker, ["lithium 400 mg bd", other], "lithium", code="PC201")
    assert pair.severity == Severity.MODERATE
    assert "adds neurotoxicity to lithium and" in pair.message
    assert "normal" in pair.recommendation  # neurotoxicity at a normal lithium level


@pytest.mark.parametrize(
    ("meds", "severity"),
    [
        (("linezolid 600 mg bd", "sertraline 50 mg daily"), Severity.CONTRAINDICATED),
        (("ciprofloxacin 500 mg bd", "theophylline 200 mg bd"), Severity.MAJOR),
    ],
)
def test_one_finding_per_pair_at_the_highest_severity(checker, meds, severity) -> None:  # type: ignore[no-untyped-def]
    pairs = found(checker, meds, Patient(crcl=90), "PC201")
    assert len(pairs) == 1 and pairs[0].severity == severity
    assert "Also:" in pairs[0].message  # both KB rows' mechanisms are kept
    assert len(pairs[0].references) >= 4


def test_every_interaction_row_has_a_direction() -> None:
    for row in read_sources(sources_dir()).tables["interactions"]:
        assert row["affected"] in ("a", "b", "both"), row.where
        assert row["effect"], row.where


# --- treatments are not causes --------------------------------------------------------------------


@pytest.mark.parametrize(
    "drug", ["valproic acid 500 mg bd", "levetiracetam 1000 mg bd", "clonazepam 0.5 mg tds"]
)
def test_pme_treatments_are_not_told_to_stop(checker, drug: str) -> None:  # type: ignore[no-untyped-def]
    patient = Patient(sex="male", age=30, conditions=PME, myoclonus="present")
    meds = ["valproic acid 500 mg bd", "levetiracetam 1000 mg bd", "clonazepam 0.5 mg tds"]
    name = drug.split(" ")[0] + (" acid" if drug.startswith("valproic") else "")
    finding = one(checker, meds, name, patient)
    assert finding.severity <= Severity.MINOR
    assert "stop it or reduce" not in finding.recommendation
    assert "treats this patient's Progressive myoclonus epilepsy" in finding.recommendation
    assert "paradoxical reaction" in finding.recommendation


def test_treatments_are_not_counted_in_the_pro_myoclonic_load(checker) -> None:  # type: ignore[no-untyped-def]
    meds = ["valproic acid 500 mg bd", "levetiracetam 1000 mg bd", "morphine 10 mg q4h"]
    untreated = Patient(sex="male", age=30, crcl=90)
    assert "levetiracetam" in one(checker, meds, "morphine", untreated, "PC204").drugs
    pme = Patient(sex="male", age=30, crcl=90, conditions=PME)
    assert not found(checker, meds, pme, "PC204")  # morphine is the only cause left


def test_a_treatment_that_aggravates_the_syndrome_is_not_a_treatment(checker) -> None:  # type: ignore[no-untyped-def]
    dravet = Patient(conditions=("Dravet syndrome",), myoclonus="present")
    assert (
        "treats this patient's"
        not in one(checker, ["lamotrigine 100 mg bd"], "lamotrigine", dravet).recommendation
    )


def test_dose_trajectory_rules_still_apply_to_treatments(checker) -> None:  # type: ignore[no-untyped-def]
    from pharmcheck.domain import DoseChange, Quantity

    med = Medication(
        "clonazepam 2 mg tid",
        history=(
            DoseChange(date(2026, 7, 15), Quantity(1.5, "mg")),
            DoseChange(date(2026, 11, 15), Quantity(6, "mg")),
        ),
    )
    patient = Patient(conditions=PME, myoclonus="worsening")
    assert one(checker, [med], "clonazepam", patient, "PC621").severity == Severity.MAJOR
    assert one(checker, [med], "clonazepam", patient, "PC601")


def test_piracetam_is_not_graded_a_cause_on_high_evidence(checker) -> None:  # type: ignore[no-untyped-def]
    finding = one(checker, ["piracetam 2.4 g tds"], "piracetam", Patient(crcl=90))
    assert finding.severity == Severity.INFO and finding.evidence != "high"
    assert "Not a cause at therapeutic doses" in finding.message


def test_myoclonus_with_an_unmatched_treatment_is_hedged(checker) -> None:  # type: ignore[no-untyped-def]
    finding = one(
        checker, ["levetiracetam 500 mg bd"], "levetiracetam", Patient(myoclonus="present", crcl=90)
    )
    assert finding.recommendation.startswith(
        "If levetiracetam is given for this patient's myoclonus"
    )


# --- the severity policy --------------------------------------------------------------------------


def test_no_context_is_at_most_minor(checker) -> None:  # type: ignore[no-untyped-def]
    finding = one(checker, ["morphine 10 mg q4h"], "morphine", Patient(crcl=90))
    assert finding.severity == Severity.MINOR and "no risk-raising context" in finding.message


def test_a_context_other_than_myoclonus_stops_at_moderate(checker) -> None:  # type: ignore[no-untyped-def]
    # linezolid is curated major; beside an SSRI the pair finding (PC201) carries the action
    finding = one(
        checker, ["linezolid 600 mg bd", "sertraline 50 mg daily"], "linezolid", Patient(crcl=90)
    )
    assert (
        finding.severity == Severity.MODERATE and "interaction with sertraline" in finding.message
    )


def test_myoclonus_present_raises_a_known_cause_to_major(checker) -> None:  # type: ignore[no-untyped-def]
    finding = one(
        checker, ["morphine 10 mg q4h"], "morphine", Patient(crcl=90, myoclonus="present")
    )
    assert finding.severity == Severity.MAJOR and "stop it or reduce" in finding.recommendation


def test_renal_impairment_raises_a_renally_cleared_drug_without_bands(checker, kb) -> None:  # type: ignore[no-untyped-def]
    # ceftriaxone's assertion names renal impairment, and the KB has no renal band for it
    normal = one(checker, ["ceftriaxone 2 g daily"], "ceftriaxone", Patient(crcl=90))
    impaired = one(checker, ["ceftriaxone 2 g daily"], "ceftriaxone", Patient(crcl=40))
    assert normal.severity <= Severity.MINOR < impaired.severity
    assert "risk raised by renal impairment" in impaired.message


def test_a_renal_band_finding_carries_the_renal_problem(checker) -> None:  # type: ignore[no-untyped-def]
    # lithium has label renal bands: PC501 reports it at CrCl 40 and PC101 stays awareness
    assert found(checker, ["lithium 400 mg bd"], Patient(crcl=40), "PC501")
    causing = one(checker, ["lithium 400 mg bd"], "lithium", Patient(crcl=40))
    assert (
        causing.severity == Severity.MINOR
        and "checked against the label bands by PC501" in causing.message
    )


def test_cefepime_on_dialysis_is_one_renal_finding(checker) -> None:  # type: ignore[no-untyped-def]
    findings = [
        f
        for f in found(checker, ["cefepime 2 g q8h"], Patient(dialysis="hemodialysis", age=50))
        if "cefepime" in f.drugs
    ]
    # One renal problem, one finding: PC501 carries both renal cautions (PC702's), and PC101 is
    # awareness that names it
    assert sorted(f.code for f in findings) == ["PC101", "PC501"]
    assert next(f for f in findings if f.code == "PC101").severity == Severity.MINOR
    band = next(f for f in findings if f.code == "PC501")
    assert band.severity == Severity.MAJOR and "band maximum 1000 mg/day" in band.message
    assert "Also caution in End-stage renal disease" in band.message
    assert "Also caution in Renal impairment" in band.message and any(
        r.startswith("PAY17") for r in band.references
    )


def test_renal_rules_stand_alone_when_pc501_does_not_report(checker) -> None:  # type: ignore[no-untyped-def]
    # the renal condition given without a renal function: PC501 cannot run, PC702 reports it
    esrd = Patient(conditions=("ESRD",), age=50)
    caution = one(checker, ["cefepime 2 g q8h"], "cefepime", esrd, "PC702")
    assert (
        caution.severity == Severity.MAJOR
        and caution.title == "cefepime in End-stage renal disease"
    )
    both = Patient(conditions=("ESRD", "CKD"), age=50)
    merged = one(checker, ["cefepime 2 g q8h"], "cefepime", both, "PC702")
    assert "Also caution in Renal impairment" in merged.message


def test_hepatic_caution_and_contraindication_are_one_finding(checker) -> None:  # type: ignore[no-untyped-def]
    patient = Patient(hepatic_impairment="moderate", sex="male", age=50)
    meds = ["valproic acid 500 mg bd"]
    assert not found(checker, meds, patient, "PC503")
    carrier = one(checker, meds, "valproic acid", patient, "PC702")
    assert (
        carrier.severity == Severity.CONTRAINDICATED
        and "Hepatic caution [any: contraindicated]" in carrier.message
    )
    # a drug with only a hepatic caution still gets PC503
    assert found(checker, ["pethidine 50 mg q4h"], Patient(hepatic_impairment="severe"), "PC503")


def test_a_condition_and_its_parent_give_one_finding(checker) -> None:  # type: ignore[no-untyped-def]
    both = Patient(conditions=("ULD", "progressive myoclonus epilepsy"))
    aggravation = found(checker, ["phenytoin 100 mg tds"], both, "PC701")
    assert len(aggravation) == 1 and "Unverricht-Lundborg" in aggravation[0].title


@settings(max_examples=30, deadline=None)
@given(
    crcl=st.integers(60, 150),
    age=st.integers(18, 64),
    drug=st.sampled_from(
        [
            "morphine 10 mg q4h",
            "sertraline 50 mg daily",
            "gabapentin 300 mg tid",
            "quetiapine 100 mg bd",
            "ciprofloxacin 500 mg bd",
            "tramadol 50 mg qid",
        ]
    ),
)
def test_pc101_alone_without_context_is_never_above_minor(
    checker, crcl: int, age: int, drug: str
) -> None:  # type: ignore[no-untyped-def]
    for finding in found(checker, [drug], Patient(crcl=crcl, age=age), "PC101"):
        assert finding.severity <= Severity.MINOR
