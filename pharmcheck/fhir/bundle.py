"""Reading a FHIR R4 Bundle (any type: collection, searchset, transaction, ...) into the
medications and patient of one check. See :func:`read_bundle`."""

from __future__ import annotations

from datetime import date
from typing import Any

from pharmcheck.domain import Medication, Patient
from pharmcheck.errors import InputError, PharmcheckError
from pharmcheck.fhir.medications import Lookup, read_medication, unreadable
from pharmcheck.fhir.models import parse_resource
from pharmcheck.fhir.patient import (
    Reading,
    condition_text,
    latest,
    observation_reading,
    patient_basics,
)
from pharmcheck.kb.store import KnowledgeBase

MEDICATION_TYPES = ("MedicationRequest", "MedicationStatement")
_READ = {*MEDICATION_TYPES, "Medication", "Patient", "Condition", "Observation"}
MAX_ENTRIES = 5000


def is_bundle(data: Any) -> bool:
    """Whether a parsed document is a FHIR Bundle (its ``resourceType`` says so)."""
    return isinstance(data, dict) and data.get("resourceType") == "Bundle"


def read_bundle(
    bundle: dict[str, Any], as_of: date | None = None, *, kb: KnowledgeBase | None = None
) -> tuple[list[Medication], Patient, list[str]]:
    """The medications, patient and notes a FHIR R4 Bundle gives for a check on ``as_of``
    (default today), reading drug and condition codes against ``kb`` (default: the configured
    knowledge base).

    Every MedicationRequest and MedicationStatement is a medication (one that is not valid R4
    is listed by its name, to be screened by name or reported as not checked); the Patient,
    current Conditions and the latest renal, weight and pregnancy Observations make the
    patient. Unknown elements are removed and noted. A bundle that is not one (not an object,
    another resourceType, entries that are not resources, two patients) is an
    :class:`InputError` with one line.
    """
    from pharmcheck.inputs.resolve import Resolver
    from pharmcheck.kb.store import open_kb

    try:
        import fhir.resources.R4B  # noqa: F401
    except ImportError:
        raise PharmcheckError(
            "reading a FHIR Bundle needs the fhir extra: pip install 'pharmcheck[fhir]'"
        ) from None
    as_of = as_of or date.today()
    resources = _resources(bundle)
    kb = kb if kb is not None else open_kb()
    notes: list[str] = []
    parsed: list[tuple[str, dict[str, Any], Any]] = []
    index: dict[str, Any] = {}
    skipped: dict[str, int] = {}
    for full_url, raw in resources:
        kind = raw["resourceType"]
        label = f"{kind}/{raw.get('id')}" if isinstance(raw.get("id"), str) else kind
        if kind not in _READ:
            skipped[kind] = skipped.get(kind, 0) + 1
            continue
        result = parse_resource(raw)
        if result.ignored:
            notes.append(f"{label}: unknown element(s) ignored: {', '.join(result.ignored)}")
        if result.model is None:
            parsed.append((label, raw, result.error))
            continue
        parsed.append((label, raw, result.model))
        for key in (full_url, label):
            if key:
                index[key] = result.model
    if skipped:
        listed = ", ".join(f"{n} {kind}" for kind, n in sorted(skipped.items()))
        notes.append(f"not read (pharmcheck does not use them): {listed}")
    lookup = Lookup(kb, kb.memo(("fhir-resolver",), Resolver, kb), index, as_of)
    medications: list[Medication] = []
    conditions: list[str] = []
    readings: list[Reading] = []
    fields: dict[str, Any] = {}
    patients = 0
    for label, raw, model in parsed:
        kind = raw["resourceType"]
        if isinstance(model, str) or model is None:  # not valid R4: reported, never dropped
            if kind in MEDICATION_TYPES:
                med, said = unreadable(label, raw, str(model))
                medications.append(med)
                notes.extend(said)
            elif kind == "Condition":
                conditions.append(f"{label} (not valid FHIR R4)")
                notes.append(f"{label}: {model}")
            else:
                notes.append(f"{label}: {model}: not used")
        elif kind in MEDICATION_TYPES:
            med, said = read_medication(model, label, lookup)
            medications.append(med)
            notes.extend(said)
        elif kind == "Patient":
            patients += 1
            if patients > 1:
                raise InputError("the bundle holds more than one Patient; a check is for one")
            fields.update(patient_basics(model, as_of, notes))
        elif kind == "Condition":
            text = condition_text(model, label, kb, notes)
            if text is not None:
                conditions.append(text)
        elif kind == "Observation":
            reading = observation_reading(model, label, as_of, notes)
            if reading is not None:
                readings.append(reading)
    _one_patient(parsed, index)
    fields.update(latest(readings, as_of, notes))
    return medications, Patient(conditions=tuple(conditions), **fields), notes


def _one_patient(parsed: list[tuple[str, dict[str, Any], Any]], index: dict[str, Any]) -> None:
    """Refuse a resource about another patient than the bundle's Patient (its findings would be
    mixed into this one's)."""
    patient = next((m for _, raw, m in parsed if raw["resourceType"] == "Patient"), None)
    if patient is None or isinstance(patient, str):
        return
    for label, raw, model in parsed:
        subject = getattr(model, "subject", None) if not isinstance(model, str) else None
        reference = getattr(subject, "reference", None)
        if not reference:
            continue
        target = index.get(reference) or index.get("/".join(reference.split("/")[-2:]))
        about_patient = reference.startswith("Patient/") or "/Patient/" in reference
        if (target is not None and target is not patient) or (target is None and about_patient):
            raise InputError(
                f"{label} is about {reference:.60}, not the bundle's Patient/{patient.id}; "
                "a check is for one patient"
            )


def _resources(bundle: Any) -> list[tuple[str | None, dict[str, Any]]]:
    """Each entry's fullUrl and resource, refusing what is not a bundle of resources."""
    if not is_bundle(bundle):
        kind = bundle.get("resourceType") if isinstance(bundle, dict) else type(bundle).__name__
        raise InputError(f"not a FHIR Bundle (resourceType {kind!r:.40})")
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        raise InputError("the bundle's 'entry' must be a list")
    if len(entries) > MAX_ENTRIES:
        raise InputError(f"the bundle has {len(entries)} entries; at most {MAX_ENTRIES} are read")
    out: list[tuple[str | None, dict[str, Any]]] = []
    for number, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            raise InputError(f"bundle entry {number} is not an object")
        resource = entry.get("resource")
        if resource is None:
            continue  # a transaction's DELETE, a search's outcome-less entry: nothing to read
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            raise InputError(f"bundle entry {number}: 'resource' has no resourceType")
        full_url = entry.get("fullUrl")
        out.append((full_url if isinstance(full_url, str) else None, resource))
    return out
