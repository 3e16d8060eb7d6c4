"""MedicationRequest and MedicationStatement as pharmcheck medications.

The drug is named by its coding first (a code the knowledge base carries: ATC today; RxNorm and
SNOMED CT when the KB has them), then by its text (``code.text``, then each coding's display):
the first that resolves is used; when none does, the first text is passed on and reported as
not checked, like any unrecognised name. Several dosage instructions with the same (or no)
``sequence`` are taken together and summed; instructions in different sequences are phases
(a taper), and the largest phase counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pharmcheck.domain import Medication, Quantity
from pharmcheck.fhir.codes import DRUG_SYSTEMS, RXNORM
from pharmcheck.fhir.dosage import Instruction, Strength, amount, read_instruction
from pharmcheck.inputs.resolve import Resolver
from pharmcheck.inputs.sig import parse_sig
from pharmcheck.inputs.status import status_key, status_meaning
from pharmcheck.kb.store import KnowledgeBase

_STRENGTH = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*(MG|MCG|G)\b(?!\s*/)", re.IGNORECASE)
_CONCENTRATION = re.compile(
    r"(?<![\d.])(\d+(?:\.\d+)?)\s*(MG|MCG)\s*/\s*(\d+(?:\.\d+)?)?\s*ML\b", re.IGNORECASE
)
_MASS = {"mg": 1.0, "mcg": 0.001, "g": 1000.0}
_MAX_TEXT = 1000


@dataclass(frozen=True)
class Lookup:
    """What reading a medication needs besides the resource: the KB, a resolver, the bundle's
    resources by reference, and the check date."""

    kb: KnowledgeBase
    resolver: Resolver
    resources: dict[str, Any]
    as_of: date


def read_medication(resource: Any, label: str, lookup: Lookup) -> tuple[Medication, list[str]]:
    """One MedicationRequest or MedicationStatement as a :class:`Medication`, with notes."""
    notes: list[str] = []
    product = _product(resource, label, lookup, notes)
    name = _name(product, label, lookup, notes)
    strength = _strength(product)
    dosages = resource.dosageInstruction if hasattr(resource, "dosageInstruction") else None
    if dosages is None:
        dosages = getattr(resource, "dosage", None)
    instructions = [read_instruction(d, strength) for d in dosages or [] if d is not None]
    for instruction in instructions:
        notes.extend(f"{label}: {n}" for n in instruction.notes)
    read = regimen(name[:_MAX_TEXT], instructions)
    if read.note:
        notes.append(f"{label}: {read.note}")
    start, stop = _dates(resource, label, lookup.as_of, notes)
    status = _status(resource.status, label, notes)
    if getattr(resource, "doNotPerform", None):
        notes.append(f"{label}: doNotPerform, an order not to give it: not screened")
        status = "not-taken"
    if resource.modifierExtension:
        notes.append(f"{label}: a modifierExtension pharmcheck does not read: read without it")
    return (
        Medication(
            name=read.name,
            dose=read.dose,
            frequency=read.frequency,
            route=next((i.route for i in instructions if i.route), None),
            start=start,
            stop=stop,
            status=status,
        ),
        notes,
    )


def unreadable(label: str, raw: dict[str, Any], why: str) -> tuple[Medication, list[str]]:
    """A medication resource that is not valid R4: listed under its text (or its reference) so
    that it is screened by name or reported as not checked, never dropped."""
    concept = raw.get("medicationCodeableConcept")
    text = concept.get("text") if isinstance(concept, dict) else None
    name = text.strip() if isinstance(text, str) and text.strip() else label
    status = raw.get("status")
    known = isinstance(status, str) and status_meaning(status) is not None
    note = f"{label}: {why}; read by its name only, dose unknown"
    if raw.get("doNotPerform") is True:
        return Medication(name=name[:_MAX_TEXT], status="not-taken"), [note]
    return Medication(name=name[:_MAX_TEXT], status=status if known else "unknown"), [note]


def _product(resource: Any, label: str, lookup: Lookup, notes: list[str]) -> Any:
    """The CodeableConcept naming the drug and, for a referenced Medication, that resource."""
    if resource.medicationCodeableConcept is not None:
        return resource.medicationCodeableConcept
    reference = resource.medicationReference
    target = reference.reference if reference is not None else None
    found = None
    if target and target.startswith("#"):
        found = next((c for c in resource.contained or [] if f"#{c.id}" == target), None)
    elif target:
        found = lookup.resources.get(target) or lookup.resources.get(reference_tail(target))
    if _is_medication(found):
        return found
    display = reference.display if reference is not None else None
    notes.append(f"{label}: medication reference {target!s:.80} is not in the bundle")
    return display


def reference_tail(reference: str) -> str:
    """``Type/id`` of an absolute reference ("https://ehr.example/fhir/Patient/7")."""
    return "/".join(reference.rstrip("/").split("/")[-2:])


def _is_medication(product: Any) -> bool:
    return hasattr(product, "get_resource_type") and product.get_resource_type() == "Medication"


def _concept(product: Any) -> Any:
    return product.code if _is_medication(product) else product


def _name(product: Any, label: str, lookup: Lookup, notes: list[str]) -> str:
    if isinstance(product, str) or product is None:
        return product or label
    concept = _concept(product)
    codings = list(concept.coding or []) if concept is not None else []
    for coding in codings:
        system = DRUG_SYSTEMS.get(coding.system or "")
        drugs = lookup.kb.drugs_by_code(system, coding.code) if system and coding.code else ()
        if len(drugs) == 1:
            notes.append(f"{label}: {system} {coding.code} read as {drugs[0]} by its code")
            return drugs[0]
    texts: list[str] = [concept.text] if concept is not None and concept.text else []
    texts += [c.display for c in sorted(codings, key=lambda c: c.system != RXNORM) if c.display]
    ingredients = _ingredient_names(product)
    if ingredients:
        texts.append(" and ".join(ingredients))
    texts = [t.strip() for t in texts if t.strip()]
    for text in texts:
        if _resolves(lookup.resolver, text):
            return text
    if texts:
        return texts[0]
    coded = next((f"{c.system} {c.code}" for c in codings if c.code), None)
    return coded or label


def _resolves(resolver: Resolver, text: str) -> bool:
    named = parse_sig(text).name
    return (bool(named) and resolver.resolve(named).resolved) or resolver.resolve(text).resolved


def _ingredient_names(product: Any) -> list[str]:
    if not _is_medication(product):
        return []
    names = []
    for ingredient in product.ingredient or []:
        concept = ingredient.itemCodeableConcept
        if concept is None:
            continue
        text = concept.text or next((c.display for c in concept.coding or [] if c.display), None)
        if text:
            names.append(text)
    return names


def _strength(product: Any) -> Strength:
    """The strength of a one-ingredient product, from its Medication.ingredient, else from the
    name as RxNorm writes it ("gabapentin 300 MG Oral Capsule", "levetiracetam 100 MG/ML")."""
    if _is_medication(product):
        parts = product.ingredient or []
        ratio = parts[0].strength if len(parts) == 1 else None
        if ratio is not None and ratio.numerator is not None and ratio.denominator is not None:
            found = _ratio(ratio)
            if found is not None:
                return found
        if len(parts) > 1:
            return Strength()
    concept = _concept(product) if product is not None and not isinstance(product, str) else None
    texts = (
        [concept.text or ""] + [c.display or "" for c in concept.coding or []] if concept else []
    )
    for text in texts:
        concentrations = _CONCENTRATION.findall(text)
        masses = _STRENGTH.findall(text)
        if len(concentrations) == 1 and not masses:
            value, unit, per = concentrations[0]
            return Strength(per_ml=_mg(float(value) / float(per or 1), unit))
        if len(masses) == 1 and not concentrations:
            value, unit = masses[0]
            return Strength(per_count=_mg(float(value), unit))
    return Strength()


def _mg(value: float, unit: str) -> Quantity:
    return Quantity(value * _MASS[unit.lower()], "mg")


def _ratio(ratio: Any) -> Strength | None:
    notes: list[str] = []
    mass = amount(ratio.numerator, Strength(), notes)
    denominator = ratio.denominator
    try:
        per = float(denominator.value) if denominator.value is not None else 1.0
    except (TypeError, ValueError):
        return None
    if mass is None or mass.unit != "mg" or not per > 0:
        return None
    each = Quantity(mass.value / per, "mg")
    unit = str(denominator.code or denominator.unit or "").strip().lower()
    return Strength(per_ml=each) if unit == "ml" else Strength(per_count=each)


@dataclass(frozen=True)
class Regimen:
    """How a medication's dosage reaches the checker: the name (which may carry a stated maximum
    or a regimen in parts, as a sig does), the dose and frequency fields, and a note."""

    name: str
    dose: str | None = None
    frequency: str | None = None
    note: str | None = None


def regimen(name: str, instructions: list[Instruction]) -> Regimen:
    """The dosage as the checker reads a sig, so that the daily dose and the doses a day (which
    the renal interval rules read) are those the instructions give; unknown when they cannot be
    passed exactly.

    One instruction is its dose and frequency, a stated maximum written after the name.
    Several with the same (or no) ``sequence`` are concurrent: written as a regimen in parts
    ("300 mg bid + 600 mg daily"), which the sig reader sums. Different sequences are phases
    (a taper): the phase with the largest daily dose counts."""
    if not instructions:
        return Regimen(name)
    phases: dict[int | None, list[Instruction]] = {}
    for instruction in instructions:
        phases.setdefault(instruction.sequence, []).append(instruction)
    chosen, how = instructions, None
    if len(phases) > 1:
        totals = [_phase_total(p) for p in phases.values()]
        if any(t is None for t in totals) or len({t.unit for t in totals if t}) != 1:
            return Regimen(
                name, note=f"{len(phases)} dosage phases, one unknown: daily dose unknown"
            )
        most = max(range(len(totals)), key=lambda i: totals[i].value)  # type: ignore[union-attr]
        chosen = list(phases.values())[most]
        how = f"{len(phases)} dosage phases by sequence: the largest, {totals[most]} a day, counts"
    read = _single(name, chosen[0]) if len(chosen) == 1 else _parts(name, chosen)
    notes = [n for n in (how, read.note) if n]
    return Regimen(read.name, read.dose, read.frequency, "; ".join(notes) or None)


def _phase_total(phase: list[Instruction]) -> Quantity | None:
    parts = [i.daily()[0] for i in phase]
    if any(p is None for p in parts) or len({p.unit for p in parts if p}) != 1:
        return None
    return Quantity(sum(p.value for p in parts if p), parts[0].unit)  # type: ignore[union-attr]


def _single(name: str, only: Instruction) -> Regimen:
    daily, why = only.daily()
    if daily is None:
        return Regimen(name, _text(only.dose), _frequency(only), f"daily dose unknown: {why}")
    if only.prn_max is None:
        if only.label is None and only.dose is not None and only.dose.unit != "mcg/h":
            return Regimen(name, note=f"{only.describe()}: schedule not read, daily dose unknown")
        return Regimen(name, _text(only.dose), _frequency(only))
    limited = f"{name} (max {_text(only.prn_max)} a day)"
    said = parse_sig(limited)
    if said.prn_max == only.prn_max and (only.label or only.prn):
        return Regimen(limited, _text(only.dose), _frequency(only) or "prn")
    return Regimen(
        name,
        note=f"{only.describe()}: the maximum cannot be passed on, daily dose unknown",
    )


def _parts(name: str, parts: list[Instruction]) -> Regimen:
    described = " + ".join(i.describe() for i in parts)
    if any(i.dose is None or i.label is None or i.prn_max is not None for i in parts):
        return Regimen(name, note=f"{described}: daily dose unknown")
    drug = parse_sig(name).name or name
    written = f"{drug} " + " + ".join(f"{_text(i.dose)} {_frequency(i)}" for i in parts)
    expected = _phase_total(parts)
    said = parse_sig(written)
    if expected is None or said.daily != expected or said.name != drug:
        return Regimen(name, note=f"{described}: daily dose unknown")
    return Regimen(written, note=f"{len(parts)} dosage instructions taken together: {described}")


def _frequency(instruction: Instruction) -> str | None:
    if instruction.label is None:
        return "prn" if instruction.prn else None
    return instruction.label + (" prn" if instruction.prn else "")


def _text(dose: Quantity | None) -> str | None:
    """A dose as text the sig reader reads back exactly; None for one that rounds to nothing."""
    if dose is None:
        return None
    plain = f"{dose.value:.6f}".rstrip("0").rstrip(".")
    return None if float(plain) == 0 else f"{plain} {dose.unit}"


def _status(status: Any, label: str, notes: list[str]) -> str:
    if isinstance(status, str) and status_meaning(status) is not None:
        return status_key(status)
    notes.append(f"{label}: status {status!r:.40} is not an R4 medication status: read as unknown")
    return "unknown"


def _dates(
    resource: Any, label: str, as_of: date, notes: list[str]
) -> tuple[date | None, date | None]:
    """authoredOn (a request) or effective[x] (a statement) as start and stop dates."""
    start = day(getattr(resource, "authoredOn", None))
    stop = None
    effective = getattr(resource, "effectivePeriod", None)
    if effective is not None:
        start, stop = day(effective.start), day(effective.end)
    elif getattr(resource, "effectiveDateTime", None) is not None:
        start = day(resource.effectiveDateTime)
    if start is not None and start > as_of:
        notes.append(f"{label}: starts {start}, after the check date: start date not used")
        start = None
    if stop is not None and stop > as_of:
        notes.append(f"{label}: ends {stop}, after the check date: still given on it")
        stop = None
    if start is not None and stop is not None and stop < start:
        notes.append(f"{label}: ends before it starts: dates not used")
        return None, None
    return start, stop


def day(value: Any) -> date | None:
    """The day a FHIR date or dateTime gives, as its writer wrote it; None for a partial date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return None
