"""Reading a FHIR R4 Bundle (any type: collection, searchset, transaction, ...) into the
medications and patient of one check. See :func:`read_bundle`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from pharmcheck.domain import Medication, Patient
from pharmcheck.errors import InputError
from pharmcheck.extras import require_extra
from pharmcheck.fhir.medications import Lookup, read_medication, reference_tail, unreadable
from pharmcheck.fhir.models import parse_resource
from pharmcheck.fhir.patient import (
    Reading,
    condition_text,
    latest,
    observation_reading,
    patient_basics,
)
from pharmcheck.inputs.typecheck import check_as_of
from pharmcheck.kb.store import KnowledgeBase

MEDICATION_TYPES = ("MedicationRequest", "MedicationStatement")
_READ = {*MEDICATION_TYPES, "Medication", "Patient", "Condition", "Observation"}
MAX_ENTRIES = 5000


def is_bundle(data: Any) -> bool:
    """Whether a parsed document is a FHIR Bundle (its ``resourceType`` says so)."""
    return isinstance(data, dict) and data.get("resourceType") == "Bundle"


@dataclass(frozen=True)
class _Entry:
    """One resource of the bundle: its R4B model, or why it is not valid R4."""

    label: str  # "MedicationRequest/rx-1", as notes name it
    kind: str
    raw: dict[str, Any]
    model: Any = None
    error: str | None = None


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
    another resourceType, entries that are not resources, two patients, a resource about
    another patient) is an :class:`InputError` with one line.
    """
    from pharmcheck.inputs.resolve import Resolver
    from pharmcheck.kb.store import open_kb

    require_extra("fhir", "reading a FHIR Bundle")
    as_of = check_as_of(as_of) or date.today()
    if kb is not None and not isinstance(kb, KnowledgeBase):
        raise InputError(f"kb must be a KnowledgeBase from open_kb(), not {type(kb).__name__}")
    kb = kb if kb is not None else open_kb()
    notes: list[str] = []
    entries, index = _parsed(_resources(bundle), notes)
    if sum(e.kind == "Patient" for e in entries) > 1:
        raise InputError("the bundle holds more than one Patient; a check is for one")
    _one_patient(entries, index)
    lookup = Lookup(kb, kb.memo(("fhir-resolver",), Resolver, kb), index, as_of)
    medications: list[Medication] = []
    conditions: list[str] = []
    readings: list[Reading] = []
    fields: dict[str, Any] = {}
    for entry in entries:
        label, kind, model = entry.label, entry.kind, entry.model
        if model is None:  # not valid R4: reported, never dropped
            if kind in MEDICATION_TYPES:
                medication, said = unreadable(label, entry.raw, str(entry.error))
                medications.append(medication)
                notes.extend(said)
            else:
                conditions.extend([f"{label} (not valid FHIR R4)"] if kind == "Condition" else [])
                notes.append(f"{label}: {entry.error}")
        elif kind in MEDICATION_TYPES:
            medication, said = read_medication(model, label, lookup)
            medications.append(medication)
            notes.extend(said)
        elif kind == "Patient":
            fields.update(patient_basics(model, as_of, notes))
        elif kind == "Condition":
            text = condition_text(model, label, kb, notes)
            conditions.extend([text] if text is not None else [])
        elif kind == "Observation":
            reading = observation_reading(model, label, as_of, notes)
            readings.extend([reading] if reading is not None else [])
    fields.update(latest(readings, as_of, notes))
    return medications, Patient(conditions=tuple(conditions), **fields), notes


def _parsed(
    resources: list[tuple[str | None, dict[str, Any]]], notes: list[str]
) -> tuple[list[_Entry], dict[str, Any]]:
    """The resources pharmcheck reads, parsed, and the valid ones by fullUrl and Type/id."""
    entries: list[_Entry] = []
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
        entries.append(_Entry(label, kind, raw, result.model, result.error))
        if result.model is not None:
            index.update({key: result.model for key in (full_url, label) if key})
    if skipped:
        listed = ", ".join(f"{n} {kind}" for kind, n in sorted(skipped.items()))
        notes.append(f"not read (pharmcheck does not use them): {listed}")
    return entries, index


def _one_patient(entries: list[_Entry], index: dict[str, Any]) -> None:
    """Refuse a resource about another patient than the bundle's Patient (its findings would be
    mixed into this one's)."""
    patient = next((e.model for e in entries if e.kind == "Patient"), None)
    if patient is None:
        return
    for entry in entries:
        reference = getattr(getattr(entry.model, "subject", None), "reference", None)
        if not reference:
            continue
        target = index.get(reference) or index.get(reference_tail(reference))
        about_patient = reference.startswith("Patient/") or "/Patient/" in reference
        if (target is not None and target is not patient) or (target is None and about_patient):
            raise InputError(
                f"{entry.label} is about {reference:.60}, not the bundle's Patient/{patient.id}; "
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
