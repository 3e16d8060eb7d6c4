"""PC1xx: drugs on the list that can cause myoclonus."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from pharmcheck.domain import Finding, Quantity, ResolvedMedication, Severity, evidence_level
from pharmcheck.kb.risk import risk_assertion as speaking_assertion
from pharmcheck.kb.store import Fact
from pharmcheck.rules.base import CheckContext, Example, RuleDoc, SubjectMatch, rule
from pharmcheck.rules.dose import most_permissive_maximum
from pharmcheck.rules.organ import RENAL_CONDITIONS
from pharmcheck.rules.time import rapid_pair

_CONDITION_WORDS = {
    "renal-impairment": "renal impairment",
    "end-stage-renal-disease": "end-stage renal disease",
    "elderly": "age 65 or over",
    "high-dose": "a high dose",
    "interacting-drug": "an interacting drug",
    "dehydration": "dehydration",
    "hepatic-impairment": "hepatic impairment",
    "rapid-dose-escalation": "rapid dose escalation",
}


def risk_assertion(ctx: CheckContext, drug_id: int) -> tuple[Fact, SubjectMatch] | None:
    """The assertion that speaks for a drug (:func:`pharmcheck.kb.risk.risk_assertion`)."""
    found = speaking_assertion(ctx.kb, drug_id)
    return (found.fact, SubjectMatch(found.via_class, found.inferred)) if found else None


def worsening_status(
    ctx: CheckContext, fact: Fact, meds: list[ResolvedMedication]
) -> tuple[list[str], list[str]]:
    """The fact's worsening conditions split into (present, unknown); an interacting drug is
    present only when a KB interaction raises this drug's risk (see :func:`raising_partners`)."""
    states: list[bool | None] = []
    for condition in worsening_conditions(ctx, fact):
        if condition == "interacting-drug":
            states.append(
                bool(raising_partners(ctx, meds[0].drug_id, _others(ctx, meds[0].drug_id)))
            )
        elif condition in REGIMEN_CONDITIONS:
            states.append(regimen_condition(ctx, condition, meds))
        else:
            states.append(ctx.has_condition(condition))
    return split_worsening(ctx, fact, tuple(states))


def _others(ctx: CheckContext, drug_id: int) -> dict[int, str]:
    return {d: meds[0].drug for d, meds in ctx.active_drugs().items() if d != drug_id}


RAISING_EFFECTS = ("level-raised", "additive-neurotoxicity")


def raises_risk(ctx: CheckContext, drug_id: int, other_id: int) -> bool:
    """Whether a KB interaction between the two drugs acts on ``drug_id`` by raising its level
    or adding neurotoxicity (the only interactions that raise its myoclonus risk)."""
    return ctx.memo(("raises-risk", drug_id, other_id), _raises_risk, ctx, drug_id, other_id)


def _raises_risk(ctx: CheckContext, drug_id: int, other_id: int) -> bool:
    for side, other_side in (("a", "b"), ("b", "a")):
        facts = ctx.matching_facts(
            "interactions", ctx.kb.interactions, drug_id, f"{side}_drug_id", f"{side}_class_id"
        )
        for fact, _ in facts:
            if fact["effect"] not in RAISING_EFFECTS or fact["affected"] not in (side, "both"):
                continue
            if (
                ctx.subject_match(fact, other_id, f"{other_side}_drug_id", f"{other_side}_class_id")
                is not None
            ):
                return True
    return False


def raising_partners(ctx: CheckContext, drug_id: int, others: dict[int, str]) -> tuple[str, ...]:
    """The names of ``others`` (drug id -> name) with a KB interaction raising this drug's risk."""
    return tuple(sorted(name for other, name in others.items() if raises_risk(ctx, drug_id, other)))


REGIMEN_CONDITIONS = ("high-dose", "rapid-dose-escalation")  # read from the drug's own regimens


def worsening_conditions(ctx: CheckContext, fact: Fact) -> list[str]:
    return ctx.memo(
        ("worsening", fact["worsening_conditions"]), _conditions, fact["worsening_conditions"]
    )


def regimen_condition(
    ctx: CheckContext, condition: str, meds: list[ResolvedMedication]
) -> bool | None:
    if condition == "high-dose":
        return _high_dose(ctx, meds)
    return any(rapid_pair(m.history) is not None for m in meds)


def split_worsening(
    ctx: CheckContext, fact: Fact, states: tuple[bool | None, ...]
) -> tuple[list[str], list[str]]:
    """(present, unknown) in words, from the state of each of the fact's worsening conditions."""
    conditions = worsening_conditions(ctx, fact)
    present = [_describe(ctx, c) for c, state in zip(conditions, states, strict=True) if state]
    unknown = [
        _describe(ctx, c) for c, state in zip(conditions, states, strict=True) if state is None
    ]
    return present, unknown


def _describe(ctx: CheckContext, condition: str) -> str:
    """Plain words for a worsening condition: ours, else the KB vocabulary's label."""
    if condition in _CONDITION_WORDS:
        return _CONDITION_WORDS[condition]
    cid = ctx.kb.condition_by_name.get(condition)
    return ctx.kb.conditions[cid][1] if cid is not None else condition


def _conditions(text: str | None) -> list[str]:
    return [c.strip() for c in (text or "").split(";") if c.strip()]


def _high_dose(ctx: CheckContext, meds: list[ResolvedMedication]) -> bool | None:
    daily = [m.daily_dose for m in meds if m.daily_dose is not None and m.daily_dose.unit == "mg"]
    if not daily:
        return None
    total = sum(d.value for d in daily)
    bounds = _dose_bounds(ctx, meds)
    if not bounds:
        return None
    return total > min(bounds)


def _dose_bounds(ctx: CheckContext, meds: list[ResolvedMedication]) -> list[float]:
    """The daily doses (mg) above which the drug's dose is high: the most permissive labelled
    maximum for the route (a stricter one may be out of scope: clonazepam's panic-disorder 4 mg
    in a patient treated for myoclonus) and the drug's toxicity threshold."""
    drug_id = meds[0].drug_id
    maximum = most_permissive_maximum(ctx, drug_id, meds)
    threshold = ctx.property_value(drug_id, "high_dose_threshold")
    return ([maximum] if maximum is not None else []) + ([float(threshold)] if threshold else [])


NOTED_ONLY = ("elderly",)  # a risk factor named in the message that does not raise the severity
_RENALLY_CLEARED = 0.5  # fraction excreted unchanged in urine


def context_conditions(ctx: CheckContext, drug_id: int, fact: Fact) -> list[str]:
    """The conditions PC101 reads for this drug: its assertion's worsening conditions (an
    interacting drug is read from the KB interactions instead), a high dose for every drug, and
    renal impairment for a renally cleared drug."""
    return ctx.memo(
        ("context-conditions", drug_id, fact["worsening_conditions"]),
        _context_conditions,
        ctx,
        drug_id,
        fact,
    )


def _context_conditions(ctx: CheckContext, drug_id: int, fact: Fact) -> list[str]:
    # a high dose needs a KB bound to compare with; without one it is not a context
    judged = ctx.property_value(drug_id, "high_dose_threshold") is not None or any(
        f["max_daily_mg"] is not None for f in ctx.kb.dose_limits_by_drug.get(drug_id, [])
    )
    conditions = [
        c
        for c in worsening_conditions(ctx, fact)
        if c != "interacting-drug" and (c != "high-dose" or judged)
    ]
    if judged and "high-dose" not in conditions:
        conditions.append("high-dose")
    fraction = ctx.property_value(drug_id, "fraction_renal")
    cleared = fraction is not None and _number(fraction) >= _RENALLY_CLEARED
    if cleared and not set(RENAL_CONDITIONS) & set(conditions):
        conditions.append("renal-impairment")
    return conditions


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 0.0


def context_states(
    ctx: CheckContext, drug_id: int, fact: Fact, meds: list[ResolvedMedication]
) -> tuple[bool | None, ...]:
    return tuple(
        regimen_condition(ctx, c, meds) if c in REGIMEN_CONDITIONS else ctx.has_condition(c)
        for c in context_conditions(ctx, drug_id, fact)
    )


def classify_context(
    ctx: CheckContext, drug_id: int, fact: Fact, states: tuple[bool | None, ...]
) -> tuple[list[str], list[str], list[str]]:
    """(raising, noted, unknown) in words. Renal impairment does not raise PC101 for a drug with
    label renal bands: PC501 compares its dose with the band."""
    banded = drug_id in ctx.kb.renal_by_drug
    raising: list[str] = []
    noted: list[str] = []
    unknown: list[str] = []
    for condition, state in zip(context_conditions(ctx, drug_id, fact), states, strict=True):
        if state is None:
            if condition not in NOTED_ONLY:
                unknown.append(_describe(ctx, condition))
        elif state:
            quiet = condition in NOTED_ONLY or (banded and condition in RENAL_CONDITIONS)
            (noted if quiet else raising).append(_describe(ctx, condition))
    return raising, noted, unknown


def treated_condition(ctx: CheckContext, drug_id: int) -> str | None:
    """The label of the patient's condition this drug treats (a KB treatment row for the
    condition, or any epilepsy for a curated antiseizure drug), unless the KB says the drug
    aggravates one of the patient's conditions."""
    candidates, aggravated = treatment_candidates(ctx, drug_id)
    if any(ctx.has_condition(c) for c in aggravated):
        return None
    return next((_describe(ctx, c) for c in candidates if ctx.has_condition(c)), None)


def treatment_candidates(
    ctx: CheckContext, drug_id: int
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(conditions the drug treats, in order; conditions its paradoxical rules name)."""
    return ctx.memo(("treatment-candidates", drug_id), _treatment_candidates, ctx, drug_id)


def _treatment_candidates(
    ctx: CheckContext, drug_id: int
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    types = treatment_types(ctx, drug_id)
    if not types:
        return (), ()
    aggravated = tuple(
        ctx.kb.conditions[int(f["condition_id"])][0]
        for f, _ in ctx.matching_facts("condition_rules", ctx.kb.condition_rules, drug_id)
        if f["kind"] == "paradoxical"
    )
    candidates = list(types)
    if ctx.membership(drug_id, "antiseizure") is not None:
        epilepsies = {t for f in ctx.kb.treatments for t in _conditions(f["myoclonus_types"])}
        epilepsies |= {
            ctx.kb.conditions[int(f["condition_id"])][0]
            for f in ctx.kb.condition_rules
            if f["kind"] == "paradoxical"
        }
        candidates += ["epilepsy", *sorted(epilepsies - set(types))]
    return tuple(dict.fromkeys(candidates)), aggravated


def treatment_types(ctx: CheckContext, drug_id: int) -> list[str]:
    """The myoclonus types and syndromes of the drug's KB treatment rows."""
    return [
        t
        for f in ctx.kb.treatments_by_drug.get(drug_id, [])
        for t in _conditions(f["myoclonus_types"])
    ]


@rule(
    code="PC101",
    name="myoclonus-causing-drug",
    category="causative",
    severity=Severity.MINOR,
    evidence="moderate",
    title="Drug that can cause myoclonus",
    doc=RuleDoc(
        what="Each active drug with a myoclonus-risk assertion in the KB, for the drug itself or "
        "for one of its classes. Without a risk-raising context it is at most minor (awareness). "
        "The risk-raising contexts are exactly: (1) the patient's myoclonus is present or "
        "worsening; (2) renal impairment (CrCl < 60, dialysis, or the condition given) for a "
        "renally cleared drug (at least half excreted unchanged, or renal impairment named by "
        "its assertion) without label renal bands; (3) a KB interaction with another active drug "
        "that raises this drug's level or adds neurotoxicity to it; (4) a daily dose above the "
        "label maximum or the drug's high-dose threshold (for a drug the KB has one for); (5) a "
        "condition its assertion names (urea-cycle disorder for valproate, dehydration, hepatic "
        "impairment, a daily dose doubled within 30 days ...). With a context other than "
        "myoclonus the severity is the curated one but at most moderate (the finding for the "
        "context itself, such as PC201, PC402 or PC702, carries the action); with present or "
        "worsening myoclonus it is the curated one, one step higher for a known or probable "
        "grade: major means 'consider this drug as the cause before the next dose'. Age 65 or "
        "over is named but does not raise it. A drug that treats the patient's myoclonic "
        "syndrome or epilepsy (a KB treatment row for the condition, or any epilepsy for an "
        "antiseizure drug the KB does not say aggravates it) is at most minor and is never told "
        "to stop: it gets paradoxical-reaction wording. For a drug with label renal bands, renal "
        "impairment is named but PC501 judges it (its finding carries the renal problem).",
        why="Drug-induced myoclonus is common and reversible: stopping the drug or reducing its "
        "dose, and correcting metabolic problems, resolves most cases (Rissardo 2025; Janssen "
        "2017). A flag on every such drug regardless of context tells a pharmacist nothing; "
        "treatments of myoclonus cause it paradoxically at most.",
        limits="The grade is the KB's; a drug missing from the curated tables is not flagged here. "
        "A myoclonus status not given is read as not reported, so only (2)-(5) can raise the "
        "severity. An unknown context (no CrCl, no dose) is named but does not raise it; PC502 "
        "and PC403 ask for the data. 'Rapid dose escalation' means the daily dose at least "
        "doubled within 30 days of the dose history, as in PC602. Anaesthetic induction "
        "myoclonus (etomidate) is info: it is transient.",
        references="RIS25 (Rissardo 2025), JAN17 (Janssen 2017), BRE06 (Brefel-Courbon 2006)",
    ),
    examples=(
        Example(
            ("morphine 30 mg q4h",),
            {"myoclonus": "present"},
            severity=Severity.MAJOR,
            says="morphine: myoclonus risk graded known",
        ),
        Example(
            ("gabapentin 300 mg tid",),
            {"crcl": 90},
            severity=Severity.MINOR,
            says="gabapentin: myoclonus risk graded known",
        ),
        Example(
            ("tramadol 50 mg qid", "sertraline 50 mg daily"),
            severity=Severity.MODERATE,
            says="tramadol: myoclonus risk graded possible",
        ),
        Example(
            ("clozapine 100 mg bd", "ciprofloxacin 500 mg bd"),
            {"crcl": 90},
            severity=Severity.MODERATE,
            says="clozapine: myoclonus risk graded known",
        ),
        Example(
            ("valproic acid 500 mg bd", "levetiracetam 1000 mg bd", "clonazepam 0.5 mg tds"),
            {
                "conditions": ["progressive myoclonus epilepsy"],
                "myoclonus": "present",
                "sex": "male",
            },
            severity=Severity.MINOR,
            says="valproic acid: myoclonus risk graded known",
        ),
        Example(("amlodipine 5 mg daily",), flagged=False),
    ),
)
def myoclonus_causing_drug(ctx: CheckContext) -> Iterator[Finding]:
    for drug_id, meds in ctx.active_drugs().items():
        found = risk_assertion(ctx, drug_id)
        if found is None:
            continue
        states = context_states(ctx, drug_id, found[0], meds)
        partners = raising_partners(ctx, drug_id, _others(ctx, drug_id))
        treated = treated_condition(ctx, drug_id)
        # The finding reads nothing else of the patient or the regimen: one per distinct key.
        key = (
            "PC101",
            drug_id,
            states,
            partners,
            treated,
            ctx.patient.myoclonus,
            meds[0].daily_dose,
        )
        yield ctx.memo(key, _causing_finding, ctx, found, meds[0], states, partners, treated)


def _causing_finding(
    ctx: CheckContext,
    found: tuple[Fact, SubjectMatch],
    med: ResolvedMedication,
    states: tuple[bool | None, ...],
    partners: tuple[str, ...],
    treated: str | None,
) -> Finding:
    return causing_text(ctx, found, med, states, partners, treated).finding(med.daily_dose)


@dataclass(frozen=True)
class CausingText:
    """A PC101 finding but for the daily dose its message quotes (the batch shares one among
    regimens that differ only in it)."""

    drug: str
    severity: Severity
    before_dose: str
    after_dose: str
    recommendation: str
    evidence: str
    references: tuple[str, ...]

    def finding(self, daily: Quantity | None) -> Finding:
        return myoclonus_causing_drug.finding(
            drugs=[self.drug],
            severity=self.severity,
            message=f"{self.before_dose}{_dose_text(daily)}{self.after_dose}",
            recommendation=self.recommendation,
            evidence=self.evidence,
            references=self.references,
        )


@lru_cache(maxsize=4096)  # a ward quotes each distinct daily dose in many findings
def _dose_text(daily: Quantity | None) -> str:
    return f"; daily dose {daily}" if daily else ""


def causing_text(
    ctx: CheckContext,
    found: tuple[Fact, SubjectMatch],
    med: ResolvedMedication,
    states: tuple[bool | None, ...],
    partners: tuple[str, ...],
    treated: str | None,
) -> CausingText:
    """Reads the patient's myoclonus of ``ctx`` and the drug of ``med``, not its dose."""
    fact, match = found
    drug = med.drug
    raising, noted, unknown = classify_context(ctx, med.drug_id, fact, states)
    base = Severity.parse(fact["severity"])
    myoclonus = ctx.myoclonus_present
    raised = bool(raising or partners)
    notes = []
    if raising:
        notes.append(f"risk raised by {', '.join(raising)}")
    if partners:
        notes.append(
            f"risk raised by an interaction with {', '.join(partners)} (level raised or added "
            "neurotoxicity; see PC201)"
        )
    if myoclonus:
        notes.append(f"patient's myoclonus is {ctx.patient.myoclonus}")
    if treated:
        severity = min(base, Severity.MINOR)
        notes.append(f"{drug} treats this patient's {treated}")
    elif myoclonus and fact["grade"] in ("known", "probable") and base >= Severity.MINOR:
        severity = base.bumped()
    elif myoclonus:
        severity = base
    elif raised:
        # the raising problem's own finding (PC201, PC402, PC501, PC702) carries the action
        severity = min(base, Severity.MODERATE)
    else:
        severity = min(base, Severity.MINOR)
        notes.append(
            "its conditions are absent"
            if fact["grade"] == "conditional" and not unknown
            else "no risk-raising context, so at most minor"
        )
    if noted:
        notes.append(
            f"{', '.join(noted)} noted (does not by itself raise the severity"
            + (
                "; renal dosing is checked against the label bands by PC501)"
                if med.drug_id in ctx.kb.renal_by_drug
                else ")"
            )
        )
    if unknown:
        notes.append(f"risk depends on {', '.join(unknown)}, which the input does not give")
    dependence = {"yes": "dose-dependent", "no": "not clearly dose-dependent"}.get(
        fact["dose_dependent"], ""
    )
    return CausingText(
        drug,
        severity,
        f"{drug}{match.describe()}: myoclonus risk graded {fact['grade']} "
        f"(evidence {fact['evidence']}{', ' + dependence if dependence else ''})",
        f". {fact['summary']}" + (f" Context: {'; '.join(notes)}." if notes else ""),
        _recommendation(ctx, med, treated, myoclonus),
        evidence_level(fact["evidence"], lowered=1 if match.inferred else 0),
        tuple(r.cite() for r in fact.references),
    )


def _recommendation(
    ctx: CheckContext, med: ResolvedMedication, treated: str | None, myoclonus: bool
) -> str:
    drug = med.drug
    paradoxical = (
        f"if myoclonus worsens after a dose rise, consider a paradoxical reaction and do not "
        f"raise {drug} further"
    )
    if treated:
        return (
            f"{drug} treats this patient's {treated}: do not stop it for this finding; "
            f"{paradoxical}."
        )
    if myoclonus and treatment_types(ctx, med.drug_id):
        return (
            f"If {drug} is given for this patient's myoclonus or epilepsy, do not stop it: "
            f"{paradoxical}. "
            f"Otherwise consider {drug} as a cause of the myoclonus: reduce or stop it if "
            "clinically possible."
        )
    if myoclonus:
        return (
            f"Consider {drug} as a cause of the myoclonus: stop it or reduce the dose if "
            "clinically possible, and correct renal, hepatic and electrolyte problems."
        )
    return (
        f"Monitor for myoclonus while on {drug}; use the lowest effective dose and adjust for "
        "renal function."
    )
