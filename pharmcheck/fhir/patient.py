"""Patient, Condition and Observation resources as the patient context of a check.

- Patient: age in completed years at the check date from ``birthDate`` (a partial date that
  leaves the age in doubt gives none), and sex from ``gender``.
- Condition: current ones only (clinical status active, recurrence or relapse; refuted and
  entered-in-error dropped, with a note); named by a SNOMED CT or ICD-10-CM code the knowledge
  base carries, else by its text; one that cannot be read is passed on to be reported as not
  checked.
- Observation, by LOINC code: CrCl (measured or Cockcroft-Gault), eGFR, serum creatinine, body
  weight and pregnancy status. Only final, amended and corrected results on or before the check
  date count; of those, the latest of each measure is used and the report says which. A value
  with a comparator (eGFR ">60") is a bound, not a value: it is not used, and a note says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pharmcheck.domain import Quantity
from pharmcheck.fhir.codes import (
    CONDITION_SYSTEMS,
    CRCL_CODES,
    CREATININE_CODES,
    EGFR_CODES,
    LOINC,
    PREGNANCY_ANSWERS,
    PREGNANCY_STATUS,
    WEIGHT_CODES,
    WEIGHT_UNITS,
)
from pharmcheck.inputs.conditions import resolve_condition
from pharmcheck.inputs.renal import CREATININE_UNITS
from pharmcheck.kb.store import KnowledgeBase

_CURRENT = {"active", "recurrence", "relapse"}
_VOID_VERIFICATION = {"refuted", "entered-in-error"}
_UNCONFIRMED = {"unconfirmed", "provisional", "differential"}
_RESULT_STATUSES = {"final", "amended", "corrected"}
_GENDERS = {"female": "female", "male": "male", "other": "other"}


@dataclass(frozen=True)
class Reading:
    """One usable observation value: what it measures, its day and where it came from."""

    measure: str  # crcl | egfr | creatinine | weight | pregnant
    value: Any
    when: datetime
    source: str
    detail: str


def patient_basics(resource: Any, as_of: date, notes: list[str]) -> dict[str, Any]:
    """id, age and sex of a Patient resource."""
    values: dict[str, Any] = {"id": resource.id}
    gender = resource.gender
    if gender in _GENDERS:
        values["sex"] = _GENDERS[gender]
    born = resource.birthDate
    if born is not None:
        earliest, latest = _birth_span(born)
        if earliest is None or latest is None or earliest > as_of:
            notes.append(f"Patient birthDate {born!s:.12} not read (after the check date)")
        else:
            oldest, youngest = _years(earliest, as_of), _years(min(latest, as_of), as_of)
            if oldest == youngest:
                values["age"] = float(oldest)
            else:
                notes.append(
                    f"Patient birthDate {born} gives age {youngest} or {oldest} on {as_of}: "
                    "age not set"
                )
    return values


def _birth_span(born: Any) -> tuple[date | None, date | None]:
    """The first and last day a (possibly partial) birthDate may be."""
    if isinstance(born, date):
        return born, born
    parts = str(born).split("-")
    try:
        year = int(parts[0])
        if len(parts) == 1:
            return date(year, 1, 1), date(year, 12, 31)
        month = int(parts[1])
        last = (date(year + month // 12, month % 12 + 1, 1) - date.resolution) if month else None
        return date(year, month, 1), last
    except (ValueError, IndexError, OverflowError):
        return None, None


def _years(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def condition_text(resource: Any, label: str, kb: KnowledgeBase, notes: list[str]) -> str | None:
    """The text a current Condition is checked as (None for one that is not current)."""
    clinical = _codes(resource.clinicalStatus)
    verification = _codes(resource.verificationStatus)
    if verification & _VOID_VERIFICATION:
        notes.append(f"{label}: verification status {'/'.join(sorted(verification))}: not used")
        return None
    if clinical and not clinical & _CURRENT:
        notes.append(
            f"{label}: clinical status {'/'.join(sorted(clinical))}: not current, not used"
        )
        return None
    if not clinical:
        notes.append(f"{label}: no clinical status: read as current")
    if verification & _UNCONFIRMED:
        notes.append(f"{label}: verification status {'/'.join(sorted(verification))}: used")
    concept = resource.code
    codings = list(concept.coding or []) if concept is not None else []
    for coding in codings:
        system = CONDITION_SYSTEMS.get(coding.system or "")
        code = str(coding.code or "").strip()
        if system is None or not code:
            continue
        found = kb.condition_codes.get((system, code.upper() if system == "ICD-10-CM" else code))
        if found is not None:
            name = kb.conditions[found][1]
            notes.append(f"{label}: {system} {code} read as {name} by its code")
            return str(name)
    texts: list[str] = [concept.text] if concept is not None and concept.text else []
    texts += [c.display for c in codings if c.display]
    texts = [t.strip() for t in texts if t.strip()]
    for text in texts:
        if resolve_condition(kb, text).resolved:
            return text
    if texts:
        return texts[0]
    coded = next((f"{c.system} {c.code}" for c in codings if c.code), None)
    return coded or f"{label} (no code or text)"


def _codes(concept: Any) -> set[str]:
    if concept is None:
        return set()
    return {str(c.code) for c in concept.coding or [] if c.code}


def observation_reading(resource: Any, label: str, as_of: date, notes: list[str]) -> Reading | None:
    """The measure an Observation gives, when it is one pharmcheck reads and its value counts."""
    codings = resource.code.coding if resource.code is not None else None
    codes = {str(c.code) for c in codings or [] if c.system == LOINC and c.code}
    measure, detail = _measure(codes)
    if measure is None:
        return None
    if resource.status not in _RESULT_STATUSES:
        notes.append(f"{label} ({detail}): status {resource.status}: not used")
        return None
    when = _when(resource)
    if when is None:
        notes.append(f"{label} ({detail}): no date: not used")
        return None
    if when.date() > as_of:
        notes.append(f"{label} ({detail}): dated {when.date()}, after the check date: not used")
        return None
    value = _value(measure, resource, label, detail, notes)
    if value is None:
        return None
    return Reading(measure, value, when, label, detail)


def _measure(codes: set[str]) -> tuple[str | None, str]:
    for table, measure in (
        (CRCL_CODES, "crcl"),
        (EGFR_CODES, "egfr"),
        (CREATININE_CODES, "creatinine"),
        (WEIGHT_CODES, "weight"),
    ):
        for code in sorted(codes & set(table)):
            return measure, f"LOINC {code}, {table[code]}"
    if PREGNANCY_STATUS in codes:
        return "pregnant", f"LOINC {PREGNANCY_STATUS}, pregnancy status"
    return None, ""


def _when(resource: Any) -> datetime | None:
    period = resource.effectivePeriod
    for value in (
        resource.effectiveDateTime,
        resource.effectiveInstant,
        period.end if period is not None else None,
        period.start if period is not None else None,
        resource.issued,
    ):
        if isinstance(value, datetime):
            return value.replace(tzinfo=None)
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day)
    return None


def _value(measure: str, resource: Any, label: str, detail: str, notes: list[str]) -> Any:
    where = f"{label} ({detail})"
    if measure == "pregnant":
        concept = resource.valueCodeableConcept
        for coding in concept.coding or [] if concept is not None else []:
            answer = PREGNANCY_ANSWERS.get((coding.system, coding.code))
            if answer is not None:
                return answer
        notes.append(f"{where}: answer not read as pregnant or not pregnant: not used")
        return None
    quantity = resource.valueQuantity
    if quantity is None or quantity.value is None:
        reason = resource.dataAbsentReason
        why = f"data absent ({reason.text or 'no reason'})" if reason is not None else "no value"
        notes.append(f"{where}: {why}: not used")
        return None
    if quantity.comparator:
        notes.append(
            f"{where}: {quantity.comparator}{quantity.value} is a bound, not a value: not used"
        )
        return None
    try:
        value = float(quantity.value)
    except (TypeError, ValueError, OverflowError):
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        notes.append(f"{where}: value {quantity.value!s:.20} is not a positive number: not used")
        return None
    unit = str(quantity.code or quantity.unit or "").strip()
    read = _in_unit(measure, value, unit)
    if read is None:
        notes.append(f"{where}: unit {unit!r:.20} not read: not used")
    return read


def _in_unit(measure: str, value: float, unit: str) -> Any:
    lowered = unit.lower().replace(" ", "")
    if measure in ("crcl", "egfr"):
        return value if lowered.startswith("ml/min") else None
    if measure == "weight":
        factor = WEIGHT_UNITS.get(lowered)
        return value * factor if factor is not None else None
    name = CREATININE_UNITS.get(lowered)
    return Quantity(value, name) if name is not None else None


def latest(readings: list[Reading], as_of: date, notes: list[str]) -> dict[str, Any]:
    """The latest reading of each measure as Patient fields, with a note on which was used."""
    fields = {
        "crcl": "crcl",
        "egfr": "egfr",
        "creatinine": "serum_creatinine",
        "weight": "weight_kg",
        "pregnant": "pregnant",
    }
    values: dict[str, Any] = {}
    for measure, field in fields.items():
        found = [r for r in readings if r.measure == measure]
        if not found:
            continue
        best = max(found, key=lambda r: r.when)
        values[field] = best.value
        shown = f"{best.value:g}" if isinstance(best.value, float) else str(best.value)
        notes.append(
            f"{field} {shown} from {best.source} ({best.detail}) of {best.when.date()}: the latest "
            f"on or before {as_of} of {len(found)}"
        )
    return values
