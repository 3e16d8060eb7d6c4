"""What a rule is, the registry of stable codes, and the context every rule reads.

Codes are stable and never reused; names are kebab-case descriptions of the
risky pattern. The hundreds digit is the family:
1xx causative, 2xx combination, 3xx duplicate therapy, 4xx dose,
5xx organ function, 6xx tolerance/withdrawal/trajectory, 7xx drug-condition
and paradoxical, 8xx structure-based predictions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any, TypeVar, TypeVarTuple

from pharmcheck.domain import CATEGORIES, Category, Finding, Patient, ResolvedMedication, Severity
from pharmcheck.inputs.renal import CockcroftGault, cockcroft_gault
from pharmcheck.kb.store import Fact, KnowledgeBase, Membership

T = TypeVar("T")
Ts = TypeVarTuple("Ts")


@dataclass(frozen=True)
class Example:
    """A medication list (and patient) that the rule must flag, or must leave alone."""

    medications: tuple[str, ...]
    patient: dict[str, Any] = field(default_factory=dict)
    flagged: bool = True
    history: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    stopped: tuple[str, ...] = ()
    severity: Severity | None = None  # of the finding a flagged example must give
    says: str = ""  # a distinctive part of that finding's message


@dataclass(frozen=True)
class RuleDoc:
    what: str
    why: str
    limits: str
    references: str


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    category: Category
    severity: Severity
    evidence: str
    title: str
    doc: RuleDoc
    examples: tuple[Example, ...]
    check: Callable[[CheckContext], Iterable[Finding]]

    def finding(
        self,
        *,
        drugs: Iterable[str],
        message: str,
        recommendation: str,
        severity: Severity | None = None,
        evidence: str | None = None,
        title: str | None = None,
        references: Iterable[str] = (),
    ) -> Finding:
        return Finding(
            code=self.code,
            name=self.name,
            category=self.category,
            severity=self.severity if severity is None else severity,
            drugs=tuple(sorted(set(drugs))),
            title=title or self.title,
            message=message,
            recommendation=recommendation,
            evidence=evidence or self.evidence,
            references=tuple(dict.fromkeys(references)),
        )


REGISTRY: dict[str, Rule] = {}


def rule(
    code: str,
    name: str,
    category: Category,
    severity: Severity,
    evidence: str,
    title: str,
    doc: RuleDoc,
    examples: Iterable[Example],
) -> Callable[[Callable[[CheckContext], Iterable[Finding]]], Rule]:
    """Register a rule function under a stable code."""
    assert category in CATEGORIES, category

    def register(check: Callable[[CheckContext], Iterable[Finding]]) -> Rule:
        assert code not in REGISTRY, f"duplicate rule code {code}"
        assert all(r.name != name for r in REGISTRY.values()), f"duplicate rule name {name}"
        registered = Rule(
            code, name, category, severity, evidence, title, doc, tuple(examples), check
        )
        REGISTRY[code] = registered
        return registered

    return register


def select_rules(select: Iterable[str] = (), ignore: Iterable[str] = ()) -> list[Rule]:
    """Rules chosen by code, code prefix or name; ``ignore`` wins over ``select``."""

    def matches(r: Rule, selectors: list[str]) -> bool:
        return any(r.code.upper().startswith(s.upper()) or r.name == s.lower() for s in selectors)

    chosen, dropped = list(select), list(ignore)
    for selector in chosen + dropped:
        if not any(matches(r, [selector]) for r in REGISTRY.values()):
            raise ValueError(f"no rule matches {selector!r}; `pharmcheck rules` lists them")
    return [
        r
        for code, r in sorted(REGISTRY.items())
        if (not chosen or matches(r, chosen)) and not matches(r, dropped)
    ]


# --- the context a rule reads -----------------------------------------------------------------

#: The patient fields a rule reads through its context, besides the conditions (as ids) and the
#: myoclonus state. The batch shares one context among patients equal in these (rules/ward.py);
#: ``id`` names the patient and ``weight_kg`` is read when doses per kg are resolved, never here.
CONTEXT_FIELDS = (
    "age",
    "sex",
    "crcl",
    "serum_creatinine",  # a Cockcroft-Gault estimate stands in for a missing CrCl
    "egfr",
    "dialysis",
    "hepatic_impairment",
    "pregnant",
    "childbearing_potential",
)

_RENAL_IMPAIRMENT_BELOW = 60.0
_ESRD_BELOW = 15.0


@dataclass(frozen=True)
class SubjectMatch:
    """How a drug matched a fact's subject: directly, or through a class membership."""

    via_class: str | None = None
    inferred: bool = False

    def describe(self) -> str:
        if self.via_class is None:
            return ""
        how = "inferred from structure" if self.inferred else "curated"
        return f" (as a member of class {self.via_class}, {how})"


@dataclass(frozen=True)
class RenalFunction:
    value: float | None  # CrCl or eGFR in mL/min; None on dialysis with neither given
    measure: str  # "CrCl", "eGFR", or "dialysis" (neither given)
    dialysis: str | None = None
    basis: str | None = None  # how an estimated value was computed, shown with it

    def describe(self) -> str:
        shown = f"{round(self.value, 1):g}" if self.value is not None else ""
        measured = f"{self.measure} {shown} mL/min" if self.value is not None else ""
        if measured and self.basis:
            measured += f" ({self.basis})"
        if self.dialysis:
            return f"on {self.dialysis}" + (
                f", {measured}" if measured else " (CrCl not given: end-stage)"
            )
        return measured


class CheckContext:
    """One patient's resolved medications and context, with the lookups rules share."""

    def __init__(
        self,
        kb: KnowledgeBase,
        patient: Patient,
        medications: Iterable[ResolvedMedication],
        as_of: date,
        condition_ids: frozenset[int],
        structures: Iterable[Any] = (),
    ):
        self.kb = kb
        self.structures = tuple(
            structures
        )  # unidentified compounds given as structures (rules/predicted.py)
        self.patient = patient
        self.medications = tuple(medications)
        self.as_of = as_of
        self._condition_ids = condition_ids

    @cached_property
    def active(self) -> tuple[ResolvedMedication, ...]:
        return tuple(m for m in self.medications if not m.stopped and not m.void)

    @cached_property
    def stopped(self) -> tuple[ResolvedMedication, ...]:
        return tuple(m for m in self.medications if m.stopped)

    @cached_property
    def _active_by_drug(self) -> dict[int, list[ResolvedMedication]]:
        grouped: dict[int, list[ResolvedMedication]] = {}
        for med in self.active:
            # Every entry counts: a brand and its generic, or one order written twice, are given
            # twice, so the dose rules sum them (PC302 reports the repetition).
            grouped.setdefault(med.drug_id, []).append(med)
        return dict(sorted(grouped.items(), key=lambda item: item[1][0].drug))

    def active_drugs(self) -> dict[int, list[ResolvedMedication]]:
        """Every active entry grouped by drug, in list order, the drugs sorted by name."""
        return self._active_by_drug

    def memo(self, key: tuple[Any, ...], make: Callable[[*Ts], T], *args: *Ts) -> T:
        """See :meth:`KnowledgeBase.memo`."""
        return self.kb.memo(key, make, *args)

    def classes(self, drug_id: int) -> list[Membership]:
        return self.kb.classes_of(drug_id)

    def membership(self, drug_id: int, class_name: str) -> Membership | None:
        by_name = self.memo(("memberships", drug_id), self._memberships, drug_id)
        return by_name.get(class_name)

    def _memberships(self, drug_id: int) -> dict[str, Membership]:
        by_name: dict[str, Membership] = {}
        for m in self.classes(drug_id):
            by_name.setdefault(m.class_name, m)
        return by_name

    def subject_match(
        self, fact: Fact, drug_id: int, drug_key: str = "drug_id", class_key: str = "class_id"
    ) -> SubjectMatch | None:
        if fact.values.get(drug_key) is not None:
            return SubjectMatch() if fact[drug_key] == drug_id else None
        class_id = fact.values.get(class_key)
        if class_id is None:
            return None
        class_name = self.kb.classes[int(class_id)][0]
        member = self.membership(drug_id, class_name)
        if member is None:
            return None
        return SubjectMatch(class_name, member.basis == "inferred")

    def matching_facts(
        self,
        table: str,
        facts: Iterable[Fact],
        drug_id: int,
        drug_key: str = "drug_id",
        class_key: str = "class_id",
    ) -> list[tuple[Fact, SubjectMatch]]:
        """Facts of ``table`` whose subject is this drug or one of its classes (memoised per KB)."""
        return self.memo(
            (table, drug_key, drug_id), self._matching_facts, facts, drug_id, drug_key, class_key
        )

    def _matching_facts(
        self, facts: Iterable[Fact], drug_id: int, drug_key: str, class_key: str
    ) -> list[tuple[Fact, SubjectMatch]]:
        matched = []
        for fact in facts:
            match = self.subject_match(fact, drug_id, drug_key, class_key)
            if match is not None:
                matched.append((fact, match))
        return matched

    def properties(self, drug_id: int, name: str) -> list[Fact]:
        return self.memo(("properties", drug_id, name), self._properties, drug_id, name)

    def _properties(self, drug_id: int, name: str) -> list[Fact]:
        return [f for f in self.kb.properties_by_drug.get(drug_id, []) if f["property"] == name]

    def property_value(self, drug_id: int, name: str) -> str | None:
        facts = self.properties(drug_id, name)
        return str(facts[0]["value"]) if facts else None

    @cached_property
    def renal(self) -> RenalFunction | None:
        p = self.patient
        dialysis = p.dialysis if p.dialysis and p.dialysis != "none" else None
        if p.crcl is not None:
            return RenalFunction(p.crcl, "CrCl", dialysis)
        estimate = (
            cockcroft_gault(p.serum_creatinine, p.age, p.weight_kg, p.sex)
            if p.serum_creatinine is not None
            else None
        )
        if isinstance(estimate, CockcroftGault):
            return RenalFunction(estimate.crcl, "CrCl", dialysis, estimate.basis())
        if p.egfr is not None:
            return RenalFunction(p.egfr, "eGFR", dialysis)
        return RenalFunction(None, "dialysis", dialysis) if dialysis else None

    def has_condition(self, condition: str) -> bool | None:
        """True, False, or None when the patient data cannot tell. A condition is had when it or
        one of its descendants in the KB's is-a hierarchy is given (ULD is a progressive myoclonus
        epilepsy), or when the patient fields say so (``DERIVED_CONDITIONS``)."""
        if self.has_given_condition(condition):
            return True
        derive = DERIVED_CONDITIONS.get(condition)
        return False if derive is None else derive(self)

    def has_given_condition(self, condition: str) -> bool:
        """Whether the condition, or one of its descendants, is among the given conditions."""
        cid = self.kb.condition_by_name.get(condition)
        return cid is not None and bool(
            cid in self._condition_ids or self._condition_ids & self.kb.condition_descendants[cid]
        )

    def condition_via(self, condition: str) -> tuple[str, ...]:
        """When the patient has ``condition`` only through given descendants, their labels; else
        ()."""
        cid = self.kb.condition_by_name.get(condition)
        if cid is None or cid in self._condition_ids:
            return ()
        below = self._condition_ids & self.kb.condition_descendants[cid]
        # a given condition under another given one is named by the more specific only
        specific = [c for c in below if not any(c in self.kb.condition_ancestors[o] for o in below)]
        return tuple(sorted(self.kb.conditions[c][1] for c in specific))

    @property
    def myoclonus_present(self) -> bool:
        return self.patient.myoclonus in ("present", "worsening")


def _renal_impairment(ctx: CheckContext, below: float) -> bool | None:
    renal = ctx.renal
    if renal is None:
        return None
    return renal.dialysis is not None or (renal.value or 0) < below


def _hepatic_impairment(ctx: CheckContext) -> bool | None:
    level = ctx.patient.hepatic_impairment
    return None if level is None else level != "none"


def _elderly(ctx: CheckContext) -> bool | None:
    return None if ctx.patient.age is None else ctx.patient.age >= 65


#: The conditions a patient can have without their being given: each one's reading of the patient
#: fields (True, False, or None when they cannot tell). Any other condition is had only as given.
DERIVED_CONDITIONS: dict[str, Callable[[CheckContext], bool | None]] = {
    "renal-impairment": lambda ctx: _renal_impairment(ctx, _RENAL_IMPAIRMENT_BELOW),
    "end-stage-renal-disease": lambda ctx: _renal_impairment(ctx, _ESRD_BELOW),
    "hepatic-impairment": _hepatic_impairment,
    "pregnancy": lambda ctx: ctx.patient.pregnant,
    "childbearing-potential": lambda ctx: ctx.patient.childbearing_potential,
    "elderly": _elderly,
}


def cite(facts: Iterable[Fact]) -> Iterator[str]:
    for fact in facts:
        for reference in fact.references:
            yield reference.cite()
