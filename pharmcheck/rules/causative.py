"""PC1xx: drugs on the list that can cause myoclonus."""

from __future__ import annotations

from collections.abc import Iterator

from pharmcheck.domain import GRADE_ORDER, Finding, ResolvedMedication, Severity, evidence_level
from pharmcheck.kb.store import Fact
from pharmcheck.rules.base import CheckContext, Example, RuleDoc, SubjectMatch, rule
from pharmcheck.rules.time import rapid_pair

_CONDITION_WORDS = {
    "renal-impairment": "renal impairment", "end-stage-renal-disease": "end-stage renal disease",
    "elderly": "age 65 or over", "high-dose": "a high dose", "interacting-drug": "an interacting drug",
    "dehydration": "dehydration", "hepatic-impairment": "hepatic impairment",
    "rapid-dose-escalation": "rapid dose escalation",
}


def risk_assertion(ctx: CheckContext, drug_id: int) -> tuple[Fact, SubjectMatch] | None:
    """The assertion that speaks for a drug: its own if it has one, else its class's."""
    return ctx.memo(("risk-assertion", drug_id), _best_assertion, ctx, drug_id)  # type: ignore[no-any-return]


def _best_assertion(ctx: CheckContext, drug_id: int) -> tuple[Fact, SubjectMatch] | None:
    matches = [(match.via_class is not None, match.inferred, GRADE_ORDER.index(fact["grade"]), fact, match)
               for fact, match in ctx.matching_facts("risks", ctx.kb.risks, drug_id)]
    if not matches:
        return None
    best = min(matches, key=lambda m: m[:3])
    return best[3], best[4]


def worsening_status(ctx: CheckContext, fact: Fact, meds: list[ResolvedMedication]) -> tuple[list[str], list[str]]:
    """The fact's worsening conditions split into (present, unknown)."""
    states = []
    for condition in worsening_conditions(ctx, fact):
        if condition == "interacting-drug":
            states.append(any(d != meds[0].drug_id and risk_assertion(ctx, d) for d in ctx.active_drugs()))
        elif condition in REGIMEN_CONDITIONS:
            states.append(regimen_condition(ctx, condition, meds))
        else:
            states.append(ctx.has_condition(condition))
    return split_worsening(ctx, fact, tuple(states))


REGIMEN_CONDITIONS = ("high-dose", "rapid-dose-escalation")  # read from the drug's own regimens


def worsening_conditions(ctx: CheckContext, fact: Fact) -> list[str]:
    return ctx.memo(("worsening", fact["worsening_conditions"]), _conditions, fact["worsening_conditions"])  # type: ignore[no-any-return]


def regimen_condition(ctx: CheckContext, condition: str, meds: list[ResolvedMedication]) -> bool | None:
    if condition == "high-dose":
        return _high_dose(ctx, meds)
    return any(rapid_pair(m.history) is not None for m in meds)


def split_worsening(ctx: CheckContext, fact: Fact, states: tuple[bool | None, ...]) -> tuple[list[str], list[str]]:
    """(present, unknown) in words, from the state of each of the fact's worsening conditions."""
    conditions = worsening_conditions(ctx, fact)
    present = [_describe(ctx, c) for c, state in zip(conditions, states, strict=True) if state]
    unknown = [_describe(ctx, c) for c, state in zip(conditions, states, strict=True) if state is None]
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
    limits = [float(f["max_daily_mg"]) for f in ctx.kb.dose_limits_by_drug.get(meds[0].drug_id, [])
              if f["max_daily_mg"] is not None]
    threshold = ctx.property_value(meds[0].drug_id, "high_dose_threshold")
    bounds = limits + ([float(threshold)] if threshold else [])
    if not bounds:
        return None
    return total > min(bounds)


@rule(
    code="PC101", name="myoclonus-causing-drug", category="causative", severity=Severity.MODERATE,
    evidence="moderate", title="Drug that can cause myoclonus",
    doc=RuleDoc(
        what="Each active drug with a myoclonus-risk assertion in the KB, for the drug itself or for "
             "one of its classes. The severity starts from the curated one and rises one step when the "
             "assertion's worsening conditions (renal impairment, high dose, an interacting drug ...) are "
             "present, and one step when the patient has present or worsening myoclonus and the grade is "
             "known or probable. A conditional assertion whose conditions are known to be absent is minor.",
        why="Drug-induced myoclonus is common and reversible: stopping the drug or reducing its dose, and "
            "correcting metabolic problems, resolves most cases (Rissardo 2025; Janssen 2017).",
        limits="The grade is the KB's; a drug missing from the curated tables is not flagged here. "
               "'Rapid dose escalation' means the daily dose at least doubled within 30 days of the dose "
               "history, as in PC602; a slower rise does not raise the severity. "
               "Anaesthetic induction myoclonus (etomidate) is info: it is transient.",
        references="RIS25 (Rissardo 2025), JAN17 (Janssen 2017), BRE06 (Brefel-Courbon 2006)",
    ),
    examples=(
        Example(("morphine 30 mg q4h",), {"myoclonus": "present"}),
        Example(("cefepime 2 g q8h",), {"crcl": 20}),
        Example(("amlodipine 5 mg daily",), flagged=False),
    ),
)
def myoclonus_causing_drug(ctx: CheckContext) -> Iterator[Finding]:
    for drug_id, meds in ctx.active_drugs().items():
        found = risk_assertion(ctx, drug_id)
        if found is None:
            continue
        present, unknown = worsening_status(ctx, found[0], meds)
        # The finding reads nothing else of the patient or the regimen: one per distinct key.
        key = ("PC101", drug_id, tuple(present), tuple(unknown), ctx.patient.myoclonus, meds[0].daily_dose)
        yield ctx.memo(key, _causing_finding, ctx, found, meds[0], present, unknown)


def _causing_finding(ctx: CheckContext, found: tuple[Fact, SubjectMatch], med: ResolvedMedication,
                     present: list[str], unknown: list[str]) -> Finding:
    fact, match = found
    drug = med.drug
    severity = Severity.parse(fact["severity"])
    notes = []
    if present:
        severity = severity.bumped()
        notes.append(f"risk raised by {', '.join(present)}")
    elif fact["grade"] == "conditional" and not unknown:
        severity = min(severity, Severity.MINOR)
        notes.append("its conditions are absent")
    if unknown:
        notes.append(f"risk depends on {', '.join(unknown)}, which the input does not give")
    if ctx.myoclonus_present and fact["grade"] in ("known", "probable") and severity >= Severity.MINOR:
        severity = severity.bumped()
        notes.append(f"patient's myoclonus is {ctx.patient.myoclonus}")
    daily = med.daily_dose
    dose_text = f"; daily dose {daily}" if daily else ""
    dependence = {"yes": "dose-dependent", "no": "not clearly dose-dependent"}.get(fact["dose_dependent"], "")
    message = (
        f"{drug}{match.describe()}: myoclonus risk graded {fact['grade']} "
        f"(evidence {fact['evidence']}{', ' + dependence if dependence else ''}){dose_text}. "
        f"{fact['summary']}" + (f" Context: {'; '.join(notes)}." if notes else "")
    )
    if ctx.myoclonus_present:
        recommendation = (f"Consider {drug} as a cause of the myoclonus: stop it or reduce the dose if "
                          "clinically possible, and correct renal, hepatic and electrolyte problems.")
    else:
        recommendation = (f"Monitor for myoclonus while on {drug}; use the lowest effective dose and "
                          "adjust for renal function.")
    return myoclonus_causing_drug.finding(
        drugs=[drug], severity=severity, message=message, recommendation=recommendation,
        evidence=evidence_level(fact["evidence"], lowered=1 if match.inferred else 0),
        references=[r.cite() for r in fact.references],
    )
