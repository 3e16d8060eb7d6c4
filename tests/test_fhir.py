"""FHIR R4 input: a Bundle as an EHR sends it gives what the equivalent JSON request gives, and
each mapping rule reads what the resource means (expected values from the FHIR and clinical
meaning, written out by hand).

Codes in the fixtures, each read in a public source: RxNorm 835603 "tramadol hydrochloride 50 MG
Oral Tablet" (RxNav NDC status, a C-CDA example) and 310431 "gabapentin 300 MG Oral Capsule"
(OHDSI concept 19133768, PACIO sample data); ATC N03AF01 carbamazepine and SNOMED CT 6204001,
ICD-10-CM G40.B19 (JME) as db/ cites them; SNOMED CT 84757009 "Epilepsy (disorder)", 26643006
"Oral route", 77386006, 60001007 and 261665006 (DICOM CID 6096 pregnancy status); LOINC codes as
pharmcheck/fhir/codes.py lists them; v3-orderableDrugForm TAB."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from pharmcheck.cli import cli
from pharmcheck.domain import Medication, Patient, Quantity
from pharmcheck.errors import InputError
from pharmcheck.fhir import read_bundle
from pharmcheck.inputs.document import parse_document
from pharmcheck.inputs.renal import cockcroft_gault, creatinine_quantity

pytest.importorskip("fhir.resources", reason="the fhir extra (fhir.resources) is not installed")

HERE = Path(__file__).parent / "fhir"
AS_OF = date(2026, 11, 25)
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"


def ehr_bundle() -> dict[str, Any]:
    return json.loads((HERE / "ehr_bundle.json").read_text())  # type: ignore[no-any-return]


def as_type(bundle: dict[str, Any], kind: str) -> dict[str, Any]:
    """The same resources as a collection, a searchset (with search modes and an outcome) or a
    transaction (with requests, references by urn:uuid)."""
    out = copy.deepcopy(bundle)
    out["type"] = kind
    for entry in out["entry"]:
        resource = entry["resource"]
        if kind == "searchset":
            entry["search"] = {
                "mode": "include" if resource["resourceType"] != "MedicationRequest" else "match"
            }
        if kind == "transaction":
            entry["request"] = {"method": "POST", "url": resource["resourceType"]}
    if kind == "searchset":
        out["total"] = 3
        out["entry"].append(
            {
                "resource": {
                    "resourceType": "OperationOutcome",
                    "issue": [{"severity": "information", "code": "informational"}],
                },
                "search": {"mode": "outcome"},
            }
        )
    return out


def findings(report: Any) -> list[tuple[str, str, tuple[str, ...], str]]:
    return sorted((f.code, f.severity.label, f.drugs, f.message) for f in report.findings)


def bundle_of(*resources: dict[str, Any], patient: dict[str, Any] | None = None) -> dict[str, Any]:
    entries = [{"resource": r} for r in resources]
    if patient is not None:
        entries.insert(0, {"resource": {"resourceType": "Patient", "id": "p", **patient}})
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def request(medication: str | dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    """A MedicationRequest for ``medication`` (a text, or a medicationCodeableConcept)."""
    concept = (
        {"text": medication or "gabapentin"} if not isinstance(medication, dict) else medication
    )
    return {
        "resourceType": "MedicationRequest",
        "id": fields.pop("id", "rx"),
        "status": fields.pop("status", "active"),
        "intent": "order",
        "subject": {"reference": "Patient/p"},
        "medicationCodeableConcept": concept,
        **fields,
    }


def dose(value: float, unit: str = "mg", **timing: Any) -> dict[str, Any]:
    """A Dosage of ``value`` ``unit`` with a timing.repeat."""
    return (
        {
            "timing": {"repeat": timing} if timing else None,
            "doseAndRate": [
                {"doseQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit}}
            ],
        }
        if timing
        else {
            "doseAndRate": [
                {"doseQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit}}
            ]
        }
    )


def observation(code: str, value: Any, unit: str, when: str, **extra: Any) -> dict[str, Any]:
    quantity = {"value": value, "unit": unit, "system": UCUM, "code": unit, **extra.pop("q", {})}
    return {
        "resourceType": "Observation",
        "id": extra.pop("id", f"obs-{code}-{when}"),
        "status": extra.pop("status", "final"),
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": {"reference": "Patient/p"},
        "effectiveDateTime": when,
        "valueQuantity": quantity,
        **extra,
    }


def one(bundle: dict[str, Any], kb: Any) -> tuple[Medication, list[str]]:
    meds, _, notes = read_bundle(bundle, AS_OF, kb=kb)
    assert len(meds) == 1
    return meds[0], notes


def daily_mg(checker: Any, bundle: dict[str, Any]) -> float | None:
    meds, patient, notes = read_bundle(bundle, AS_OF, kb=checker.kb)
    report = checker.check(meds, patient, as_of=AS_OF, notes=notes)
    total = report.medications[0].daily_dose
    return None if total is None else total.value


# --- the whole bundle ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["collection", "searchset", "transaction"])
def test_an_ehr_bundle_gives_the_findings_of_the_equivalent_json_request(checker, kind) -> None:  # type: ignore[no-untyped-def]
    meds, patient, notes = read_bundle(as_type(ehr_bundle(), kind), AS_OF, kb=checker.kb)
    from_fhir = checker.check(meds, patient, as_of=AS_OF, notes=notes)
    json_request = parse_document((HERE / "ehr_request.json").read_text())
    from_json = checker.check(json_request.medications, json_request.patient, as_of=AS_OF)
    assert findings(from_fhir) == findings(from_json)
    assert {m.drug: m.daily_dose for m in from_fhir.medications} == {
        m.drug: m.daily_dose for m in from_json.medications
    }
    assert from_fhir.findings, "the example is built to give findings"
    assert not from_fhir.unrecognized
    # The renal findings show the Cockcroft-Gault estimate's inputs.
    renal = [f for f in from_fhir.findings if f.code == "PC501"]
    assert (
        renal and "Cockcroft-Gault estimate from age 80, weight 62 kg, female" in renal[0].message
    )


def test_the_bundle_reads_codes_contained_and_referenced_medications(kb) -> None:  # type: ignore[no-untyped-def]
    meds, patient, notes = read_bundle(ehr_bundle(), AS_OF, kb=kb)
    by_status = {m.status: m for m in meds}
    # Contained Medication, named by its ATC code (the KB carries ATC codes), not its text
    # "Tegretol".
    assert by_status["draft"].name == "carbamazepine"
    assert any("ATC N03AF01 read as carbamazepine" in n for n in notes)
    # Referenced Medication (by urn:uuid), one 50 mg tablet q6h prn, at most 100 mg a day.
    tramadol = next(m for m in meds if m.name.startswith("tramadol"))
    assert (tramadol.dose, tramadol.frequency) == ("50 mg", "q6h prn")
    assert "max 100 mg a day" in tramadol.name
    # RxNorm 310431, two 300 mg capsules three times a day: 600 mg a dose.
    gabapentin = next(m for m in meds if m.name.startswith("gabapentin"))
    assert (gabapentin.dose, gabapentin.frequency, gabapentin.route) == ("600 mg", "tid", "oral")
    assert gabapentin.start == date(2026, 11, 20)
    # MedicationStatement: dosage (not dosageInstruction), stopped, effectivePeriod as dates.
    clonazepam = by_status["stopped"]
    assert (clonazepam.dose, clonazepam.frequency) == ("1 mg", "bid")
    assert (clonazepam.start, clonazepam.stop) == (date(2026, 1, 10), date(2026, 11, 22))
    # Patient: born 1946-05-01, so 80 on 2026-11-25; the condition by its SNOMED CT code.
    assert (patient.age, patient.sex, patient.weight_kg) == (80, "female", 62)
    assert patient.conditions == ("Juvenile myoclonic epilepsy",)
    assert patient.serum_creatinine == Quantity(1.8, "mg/dL")
    assert patient.egfr is None  # ">60" is a bound
    assert any("1 Encounter" in n for n in notes)


def test_check_input_reads_a_bundle_as_it_reads_the_json_request(tmp_path: Path) -> None:
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(ehr_bundle()))
    args = ["check", "--input", str(path), "--as-of", "2026-11-25", "--format", "json"]
    fhir = CliRunner().invoke(cli, args)
    plain = CliRunner().invoke(
        cli, ["check", "--input", str(HERE / "ehr_request.json"), "--format", "json"]
    )
    assert fhir.exit_code == plain.exit_code == 1, fhir.output
    a, b = json.loads(fhir.output), json.loads(plain.output)
    assert [f["code"] for f in a["findings"]] == [f["code"] for f in b["findings"]]
    assert any("Cockcroft-Gault" in n and "= 24.4 mL/min" in n for n in a["notes"])


# --- dosage ---------------------------------------------------------------------------------


def test_a_dose_range_is_read_at_its_high_end(checker) -> None:  # type: ignore[no-untyped-def]
    dosage = {
        "timing": {"repeat": {"frequency": 2, "period": 1, "periodUnit": "d"}},
        "doseAndRate": [
            {
                "doseRange": {
                    "low": {"value": 300, "unit": "mg", "code": "mg", "system": UCUM},
                    "high": {"value": 600, "unit": "mg", "code": "mg", "system": UCUM},
                }
            }
        ],
    }
    med, _notes = one(bundle_of(request(dosageInstruction=[dosage])), checker.kb)
    assert med.dose == "600 mg"  # never the low end, 300
    assert daily_mg(checker, bundle_of(request(dosageInstruction=[dosage]))) == 1200


def test_a_dose_range_without_a_high_end_is_unknown(checker) -> None:  # type: ignore[no-untyped-def]
    dosage = {
        "timing": {"repeat": {"frequency": 2, "period": 1, "periodUnit": "d"}},
        "doseAndRate": [
            {"doseRange": {"low": {"value": 300, "unit": "mg", "code": "mg", "system": UCUM}}}
        ],
    }
    med, notes = one(bundle_of(request(dosageInstruction=[dosage])), checker.kb)
    assert med.dose is None
    assert any("without a high end" in n for n in notes)
    assert daily_mg(checker, bundle_of(request(dosageInstruction=[dosage]))) is None


@pytest.mark.parametrize(
    ("repeat", "per_day"),
    [
        ({"frequency": 3, "period": 1, "periodUnit": "d"}, 3),
        ({"frequency": 1, "period": 8, "periodUnit": "h"}, 3),  # every 8 h
        ({"frequency": 1, "frequencyMax": 2, "period": 1, "periodUnit": "d"}, 2),  # 1-2 a day: 2
        ({"frequency": 1, "period": 6, "periodMax": 8, "periodUnit": "h"}, 4),  # q6-8h: every 6 h
        ({"frequency": 2, "period": 1, "periodUnit": "wk"}, 2 / 7),
        ({"frequency": 1, "period": 2, "periodUnit": "d"}, 1 / 2),
        ({"when": ["MORN", "NIGHT"]}, 2),
    ],
)
def test_timing_gives_the_most_doses_a_day_it_allows(checker, repeat, per_day) -> None:  # type: ignore[no-untyped-def]
    dosage = {
        "timing": {"repeat": repeat},
        "doseAndRate": [
            {"doseQuantity": {"value": 100, "unit": "mg", "system": UCUM, "code": "mg"}}
        ],
    }
    total = daily_mg(checker, bundle_of(request(dosageInstruction=[dosage])))
    assert total == pytest.approx(100 * per_day)


def test_a_timing_code_alone_is_read(checker) -> None:  # type: ignore[no-untyped-def]
    dosage = {
        "timing": {
            "code": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation",
                        "code": "QID",
                    }
                ]
            }
        },
        "doseAndRate": [
            {"doseQuantity": {"value": 100, "unit": "mg", "system": UCUM, "code": "mg"}}
        ],
    }
    assert daily_mg(checker, bundle_of(request(dosageInstruction=[dosage]))) == 400


def test_prn_counts_at_its_maximum_per_period(checker) -> None:  # type: ignore[no-untyped-def]
    dosage = {
        "timing": {"repeat": {"frequency": 1, "period": 4, "periodUnit": "h"}},
        "asNeededCodeableConcept": {"text": "pain"},
        "doseAndRate": [
            {"doseQuantity": {"value": 50, "unit": "mg", "system": UCUM, "code": "mg"}}
        ],
        "maxDosePerPeriod": {
            "numerator": {"value": 200, "unit": "mg", "system": UCUM, "code": "mg"},
            "denominator": {"value": 24, "unit": "h", "system": UCUM, "code": "h"},
        },
    }
    bundle = bundle_of(request("tramadol", dosageInstruction=[dosage]))
    assert daily_mg(checker, bundle) == 200  # not 300 (50 mg every 4 h)
    without_max = copy.deepcopy(bundle)
    del without_max["entry"][0]["resource"]["dosageInstruction"][0]["maxDosePerPeriod"]
    assert daily_mg(checker, without_max) == 300  # at its scheduled maximum
    no_schedule = copy.deepcopy(without_max)
    del no_schedule["entry"][0]["resource"]["dosageInstruction"][0]["timing"]
    assert daily_mg(checker, no_schedule) is None  # prn, no schedule, no maximum: unknown


def test_several_instructions_are_summed_and_phases_take_the_largest(checker) -> None:  # type: ignore[no-untyped-def]
    morning_and_night = [
        dose(300, frequency=2, period=1, periodUnit="d"),
        dose(600, frequency=1, period=1, periodUnit="d"),
    ]
    assert daily_mg(checker, bundle_of(request(dosageInstruction=morning_and_night))) == 1200
    taper = [
        {**dose(300, frequency=3, period=1, periodUnit="d"), "sequence": 1},
        {**dose(300, frequency=2, period=1, periodUnit="d"), "sequence": 2},
    ]
    assert daily_mg(checker, bundle_of(request(dosageInstruction=taper))) == 900


def test_tablets_are_counted_with_the_contained_medications_strength(kb) -> None:  # type: ignore[no-untyped-def]
    medication = {
        "resourceType": "Medication",
        "id": "m",
        "code": {"text": "levetiracetam"},
        "ingredient": [
            {
                "itemCodeableConcept": {"text": "levetiracetam"},
                "strength": {
                    "numerator": {"value": 500, "unit": "mg", "system": UCUM, "code": "mg"},
                    "denominator": {"value": 1, "unit": "tablet", "code": "TAB"},
                },
            }
        ],
    }
    resource = request(dosageInstruction=[dose(2, "{tbl}", frequency=2, period=1, periodUnit="d")])
    del resource["medicationCodeableConcept"]
    resource["contained"] = [medication]
    resource["medicationReference"] = {"reference": "#m"}
    med, _ = one(bundle_of(resource), kb)
    assert (med.name, med.dose, med.frequency) == ("levetiracetam", "1000 mg", "bid")


def test_a_count_without_a_strength_is_unknown(kb) -> None:  # type: ignore[no-untyped-def]
    med, notes = one(
        bundle_of(
            request(
                "levetiracetam",
                dosageInstruction=[dose(2, "{tbl}", frequency=2, period=1, periodUnit="d")],
            )
        ),
        kb,
    )
    assert med.dose is None
    assert any("without a strength" in n for n in notes)


def test_an_stu3_dose_quantity_is_an_unknown_element_noted_never_a_crash(kb) -> None:  # type: ignore[no-untyped-def]
    stu3 = {
        "timing": {"repeat": {"frequency": 2, "period": 1, "periodUnit": "d"}},
        "doseQuantity": {"value": 500, "unit": "mg"},
    }
    med, notes = one(bundle_of(request("levetiracetam", dosageInstruction=[stu3], madeUp=True)), kb)
    assert med.dose is None  # the dose was in an element R4 does not have: unknown
    assert any("dosageInstruction[0].doseQuantity" in n and "madeUp" in n for n in notes)


# --- status and dates -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "counted"),
    [("entered-in-error", False), ("cancelled", False), ("stopped", True), ("on-hold", True)],
)
def test_request_status_maps_onto_the_status_vocabulary(checker, status, counted) -> None:  # type: ignore[no-untyped-def]
    bundle = bundle_of(
        request(
            "clonazepam",
            status=status,
            dosageInstruction=[dose(1, frequency=2, period=1, periodUnit="d")],
        )
    )
    meds, patient, _notes = read_bundle(bundle, AS_OF, kb=checker.kb)
    assert meds[0].status == status
    report = checker.check(meds, patient, as_of=AS_OF)
    withdrawal = [f for f in report.findings if f.code == "PC611"]
    assert bool(withdrawal) is counted  # stopped and held feed the withdrawal rule; void never


def test_a_not_taken_statement_never_counts(checker) -> None:  # type: ignore[no-untyped-def]
    statement = {
        "resourceType": "MedicationStatement",
        "id": "s",
        "status": "not-taken",
        "subject": {"reference": "Patient/p"},
        "medicationCodeableConcept": {"text": "tramadol"},
    }
    meds, patient, _notes = read_bundle(bundle_of(statement), AS_OF, kb=checker.kb)
    report = checker.check(meds, patient, as_of=AS_OF)
    assert report.medications[0].void and not report.findings


def test_a_status_outside_r4_is_read_as_unknown_and_noted(kb) -> None:  # type: ignore[no-untyped-def]
    statement = {
        "resourceType": "MedicationStatement",
        "id": "s",
        "status": "recorded",
        "subject": {"reference": "Patient/p"},
        "medicationCodeableConcept": {"text": "tramadol"},
    }
    med, notes = one(bundle_of(statement), kb)
    assert med.status == "unknown"
    assert any("'recorded'" in n for n in notes)


def test_dates_after_the_check_date_are_not_used(kb) -> None:  # type: ignore[no-untyped-def]
    statement = {
        "resourceType": "MedicationStatement",
        "id": "s",
        "status": "active",
        "subject": {"reference": "Patient/p"},
        "medicationCodeableConcept": {"text": "tramadol"},
        "effectivePeriod": {"start": "2026-11-01", "end": "2026-12-31"},
    }
    med, _notes = one(bundle_of(statement), kb)
    assert (med.start, med.stop) == (date(2026, 11, 1), None)  # still given on the check date


# --- drugs that cannot be mapped ---------------------------------------------------------------


def test_an_unmappable_drug_is_not_checked(checker) -> None:  # type: ignore[no-untyped-def]
    concept = {"coding": [{"system": RXNORM, "code": "999999999"}]}
    meds, patient, _notes = read_bundle(bundle_of(request(concept)), AS_OF, kb=checker.kb)
    report = checker.check(meds, patient, as_of=AS_OF)
    assert not report.medications and len(report.unrecognized) == 1
    assert "999999999" in report.unrecognized[0].input


def test_an_invalid_medication_resource_is_listed_by_name_not_dropped(checker) -> None:  # type: ignore[no-untyped-def]
    broken = request("tramadol", dosageInstruction="every day")
    meds, _patient, notes = read_bundle(bundle_of(broken), AS_OF, kb=checker.kb)
    assert meds == [Medication(name="tramadol", status="active")]
    assert any("not valid FHIR R4" in n for n in notes)


# --- patient, conditions, observations ---------------------------------------------------------


@pytest.mark.parametrize(
    ("born", "age"),
    [("1946-11-25", 80), ("1946-11-26", 79), ("1946-11", None), ("1946-05", 80), ("1946", None)],
)
def test_age_is_completed_years_on_the_check_date(kb, born, age) -> None:  # type: ignore[no-untyped-def]
    _, patient, _ = read_bundle(
        bundle_of(patient={"birthDate": born, "gender": "male"}), AS_OF, kb=kb
    )
    assert patient.age == age and patient.sex == "male"


def test_only_current_conditions_count_and_codes_come_first(checker) -> None:  # type: ignore[no-untyped-def]
    def condition(status: str, code: dict[str, Any], cid: str) -> dict[str, Any]:
        return {
            "resourceType": "Condition",
            "id": cid,
            "subject": {"reference": "Patient/p"},
            "clinicalStatus": {"coding": [{"code": status}]},
            "code": code,
        }

    icd = {
        "coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "G40.B19"}],
        "text": "epilepsy, JME type",
    }
    unknown_code_known_text = {
        "coding": [{"system": SNOMED, "code": "84757009"}],
        "text": "epilepsy",
    }
    resolved = {"coding": [{"system": SNOMED, "code": "6204001"}], "text": "JME"}
    unreadable = {"text": "a condition no vocabulary has"}
    bundle = bundle_of(
        condition("active", icd, "a"),
        condition("relapse", unknown_code_known_text, "b"),
        condition("resolved", resolved, "c"),
        condition("active", unreadable, "d"),
    )
    _meds, patient, notes = read_bundle(bundle, AS_OF, kb=checker.kb)
    assert patient.conditions == (
        "Juvenile myoclonic epilepsy",
        "epilepsy",
        "a condition no vocabulary has",
    )
    report = checker.check(["tramadol"], patient, as_of=AS_OF)
    assert [u.input for u in report.unrecognized if u.kind == "condition"] == [
        "a condition no vocabulary has"
    ]
    assert any("Condition/c: clinical status resolved" in n for n in notes)


def test_the_latest_observation_on_or_before_the_check_date_is_used(kb) -> None:  # type: ignore[no-untyped-def]
    bundle = bundle_of(
        observation("2164-2", 70, "mL/min", "2026-10-01"),
        observation("35591-7", 40, "mL/min", "2026-11-20"),  # the latest on or before
        observation("35591-7", 20, "mL/min", "2026-11-30"),  # after the check date
        observation("2164-2", 10, "mL/min", "2026-11-24", status="preliminary"),
        observation("98979-8", 60, "mL/min/{1.73_m2}", "2026-11-24", q={"comparator": ">"}),
        observation("62238-1", 55, "mL/min/{1.73_m2}", "2026-11-02"),
        observation("14682-9", 159, "umol/L", "2026-11-24"),
        observation("29463-7", 154, "[lb_av]", "2026-11-24"),
    )
    _, patient, notes = read_bundle(bundle, AS_OF, kb=kb)
    assert patient.crcl == 40
    assert patient.egfr == 55  # ">60" is a bound, not a value; the older eGFR is the latest value
    assert patient.serum_creatinine == Quantity(159, "umol/L")
    assert patient.weight_kg == pytest.approx(154 * 0.45359237)
    assert any("crcl 40 from Observation" in n and n.endswith("of 2") for n in notes)
    assert any(">60 is a bound" in n for n in notes)
    assert any("preliminary: not used" in n for n in notes)
    assert any("after the check date: not used" in n for n in notes)


def test_pregnancy_status_is_read_from_its_answer_code(kb) -> None:  # type: ignore[no-untyped-def]
    def status(code: str, when: str) -> dict[str, Any]:
        return {
            "resourceType": "Observation",
            "id": when,
            "status": "final",
            "code": {"coding": [{"system": LOINC, "code": "82810-3"}]},
            "effectiveDateTime": when,
            "valueCodeableConcept": {"coding": [{"system": SNOMED, "code": code}]},
        }

    _, pregnant, _ = read_bundle(
        bundle_of(status("60001007", "2026-01-01"), status("77386006", "2026-11-01")), AS_OF, kb=kb
    )
    _, unknown, _notes = read_bundle(bundle_of(status("261665006", "2026-11-01")), AS_OF, kb=kb)
    assert pregnant.pregnant is True and unknown.pregnant is None


# --- Cockcroft-Gault --------------------------------------------------------------------------


def test_cockcroft_gault_follows_the_1976_formula() -> None:
    # (140 - 70) x 80 kg / (72 x 1.2 mg/dL) = 64.81 mL/min; a woman: x 0.85 = 55.09 mL/min.
    man = cockcroft_gault(Quantity(1.2, "mg/dL"), 70, 80, "male")
    woman = cockcroft_gault(Quantity(1.2, "mg/dL"), 70, 80, "female")
    assert not isinstance(man, str) and man.crcl == pytest.approx(5600 / 86.4)
    assert not isinstance(woman, str) and woman.crcl == pytest.approx(5600 / 86.4 * 0.85)
    # 106.08 umol/L is 1.2 mg/dL (88.4 umol/L per mg/dL).
    molar = cockcroft_gault(Quantity(106.08, "umol/L"), 70, 80, "male")
    assert not isinstance(molar, str) and molar.crcl == pytest.approx(man.crcl)
    assert "weight" in str(cockcroft_gault(Quantity(1.2, "mg/dL"), 70, None, "male"))
    assert "adult" in str(cockcroft_gault(Quantity(0.5, "mg/dL"), 12, 40, "male"))
    assert "sex" in str(cockcroft_gault(Quantity(1.0, "mg/dL"), 40, 70, "other"))


def test_a_given_crcl_wins_over_serum_creatinine(checker) -> None:  # type: ignore[no-untyped-def]
    patient = Patient(
        age=70, sex="male", weight_kg=80, crcl=90, serum_creatinine=Quantity(3.0, "mg/dL")
    )
    report = checker.check(["gabapentin 600 mg tid"], patient, as_of=AS_OF)
    assert not [f for f in report.findings if f.code == "PC501"]
    assert any("serum creatinine not used" in n for n in report.notes)


def test_the_cli_estimates_crcl_from_creatinine_and_refuses_implausible_values() -> None:
    base = ["check", "gabapentin 600 mg tid", "--age", "80", "--sex", "female", "--weight", "60"]
    ok = CliRunner().invoke(cli, [*base, "--creatinine", "2.0", "mg/dL", "--format", "json"])
    # (140 - 80) x 60 / (72 x 2.0) x 0.85 = 21.25 mL/min: the 15-29 band.
    data = json.loads(ok.output)
    assert any(n.endswith("= 21.2 mL/min") for n in data["notes"])
    assert [f["code"] for f in data["findings"] if f["code"] == "PC501"]
    for value, unit in (("90", "mg/dL"), ("1.2", "mmol/L"), ("-1", "mg/dL")):
        bad = CliRunner().invoke(cli, [*base, "--creatinine", value, unit])
        assert bad.exit_code == 2 and "serum creatinine" in bad.output


def test_the_json_document_takes_a_serum_creatinine() -> None:
    document = {
        "patient": {"serum_creatinine": {"value": 159, "unit": "µmol/L"}},
        "medications": ["x"],
    }
    assert parse_document(json.dumps(document)).patient.serum_creatinine == Quantity(159, "umol/L")
    with pytest.raises(InputError, match="serum_creatinine"):
        parse_document(json.dumps({"patient": {"serum_creatinine": "1.2"}, "medications": ["x"]}))
    with pytest.raises(InputError, match="plausible"):
        creatinine_quantity(0.01, "mg/dL")


# --- bad bundles --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bundle", "message"),
    [
        ({"resourceType": "Patient"}, "not a FHIR Bundle"),
        ([], "not a FHIR Bundle"),
        ({"resourceType": "Bundle", "entry": {}}, "'entry' must be a list"),
        ({"resourceType": "Bundle", "entry": [5]}, "entry 1 is not an object"),
        ({"resourceType": "Bundle", "entry": [{"resource": {"id": "x"}}]}, "no resourceType"),
        (
            bundle_of({"resourceType": "Patient"}, {"resourceType": "Patient"}),
            "more than one Patient",
        ),
    ],
)
def test_an_invalid_bundle_is_an_input_error_of_one_line(kb, bundle, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match=message) as caught:
        read_bundle(bundle, AS_OF, kb=kb)
    assert "\n" not in str(caught.value)


JSONISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["active", "mg", "d", "h", "2026-11-24", "#cbz", "urn:uuid:x"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found += _paths(value, (*prefix, i))
    return found


@given(data=st.data())
def test_any_mutation_of_a_valid_bundle_gives_a_report_or_an_input_error(checker, data) -> None:  # type: ignore[no-untyped-def]
    bundle = ehr_bundle()
    for _ in range(data.draw(st.integers(1, 4))):
        paths = [p for p in _paths(bundle) if p]
        path = data.draw(st.sampled_from(paths))
        parent = bundle
        for step in path[:-1]:
            parent = parent[step]
        if data.draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = data.draw(JSONISH)
    try:
        meds, patient, notes = read_bundle(bundle, AS_OF, kb=checker.kb)
        checker.check(meds or ("tramadol",), patient, as_of=AS_OF, notes=notes)
    except InputError as exc:
        assert "\n" not in str(exc)


def test_a_resource_about_another_patient_is_refused(kb) -> None:  # type: ignore[no-untyped-def]
    other = request("tramadol", subject={"reference": "Patient/someone-else"})
    with pytest.raises(InputError, match="not the bundle's Patient/p"):
        read_bundle(bundle_of(other, patient={"gender": "male"}), AS_OF, kb=kb)


def test_without_the_fhir_extra_a_bundle_asks_for_it(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import sys

    monkeypatch.setitem(sys.modules, "fhir.resources.R4B", None)  # as if not installed
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(ehr_bundle()))
    result = CliRunner().invoke(cli, ["check", "--input", str(path)])
    assert result.exit_code == 2
    assert "pip install 'pharmcheck[fhir]'" in result.output


def test_fhir_resources_is_imported_only_when_a_bundle_is_read() -> None:
    import subprocess
    import sys

    code = (
        "import sys, pharmcheck.cli, pharmcheck.engine, pharmcheck.fhir, "
        "pharmcheck.inputs.document;"
        "print(any(m.startswith('fhir.resources') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_do_not_perform_order_is_never_screened(checker) -> None:  # type: ignore[no-untyped-def]
    prohibited = request("tramadol", doNotPerform=True)
    meds, patient, notes = read_bundle(bundle_of(prohibited), AS_OF, kb=checker.kb)
    report = checker.check(meds, patient, as_of=AS_OF, notes=notes)
    assert report.medications[0].void and not report.findings
    assert any("doNotPerform" in n for n in report.notes)


def test_a_refuted_condition_is_not_used_and_a_provisional_one_is_noted(kb) -> None:  # type: ignore[no-untyped-def]
    def condition(verification: str, cid: str) -> dict[str, Any]:
        return {
            "resourceType": "Condition",
            "id": cid,
            "subject": {"reference": "Patient/p"},
            "verificationStatus": {"coding": [{"code": verification}]},
            "clinicalStatus": {"coding": [{"code": "active"}]},
            "code": {"text": "epilepsy"},
        }

    _, patient, notes = read_bundle(
        bundle_of(condition("refuted", "a"), condition("provisional", "b")), AS_OF, kb=kb
    )
    assert patient.conditions == ("epilepsy",)
    assert any("Condition/a: verification status refuted: not used" in n for n in notes)
    assert any("Condition/b: verification status provisional: used" in n for n in notes)


def test_a_bundle_without_medications_is_an_error_of_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle_of(patient={"gender": "female"})))
    result = CliRunner().invoke(cli, ["check", "--input", str(path)])
    assert result.exit_code == 2
    assert "holds no MedicationRequest or MedicationStatement" in result.output


def test_every_element_of_the_ehr_bundle_replaced_or_removed_gives_a_report_or_an_input_error(
    checker,  # type: ignore[no-untyped-def]
) -> None:
    base = ehr_bundle()
    for path in [p for p in _paths(base) if p]:
        values: tuple[object, ...] = (None, "", -1, 0, [], {}, "x", [{}], "DELETE")
        for value in values:
            bundle = copy.deepcopy(base)
            parent: Any = bundle
            for step in path[:-1]:
                parent = parent[step]
            if value == "DELETE":
                if not isinstance(parent, dict):
                    continue
                del parent[path[-1]]
            else:
                parent[path[-1]] = value
            try:
                meds, patient, notes = read_bundle(bundle, AS_OF, kb=checker.kb)
                checker.check(meds or ("tramadol",), patient, as_of=AS_OF, notes=notes)
            except InputError as exc:
                assert "\n" not in str(exc), (path, value)


def test_a_medication_named_only_by_its_ingredients_is_a_combination_with_unknown_doses(
    checker,  # type: ignore[no-untyped-def]
) -> None:
    def ingredient(text: str, mg: float) -> dict[str, Any]:
        return {
            "itemCodeableConcept": {"text": text},
            "strength": {
                "numerator": {"value": mg, "unit": "mg"},
                "denominator": {"value": 1, "unit": "tablet"},
            },
        }

    product = {
        "resourceType": "Medication",
        "id": "m",
        "ingredient": [ingredient("codeine phosphate", 30), ingredient("paracetamol", 500)],
    }
    resource = request(dosageInstruction=[dose(2, "tablet", frequency=4, period=1, periodUnit="d")])
    del resource["medicationCodeableConcept"]
    resource.update(contained=[product], medicationReference={"reference": "#m"})
    meds, patient, notes = read_bundle(bundle_of(resource), AS_OF, kb=checker.kb)
    report = checker.check(meds, patient, as_of=AS_OF, notes=notes)
    assert {m.drug for m in report.medications} == {"codeine", "paracetamol"}
    assert all(m.daily_dose is None for m in report.medications)  # per ingredient: unknown
