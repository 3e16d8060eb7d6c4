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
    instructions = [read_instruction(d, strength) for d in dosages or []]
    for instruction in instructions:
        notes.extend(f"{label}: {n}" for n in instruction.notes)
    dose, frequency, how = regimen(instructions)
    if how:
        notes.append(f"{label}: {how}")
    start, stop = _dates(resource, label, lookup.as_of, notes)
    return (
        Medication(
            name=name[:_MAX_TEXT],
            dose=dose,
            frequency=frequency,
            route=next((i.route for i in instructions if i.route), None),
            start=start,
            stop=stop,
            status=_status(resource.status, label, notes),
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
        found = lookup.resources.get(target) or lookup.resources.get(_tail(target))
    if _is_medication(found):
        return found
    display = reference.display if reference is not None else None
    notes.append(f"{label}: medication reference {target!s:.80} is not in the bundle")
    return display


def _tail(reference: str) -> str:
    """``Type/id`` of an absolute reference."""
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
    texts = [concept.text] if concept is not None and concept.text else []
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


def regimen(instructions: list[Instruction]) -> tuple[str | None, str | None, str | None]:
    """The dose and frequency texts a medication is given with, and how they were read.

    One instruction is passed as its dose and frequency; several are summed within a
    ``sequence`` and the largest sequence counts, passed as a daily total."""
    if not instructions:
        return None, None, None
    if len(instructions) == 1:
        only = instructions[0]
        daily, why = only.daily()
        capped = only.prn_max is not None and daily != _scheduled(only)
        if only.dose is not None and only.label and not capped:
            return _text(only.dose), only.label + (" prn" if only.prn else ""), None
        if daily is None:
            return _text(only.dose), None, f"daily dose unknown: {why}"
        return (
            _text(daily),
            "daily prn" if only.prn else "daily",
            f"{only.describe()}: counted as {daily} a day",
        )
    phases: dict[int | None, list[Instruction]] = {}
    for instruction in instructions:
        phases.setdefault(instruction.sequence, []).append(instruction)
    totals: list[Quantity] = []
    for phase in phases.values():
        parts = [i.daily() for i in phase]
        missing = next((why for total, why in parts if total is None), None)
        if missing is not None:
            return None, None, f"{len(instructions)} dosage instructions: one has {missing}"
        units = {total.unit for total, _ in parts if total is not None}
        if len(units) != 1:
            return None, None, f"{len(instructions)} dosage instructions in different units"
        totals.append(Quantity(sum(t.value for t, _ in parts if t is not None), units.pop()))
    if len({t.unit for t in totals}) != 1:
        return None, None, "dosage phases in different units: daily dose unknown"
    most = max(totals, key=lambda t: t.value)
    described = " + ".join(i.describe() for i in instructions)
    how = "summed" if len(phases) == 1 else f"{len(phases)} phases by sequence, the largest"
    prn = any(i.prn for i in instructions)
    return _text(most), "daily prn" if prn else "daily", f"{described}: {how}, {most} a day"


def _scheduled(instruction: Instruction) -> Quantity | None:
    if instruction.dose is None or instruction.per_day is None:
        return None
    return Quantity(instruction.dose.value * instruction.per_day, instruction.dose.unit)


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
