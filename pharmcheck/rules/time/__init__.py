"""PC6xx: tolerance, rapid escalation, abrupt withdrawal and paradoxical dose trajectories."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from pharmcheck.domain import DoseChange, Finding, MyoclonusState, ResolvedMedication, Severity
from pharmcheck.kb.store import Fact
from pharmcheck.rules.base import CheckContext, Example, RuleDoc, rule

RAPID_ESCALATION_DAYS = 30
RAPID_ESCALATION_FACTOR = 2.0
_CLONAZEPAM_HISTORY = (("2026-07-15", "1.5 mg"), ("2026-11-15", "6 mg"))


def treatment(ctx: CheckContext, drug_id: int) -> Fact | None:
    return next(iter(ctx.kb.treatments_by_drug.get(drug_id, [])), None)


def tolerance_profile(ctx: CheckContext, drug_id: int) -> Fact | None:
    """The drug's treatment profile when it has a tolerance (PC601 reads it)."""
    fact = treatment(ctx, drug_id)
    return fact if fact is not None and fact["tolerance"] else None


def withdrawal_profile(ctx: CheckContext, drug_id: int) -> Fact | None:
    """The drug's treatment profile when its withdrawal risk is moderate or high (PC611)."""
    fact = treatment(ctx, drug_id)
    return fact if fact is not None and fact["withdrawal_risk"] in ("moderate", "high") else None


def is_opioid(ctx: CheckContext, drug_id: int) -> bool:
    """Whether PC602 reads the drug's dose history."""
    return ctx.membership(drug_id, "opioid") is not None


def myoclonus_worsening(myoclonus: MyoclonusState | None) -> bool:
    """Whether PC621 reads the patient's dose histories."""
    return myoclonus == "worsening"


def _escalated(history: tuple[DoseChange, ...]) -> tuple[DoseChange, DoseChange] | None:
    if len(history) < 2:
        return None
    first, last = history[0], history[-1]
    if (
        first.daily_dose.unit == last.daily_dose.unit
        and last.daily_dose.value > first.daily_dose.value
    ):
        return first, last
    return None


def _start(med: ResolvedMedication) -> date | None:
    return med.start or (med.history[0].date if med.history else None)


@rule(
    code="PC601",
    name="benzodiazepine-tolerance",
    category="tolerance",
    severity=Severity.MINOR,
    evidence="high",
    title="Tolerance to an antimyoclonic benzodiazepine",
    doc=RuleDoc(
        what="A treatment with a KB tolerance profile (clonazepam above all) that has run longer "
        "than "
        "its tolerance threshold, or whose dose history shows escalation; moderate when both hold.",
        why="Up to 30% of patients lose clonazepam's anticonvulsant effect, often within 3 months "
        "(Klonopin label); escalating the dose chases tolerance and adds sedation and ataxia.",
        limits="Needs a start date or a dose history; the KB threshold is the label's 3 months.",
        references="the Klonopin label",
    ),
    examples=(
        Example(
            ("clonazepam 2 mg tid",),
            {"as_of": "2026-11-25"},
            history={"clonazepam 2 mg tid": _CLONAZEPAM_HISTORY},
            severity=Severity.MODERATE,
            says="tolerance threshold 90 days",
        ),
        Example(("clonazepam 0.5 mg bd",), flagged=False),
    ),
)
def benzodiazepine_tolerance(ctx: CheckContext) -> Iterator[Finding]:
    for drug_id, meds in ctx.active_drugs().items():
        fact = tolerance_profile(ctx, drug_id)
        if fact is None:
            continue
        med = meds[0]
        start = _start(med)
        days = (ctx.as_of - start).days if start is not None else None
        threshold = fact["tolerance_days"]
        long_course = days is not None and threshold is not None and days > threshold
        escalation = _escalated(med.history)
        if not long_course and escalation is None:
            continue
        parts = []
        if long_course:
            parts.append(f"on {med.drug} for {days} days (tolerance threshold {threshold} days)")
        if escalation:
            first, last = escalation
            parts.append(
                f"daily dose escalated from {first.daily_dose} ({first.date}) to "
                f"{last.daily_dose} ({last.date})"
            )
        yield benzodiazepine_tolerance.finding(
            drugs=[med.drug],
            severity=Severity.MODERATE if long_course and escalation else Severity.MINOR,
            message=f"{'; '.join(parts)}. {fact['tolerance_text'] or ''}".strip(),
            recommendation=(
                f"Reassess {med.drug}'s benefit: loss of effect suggests tolerance. Do not keep "
                "escalating; consider adding or switching to another antimyoclonic drug "
                "(levetiracetam, valproate, piracetam) and tapering slowly."
            ),
            references=[r.cite() for r in fact.references],
        )


@rule(
    code="PC602",
    name="opioid-rapid-escalation",
    category="tolerance",
    severity=Severity.MODERATE,
    evidence="moderate",
    title="Rapid opioid escalation",
    doc=RuleDoc(
        what="An opioid whose daily dose at least doubled within 30 days in its dose history. "
        "Major when the patient's myoclonus is present or worsening: that pattern points to "
        "opioid neurotoxicity or hyperalgesia.",
        why="Myoclonus is the herald of opioid neuroexcitation (hyperalgesia, delirium, seizures), "
        "commonest with high or rapidly rising morphine and hydromorphone doses.",
        limits="Needs a dose history with dates.",
        references="Fast Fact #57; NCI PDQ",
    ),
    examples=(
        Example(
            ("morphine 30 mg q4h",),
            {"myoclonus": "worsening", "as_of": "2026-11-25"},
            history={"morphine 30 mg q4h": (("2026-11-01", "60 mg"), ("2026-11-20", "180 mg"))},
            severity=Severity.MAJOR,
            says="morphine daily dose rose x3.0 in 19 days",
        ),
        Example(("morphine 30 mg q4h",), flagged=False),
    ),
)
def opioid_rapid_escalation(ctx: CheckContext) -> Iterator[Finding]:
    for drug_id, meds in ctx.active_drugs().items():
        if not is_opioid(ctx, drug_id):
            continue
        for med in meds:
            pair = rapid_pair(med.history)
            if pair is None:
                continue
            first, last = pair
            ratio = last.daily_dose.value / first.daily_dose.value
            severity = Severity.MAJOR if ctx.myoclonus_present else Severity.MODERATE
            context = (
                f" with {ctx.patient.myoclonus} myoclonus: suspect opioid-induced neurotoxicity "
                "or hyperalgesia"
                if ctx.myoclonus_present
                else ""
            )
            yield opioid_rapid_escalation.finding(
                drugs=[med.drug],
                severity=severity,
                message=(
                    f"{med.drug} daily dose rose x{ratio:.1f} in {(last.date - first.date).days} "
                    "days "
                    f"({first.daily_dose} on {first.date} to {last.daily_dose} on "
                    f"{last.date}){context}."
                ),
                recommendation=(
                    f"Reduce {med.drug} or rotate to another opioid; do not escalate further. "
                    "Rehydrate, check renal function; a low-dose benzodiazepine if myoclonus "
                    "persists."
                ),
            )
            break


def rapid_pair(history: tuple[DoseChange, ...]) -> tuple[DoseChange, DoseChange] | None:
    """The first two history doses where the daily dose at least doubled within 30 days: the
    definition of rapid escalation that PC602 and PC101's worsening condition share."""
    for i, earlier in enumerate(history):
        for later in history[i + 1 :]:
            if (
                (later.date - earlier.date).days <= RAPID_ESCALATION_DAYS
                and earlier.daily_dose.value > 0
                and later.daily_dose.unit == earlier.daily_dose.unit
                and later.daily_dose.value >= RAPID_ESCALATION_FACTOR * earlier.daily_dose.value
            ):
                return earlier, later
    return None


@rule(
    code="PC611",
    name="abrupt-withdrawal-risk",
    category="withdrawal",
    severity=Severity.MAJOR,
    evidence="high",
    title="Stopped drug with withdrawal risk",
    doc=RuleDoc(
        what="A medication marked stopped (status or stop date) whose KB treatment profile gives a "
        "withdrawal risk: benzodiazepines (seizures), piracetam (myoclonus relapse), baclofen, "
        "antiseizure drugs.",
        why="Abrupt withdrawal of these drugs precipitates seizures, status epilepticus or rebound "
        "myoclonus; they must be tapered.",
        limits="Cannot tell a taper already in progress from an abrupt stop unless the history "
        "shows it.",
        references="labels of clonazepam, piracetam, baclofen",
    ),
    examples=(
        Example(
            ("clonazepam 1 mg bd",),
            stopped=("clonazepam 1 mg bd",),
            severity=Severity.MAJOR,
            says="clonazepam is stopped; withdrawal risk high",
        ),
        Example(("clonazepam 1 mg bd",), flagged=False),
    ),
)
def abrupt_withdrawal_risk(ctx: CheckContext) -> Iterator[Finding]:
    seen = set()
    for med in ctx.stopped:
        fact = withdrawal_profile(ctx, med.drug_id)
        if fact is None or med.drug_id in seen:
            continue
        if med.drug_id in ctx.active_drugs():
            continue  # still given under another entry
        seen.add(med.drug_id)
        when = f" (stop date {med.stop})" if med.stop else ""
        tapered = _tapered(med.history)
        yield abrupt_withdrawal_risk.finding(
            drugs=[med.drug],
            severity=Severity.MINOR
            if tapered
            else Severity.MAJOR
            if fact["withdrawal_risk"] == "high"
            else Severity.MODERATE,
            message=(
                f"{med.drug} is stopped{when}; withdrawal risk {fact['withdrawal_risk']}. "
                f"{fact['withdrawal_text'] or ''}"
                + (" The dose history shows a taper." if tapered else "")
            ).strip(),
            recommendation=f"Taper {med.drug} gradually rather than stopping abruptly; watch for "
            "seizures and returning myoclonus.",
            references=[r.cite() for r in fact.references],
        )


def _tapered(history: tuple[DoseChange, ...]) -> bool:
    return len(history) >= 2 and history[-1].daily_dose.value < history[0].daily_dose.value


@rule(
    code="PC621",
    name="dose-raised-while-myoclonus-worsens",
    category="paradoxical",
    severity=Severity.MODERATE,
    evidence="low",
    title="Dose raised while myoclonus worsens: possible paradoxical reaction",
    doc=RuleDoc(
        what="A drug whose dose went up across its history while the patient's myoclonus is "
        "worsening. Major for a myoclonus treatment itself (clonazepam above all).",
        why="A drug that helps most patients makes some worse; the classic error is to raise the "
        "dose when it should be lowered or stopped.",
        limits="Association in time is not causation; the rule asks for a review, not a verdict.",
        references="GEN00 (paradoxical aggravation by antiseizure drugs)",
    ),
    examples=(
        Example(
            ("clonazepam 2 mg tid",),
            {"myoclonus": "worsening"},
            history={"clonazepam 2 mg tid": _CLONAZEPAM_HISTORY},
            severity=Severity.MAJOR,
            says="while myoclonus is worsening",
        ),
        Example(
            ("clonazepam 2 mg tid",),
            {"myoclonus": "improving"},
            flagged=False,
            history={"clonazepam 2 mg tid": _CLONAZEPAM_HISTORY},
        ),
    ),
)
def dose_raised_while_myoclonus_worsens(ctx: CheckContext) -> Iterator[Finding]:
    if not myoclonus_worsening(ctx.patient.myoclonus):
        return
    for drug_id, meds in ctx.active_drugs().items():
        for med in meds:
            escalation = _escalated(med.history)
            if escalation is None:
                continue
            first, last = escalation
            is_treatment = treatment(ctx, drug_id) is not None
            yield dose_raised_while_myoclonus_worsens.finding(
                drugs=[med.drug],
                severity=Severity.MAJOR if is_treatment else Severity.MODERATE,
                message=(
                    f"{med.drug} daily dose rose from {first.daily_dose} ({first.date}) to "
                    f"{last.daily_dose} ({last.date}) while myoclonus is worsening"
                    + (f"; {med.drug} is itself a myoclonus treatment" if is_treatment else "")
                    + "."
                ),
                recommendation=f"Consider a paradoxical reaction: reduce or stop {med.drug} "
                "rather than increasing it.",
                references=["GEN00"],
            )
            break
