"""FHIR resources and CDS Hooks calls for the service tests, written as an EHR would send them."""

from __future__ import annotations

from typing import Any

UCUM = "http://unitsofmeasure.org"
LOINC = "http://loinc.org"


def order(
    rid: str,
    text: str,
    dose: float | None = None,
    per_day: int = 1,
    status: str = "active",
    unit: str = "mg",
) -> dict[str, Any]:
    """A MedicationRequest for ``text`` (a drug name as the EHR displays it)."""
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": rid,
        "status": status,
        "intent": "order",
        "subject": {"reference": "Patient/p1"},
        "authoredOn": "2026-11-20",
        "medicationCodeableConcept": {"text": text},
    }
    if dose is not None:
        resource["dosageInstruction"] = [
            {
                "timing": {"repeat": {"frequency": per_day, "period": 1, "periodUnit": "d"}},
                "doseAndRate": [
                    {"doseQuantity": {"value": dose, "unit": unit, "system": UCUM, "code": unit}}
                ],
            }
        ]
    return resource


def observation(rid: str, code: str, value: float, unit: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": "2026-11-30",
        "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit},
    }


def searchset(*resources: dict[str, Any]) -> dict[str, Any] | None:
    """A search result as prefetched: None when nothing was found (CDS Hooks: null)."""
    if not resources:
        return None
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r} for r in resources],
    }


PATIENT = {"resourceType": "Patient", "id": "p1", "birthDate": "1950-03-01", "gender": "female"}
ACTIVE = (order("m1", "sertraline", 100), order("m2", "gabapentin", 600, per_day=3))
CRCL = observation("o1", "35591-7", 25, "mL/min")
DRAFTS = (order("d1", "tramadol", 50, per_day=4, status="draft"),)


def prefetch(
    active: tuple[dict[str, Any], ...] = ACTIVE, renal: tuple[dict[str, Any], ...] = (CRCL,)
) -> dict[str, Any]:
    return {
        "patient": PATIENT,
        "medicationRequests": searchset(*active),
        "medicationStatements": None,
        "conditions": None,
        "renal": searchset(*renal),
        "weight": None,
        "pregnancy": None,
    }


def call(
    hook: str = "order-sign",
    drafts: tuple[dict[str, Any], ...] = DRAFTS,
    selections: tuple[str, ...] = (),
    prefetched: dict[str, Any] | None = None,
    instance: str = "2f6c1b0e-8d0c-4a57-9d61-7e3bd4b0c5a1",
) -> dict[str, Any]:
    """A hook call for patient p1 with everything prefetched unless ``prefetched`` says
    otherwise."""
    context: dict[str, Any] = {"userId": "Practitioner/u1", "patientId": "p1"}
    if hook != "patient-view":
        context["draftOrders"] = {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"resource": d} for d in drafts],
        }
    if selections:
        context["selections"] = list(selections)
    return {
        "hook": hook,
        "hookInstance": instance,
        "context": context,
        "prefetch": prefetch() if prefetched is None else prefetched,
    }


def whole_bundle(
    active: tuple[dict[str, Any], ...] = ACTIVE, drafts: tuple[dict[str, Any], ...] = DRAFTS
) -> dict[str, Any]:
    """The same patient as one Bundle, for ``pharmcheck check --input``."""
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in (PATIENT, *active, *drafts, CRCL)],
    }
