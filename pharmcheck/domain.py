"""Domain objects: what goes into a check and what comes out. All frozen dataclasses.

An input that cannot be resolved is an :class:`Unrecognized` value in the
report, never an exception and never silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import IntEnum
from typing import Any, Literal, get_args

from pharmcheck.errors import InputError
from pharmcheck.inputs.status import STOPPED, VOID, status_meaning, status_problem


class Severity(IntEnum):
    """Finding severity, ordered: info < minor < moderate < major < contraindicated."""

    INFO = 0
    MINOR = 1
    MODERATE = 2
    MAJOR = 3
    CONTRAINDICATED = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(
                f"unknown severity {text!r}; use one of {', '.join(s.label for s in cls)}"
            ) from None

    def bumped(self, steps: int = 1, ceiling: Severity | None = None) -> Severity:
        top = ceiling if ceiling is not None else Severity.MAJOR
        return Severity(max(self, min(self + steps, top)))


#: The severities' names, lowest first, as options and reports spell them.
SEVERITY_NAMES = tuple(s.label for s in Severity)


#: What a finding is about; a rule belongs to one category.
Category = Literal[
    "causative",
    "combination",
    "dose",
    "organ-function",
    "tolerance",
    "withdrawal",
    "paradoxical",
    "duplicate-therapy",
    "drug-condition",
]
CATEGORIES: tuple[Category, ...] = get_args(Category)

#: How strong the evidence behind a finding is. KB grades map onto it:
#: A (level A / label / guideline) -> high, MR (many reports) -> moderate,
#: FR (few reports) -> low, M (mechanistic only) and structural predictions -> very-low.
EVIDENCE_LEVELS = ("high", "moderate", "low", "very-low")
_KB_EVIDENCE = {"A": "high", "MR": "moderate", "FR": "low", "M": "very-low"}


def evidence_level(kb_code: str, lowered: int = 0) -> str:
    """The finding's evidence level for a KB evidence code, optionally lowered by steps."""
    index = EVIDENCE_LEVELS.index(_KB_EVIDENCE.get(kb_code, "very-low"))
    return EVIDENCE_LEVELS[min(index + lowered, len(EVIDENCE_LEVELS) - 1)]


@dataclass(frozen=True)
class Quantity:
    value: float
    unit: str

    def to_dict(self) -> dict[str, Any]:
        return {"value": _number(self.value), "unit": self.unit}

    def __str__(self) -> str:
        return f"{_number(self.value)} {self.unit}"


def _number(value: float) -> float | int:
    rounded = round(value, 3)
    return int(rounded) if float(rounded).is_integer() else rounded


@dataclass(frozen=True)
class DoseChange:
    """One point of a dose history: the total daily dose from ``date`` on."""

    date: date
    daily_dose: Quantity


@dataclass(frozen=True)
class Medication:
    """A medication as written. Only ``name`` is required; it may hold a whole sig string."""

    name: str
    dose: str | None = None
    frequency: str | None = None
    route: str | None = None
    start: date | None = None
    stop: date | None = None
    status: str | None = None
    history: tuple[DoseChange, ...] = ()
    smiles: str | None = None
    concentration: str | None = None
    indication: str | None = None  # what it is given for, as written ("epilepsy", "panic disorder")

    def __post_init__(self) -> None:
        problem = status_problem(self.status)
        if problem:
            raise InputError(f"medication {self.name!r}: {problem}")


#: Patient fields by type, as a document, a PATIENTS table, the library's checks and the CLI
#: read them.
PATIENT_NUMBERS = ("age", "weight_kg", "crcl", "egfr")
PATIENT_TEXTS = ("id", "sex", "dialysis", "hepatic_impairment", "myoclonus")
PATIENT_FLAGS = ("pregnant", "childbearing_potential")

Sex = Literal["female", "male", "other"]
Dialysis = Literal["none", "hemodialysis", "peritoneal"]
HepaticLevel = Literal["none", "mild", "moderate", "severe"]
MyoclonusState = Literal["absent", "present", "worsening", "improving"]
SEXES: tuple[Sex, ...] = get_args(Sex)
DIALYSIS_KINDS: tuple[Dialysis, ...] = get_args(Dialysis)
HEPATIC_LEVELS: tuple[HepaticLevel, ...] = get_args(HepaticLevel)
MYOCLONUS_STATES: tuple[MyoclonusState, ...] = get_args(MyoclonusState)


@dataclass(frozen=True)
class Patient:
    """The patient context. Every field is optional; unknown is never treated as normal."""

    id: str | None = None
    age: float | None = None
    sex: Sex | None = None
    weight_kg: float | None = None
    crcl: float | None = None
    egfr: float | None = None
    dialysis: Dialysis | None = None
    hepatic_impairment: HepaticLevel | None = None
    pregnant: bool | None = None
    childbearing_potential: bool | None = None
    conditions: tuple[str, ...] = ()
    myoclonus: MyoclonusState | None = None
    serum_creatinine: Quantity | None = (
        None  # mg/dL or umol/L: CrCl by Cockcroft-Gault without crcl
    )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "age": self.age,
            "sex": self.sex,
            "weight_kg": self.weight_kg,
            "crcl": self.crcl,
            "egfr": self.egfr,
            "dialysis": self.dialysis,
            "hepatic_impairment": self.hepatic_impairment,
            "pregnant": self.pregnant,
            "childbearing_potential": self.childbearing_potential,
            "conditions": list(self.conditions),
            "myoclonus": self.myoclonus,
            "serum_creatinine": self.serum_creatinine.to_dict() if self.serum_creatinine else None,
        }


@dataclass(frozen=True)
class ResolvedMedication:
    """A medication resolved to one drug (a combination product gives one per ingredient)."""

    input: str
    drug: str
    drug_id: int
    match: str
    score: float
    dose: Quantity | None = None
    frequency: str | None = None
    daily_dose: Quantity | None = None
    daily_dose_note: str | None = None
    route: str | None = None
    prn: bool = False
    start: date | None = None
    stop: date | None = None
    status: str | None = None
    history: tuple[DoseChange, ...] = ()
    combination: tuple[str, ...] = ()
    index: int = 0
    indication: str | None = None

    @property
    def stopped(self) -> bool:
        """No longer given (a stop date, or a stopped or held status): read by the withdrawal
        rules."""
        return not self.void and (status_meaning(self.status) == STOPPED or self.stop is not None)

    @property
    def void(self) -> bool:
        """Never given or recorded in error (pharmcheck.inputs.status): no rule reads it."""
        return status_meaning(self.status) == VOID

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "input": self.input,
            "drug": self.drug,
            "match": self.match,
            "score": round(self.score, 3),
            "dose": self.dose.to_dict() if self.dose else None,
            "frequency": self.frequency,
            "daily_dose": self.daily_dose.to_dict() if self.daily_dose else None,
        }
        if self.daily_dose_note:
            data["daily_dose_note"] = self.daily_dose_note
        if self.route:
            data["route"] = self.route
        if self.indication:
            data["indication"] = self.indication
        if self.prn:
            data["prn"] = True
        if self.combination:
            data["combination_of"] = list(self.combination)
        if self.status:
            data["status"] = self.status
        if self.start:
            data["start"] = self.start.isoformat()
        if self.stop:
            data["stop"] = self.stop.isoformat()
        if self.history:
            data["history"] = [
                {"date": h.date.isoformat(), "daily_dose": h.daily_dose.to_dict()}
                for h in self.history
            ]
        return data


UNRECOGNIZED_KINDS = ("drug", "condition")


@dataclass(frozen=True)
class Unrecognized:
    """An input that was not checked, and why. Its presence makes the exit code 1.

    ``kind`` says what the input was meant to be: a ``drug`` (a medication) or a ``condition``.
    """

    input: str
    suggestions: tuple[str, ...] = ()
    reason: str = "no drug of that name in the knowledge base"
    kind: str = "drug"

    @property
    def title(self) -> str:
        """How a report heads it: "Not checked: X", naming a condition as one."""
        return f"Not checked: {'condition ' if self.kind == 'condition' else ''}{self.input}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "kind": self.kind,
            "suggestions": list(self.suggestions),
            "reason": self.reason,
        }


@dataclass(frozen=True)
class ScreenedStructure:
    """A medication given as a structure that matches no KB drug: checked by structure only.

    It has no identity, so only the structure-based prediction rules (PC8xx) see it; its
    class memberships (by SMARTS) and close neighbours (by fingerprint similarity) are
    predictions, never curated facts.
    """

    input: str
    smiles: str
    inchikey: str
    classes: tuple[str, ...] = ()
    neighbours: tuple[
        tuple[str, float, str | None], ...
    ] = ()  # (drug, similarity, myoclonus grade)

    def to_dict(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "smiles": self.smiles,
            "inchikey": self.inchikey,
            "classes": list(self.classes),
            "neighbours": [
                {"drug": d, "similarity": round(s, 2), "myoclonus_grade": g}
                for d, s, g in self.neighbours
            ],
        }


@dataclass(frozen=True)
class SiteAction:
    """A site override as it acted on one finding: who decided what, when and why."""

    override_id: int
    action: str  # suppress | severity | note | refused (a never-suppress finding kept as it was)
    reason: str
    author: str
    at: str
    unit: str | None = None
    severity: Severity | None = None  # the severity set (action severity)
    note: str | None = None  # the local note (note), or why the override was refused

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.override_id,
            "action": self.action,
            "reason": self.reason,
            "author": self.author,
            "at": self.at,
            "unit": self.unit,
            "severity": self.severity.label if self.severity is not None else None,
            "note": self.note,
        }

    def describe(self) -> str:
        """One line: what the override did, by whom, when, why."""
        what = {
            "suppress": "suppressed",
            "severity": f"severity set to {self.severity.label if self.severity else '?'}",
            "note": f"note: {self.note}",
            "refused": f"not applied ({self.note})",
        }[self.action]
        unit = f" for unit {self.unit}" if self.unit else ""
        return (
            f"site override #{self.override_id}{unit}: {what}; "
            f"by {self.author} at {self.at}: {self.reason}"
        )


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    name: str
    category: Category
    severity: Severity  # effective: after any site override
    drugs: tuple[str, ...]
    title: str
    message: str
    recommendation: str
    evidence: str
    references: tuple[str, ...] = ()
    base_severity: Severity | None = None  # the rule's own severity, where an override changed it
    site: tuple[SiteAction, ...] = ()  # site overrides that acted on this finding

    @property
    def rule_severity(self) -> Severity:
        return self.base_severity if self.base_severity is not None else self.severity

    @property
    def suppressed_by(self) -> SiteAction | None:
        return next((a for a in self.site if a.action == "suppress"), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "category": self.category,
            "severity": self.severity.label,
            "base_severity": self.rule_severity.label,
            "drugs": list(self.drugs),
            "title": self.title,
            "message": self.message,
            "recommendation": self.recommendation,
            "evidence": self.evidence,
            "references": list(self.references),
            "site_overrides": [a.to_dict() for a in self.site],
        }

    def reference_keys(self) -> tuple[str, ...]:
        """Each reference's key (its first word), once each: full citations are ``references``."""
        return tuple(dict.fromkeys(r.split(" ", 1)[0] for r in self.references))

    def sort_key(self) -> tuple[Any, ...]:
        return (-self.severity, self.code, self.drugs, self.message)


@dataclass(frozen=True)
class Report:
    pharmcheck_version: str
    kb_version: str
    schema_revision: str
    as_of: date
    patient: Patient
    medications: tuple[ResolvedMedication, ...]
    unrecognized: tuple[Unrecognized, ...]
    findings: tuple[Finding, ...]
    notes: tuple[str, ...] = field(default=())
    structures: tuple[ScreenedStructure, ...] = field(default=())
    hidden: tuple[Finding, ...] = field(
        default=()
    )  # below the caller's min_severity: counted, not shown
    suppressed: tuple[Finding, ...] = field(default=())  # by a site override: shown apart
    suppressed_hidden: bool = False  # the caller asked for suppressed findings as a count only
    unit: str | None = None  # the unit whose site overrides applied (None: site-wide ones only)

    @property
    def highest_severity(self) -> Severity | None:
        """The highest severity found, hidden findings included (an exit code must not miss
        them)."""
        return max((f.severity for f in (*self.findings, *self.hidden)), default=None)

    def to_dict(self) -> dict[str, Any]:
        highest = self.highest_severity
        return {
            "pharmcheck_version": self.pharmcheck_version,
            "knowledge_base": {"version": self.kb_version, "schema_revision": self.schema_revision},
            "as_of": self.as_of.isoformat(),
            "patient": self.patient.to_dict(),
            "medications": [m.to_dict() for m in self.medications],
            "unrecognized": [u.to_dict() for u in self.unrecognized],
            "structures": [s.to_dict() for s in self.structures],
            "findings": [f.to_dict() for f in self.findings],
            "hidden_findings": len(self.hidden),
            "suppressed_findings": [f.to_dict() for f in self.suppressed],
            "unit": self.unit,
            "highest_severity": highest.label if highest is not None else None,
            "notes": list(self.notes),
        }
