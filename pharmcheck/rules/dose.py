"""PC4xx: daily doses, morphine milligram equivalents and maximum doses."""

from __future__ import annotations

from collections.abc import Iterator

from pharmcheck.domain import Finding, Quantity, ResolvedMedication, Severity
from pharmcheck.kb.store import KnowledgeBase
from pharmcheck.rules.base import CheckContext, Example, RuleDoc, rule

MME_MODERATE = 50.0
MME_MAJOR = 90.0


def total_daily_mg(meds: list[ResolvedMedication]) -> tuple[float | None, list[str]]:
    """The summed daily dose in mg across a drug's entries, or None with what is unknown."""
    total, unknown = 0.0, []
    for med in meds:
        if med.daily_dose is not None and med.daily_dose.unit == "mg":
            total += med.daily_dose.value
        else:
            unknown.append(f"'{med.input}' ({med.daily_dose_note or 'daily dose not in mg'})")
    return (None if unknown else total), unknown


def summed_over(meds: list[ResolvedMedication]) -> str:
    """For a drug given in several entries, which entries its daily dose sums (else "")."""
    if len(meds) < 2:
        return ""
    parts = [f"'{m.input}' {m.daily_dose}" if m.daily_dose is not None else f"'{m.input}' unknown"
             for m in meds]
    return f" (summed over {len(meds)} entries: {' + '.join(parts)})"


@rule(
    code="PC401", name="opioid-mme-total", category="dose", severity=Severity.MODERATE,
    evidence="high", title="Opioid load in morphine milligram equivalents",
    doc=RuleDoc(
        what="The daily morphine milligram equivalents (MME) summed over every active opioid with the "
             "CDC 2022 factors (transdermal fentanyl: mcg/h x 2.4). Moderate at 50 MME/day or more, major "
             "at 90 or more. An opioid without a CDC factor (pethidine, buprenorphine) or without a known "
             "daily dose makes the total incomplete, and the finding says so; it is never given a factor.",
        why="Opioid myoclonus and neuroexcitation rise with dose; the CDC guideline asks for reassessment "
            "at 50 MME/day and careful justification at 90.",
        limits="MME are estimates, not conversion ratios between opioids (CDC 2022).",
        references="CDC22 (CDC Clinical Practice Guideline for Prescribing Opioids for Pain, 2022)",
    ),
    examples=(
        Example(("morphine 30 mg q4h",)),
        Example(("fentanyl 50 mcg/h patch", "oxycodone 10 mg q6h")),
        Example(("codeine 30 mg qid",), flagged=False),
    ),
)
def opioid_mme_total(ctx: CheckContext) -> Iterator[Finding]:
    opioids = tuple(opioid_regimens(meds) for drug_id, meds in ctx.active_drugs().items()
                    if ctx.membership(drug_id, "opioid") is not None)
    if opioids:
        yield from ctx.memo(("PC401", opioids), mme_findings, ctx, opioids)


def opioid_regimens(meds: list[ResolvedMedication],
                    ) -> tuple[int, str, tuple[tuple[Quantity | None, str | None, str], ...]]:
    """All that PC401 reads of one opioid: (drug id, drug, (daily dose, its note) of each entry);
    a drug given in several entries is named by each entry's text."""
    if len(meds) > 1:
        return meds[0].drug_id, meds[0].drug, tuple((m.daily_dose, m.daily_dose_note, f"'{m.input}'")
                                                     for m in meds)
    return meds[0].drug_id, meds[0].drug, tuple((m.daily_dose, m.daily_dose_note, m.drug) for m in meds)


def mme_findings(ctx: CheckContext, opioids: tuple[tuple[int, str, tuple[tuple[Quantity | None, str | None, str], ...]], ...],
                  ) -> tuple[Finding, ...]:
    """The finding for the opioids' (drug id, drug, (daily dose, its note, its label) of each entry)."""
    contributions, incomplete, references = [], [], []
    total = 0.0
    for drug_id, drug, regimens in opioids:
        factors = ctx.properties(drug_id, "mme_factor")
        for daily_dose, note, label in regimens:
            factor = next((f for f in factors if _factor_applies(f, daily_dose)), None)
            if factor is None:
                threshold = ctx.property_value(drug_id, "high_dose_threshold")
                own = f"; its own threshold is {float(threshold):g} mg/day (PC402)" if threshold else ""
                unit = f" for a dose in {daily_dose.unit}" if factors and daily_dose else ""
                incomplete.append(f"{drug} has no CDC 2022 MME factor{unit}, so it is not converted{own}")
                continue
            if daily_dose is None:
                incomplete.append(f"{label}: {note or 'daily dose unknown'}")
                continue
            mme = daily_dose.value * float(factor["value"])
            total += mme
            contributions.append(f"{label} {daily_dose} x {float(factor['value']):g} = {mme:.0f}")
            references.extend(r.cite() for r in factor.references)
    if not contributions and not incomplete:
        return ()
    severity = Severity.MAJOR if total >= MME_MAJOR else Severity.MODERATE if total >= MME_MODERATE else Severity.INFO
    if severity == Severity.INFO and not incomplete:
        return ()
    if not contributions:  # nothing converted: the total is unknown, never zero
        message = "Total MME/day unknown."
    elif incomplete:
        message = f"At least {total:.0f} MME/day ({'; '.join(contributions)})."
    else:
        message = f"Total {total:.0f} MME/day ({'; '.join(contributions)})."
    if incomplete:
        message += f" Total is INCOMPLETE: {'; '.join(incomplete)}."
    thresholds = f"Thresholds: {MME_MODERATE:.0f} (reassess) and {MME_MAJOR:.0f} MME/day (justify carefully)."
    return (opioid_mme_total.finding(
        drugs=[drug for _, drug, _ in opioids],
        severity=severity, message=f"{message} {thresholds}",
        recommendation=("Reduce the opioid dose or rotate; do not escalate when myoclonus appears."
                        if severity >= Severity.MODERATE else
                        "Establish every opioid's daily dose to complete the MME total."),
        references=["CDC22", *references],
    ),)


def _factor_applies(factor, daily_dose: Quantity | None) -> bool:  # type: ignore[no-untyped-def]
    per_rate = "mcg/h" in (factor["unit"] or "")
    is_rate = daily_dose is not None and daily_dose.unit == "mcg/h"
    return per_rate == is_rate if daily_dose is not None else not per_rate


@rule(
    code="PC402", name="above-maximum-daily-dose", category="dose", severity=Severity.MAJOR,
    evidence="high", title="Daily dose above the maximum",
    doc=RuleDoc(
        what="A drug whose summed daily dose exceeds the KB's maximum daily dose (from the label), or "
             "its own toxicity threshold (pethidine above 600 mg/day).",
        why="Most drug-induced myoclonus is dose-related; overdosing relative to the label is the "
            "commonest finding in case series (68% of antibiotic cases were overdosed).",
        limits="Population-specific maxima apply only when the patient's age places them in it.",
        references="each drug's label",
    ),
    examples=(
        Example(("gabapentin 1600 mg tid",)),
        Example(("pethidine 100 mg q3h",)),
        Example(("gabapentin 300 mg tid",), flagged=False),
    ),
)
def above_maximum_daily_dose(ctx: CheckContext) -> Iterator[Finding]:
    for drug_id, meds in ctx.active_drugs().items():
        total, _ = total_daily_mg(meds)
        if total is not None:
            yield from ctx.memo(("PC402", drug_id, meds[0].drug, total, meds[0].route, summed_over(meds),
                                 age_bands(ctx.patient.age)), maximum_findings, ctx, drug_id, meds, total)


def maximum_findings(ctx: CheckContext, drug_id: int, meds: list[ResolvedMedication],
                     total: float) -> tuple[Finding, ...]:
    """Reads the drug, its first entry's route, the entries, the summed daily dose and the age."""
    med = meds[0]
    drug = med.drug
    limits = [f for f in ctx.kb.dose_limits_by_drug.get(drug_id, []) if f["max_daily_mg"] is not None
              and _population_applies(ctx, f["population"])
              and (f["route"] in (None, "", "any") or med.route in (None, f["route"]))]
    threshold = ctx.properties(drug_id, "high_dose_threshold")
    breached = [(float(f["max_daily_mg"]), f"label maximum {float(f['max_daily_mg']):g} mg/day"
                 + (f" ({f['population']})" if f["population"] else ""), f) for f in limits]
    breached += [(float(f["value"]), f"toxicity threshold {float(f['value']):g} mg/day", f) for f in threshold]
    over = [b for b in breached if total > b[0]]
    if not over:
        return ()
    limit, text, fact = min(over, key=lambda b: b[0])
    return (above_maximum_daily_dose.finding(
        drugs=[drug], message=f"{drug} {total:g} mg/day{summed_over(meds)} exceeds the {text}.",
        recommendation=f"Reduce {drug} to at most {limit:g} mg/day, or document why a higher dose is needed.",
        references=[r.cite() for _, _, f in over for r in f.references],
    ),)


def age_bands(age: float | None) -> tuple[bool, ...] | None:
    """All that :func:`_population_applies` reads of the age."""
    return None if age is None else (age > 75, age >= 65, age >= 60, age < 18)


def _population_applies(ctx: CheckContext, population: str | None) -> bool:
    text = (population or "adult").lower()
    if "75" in text:
        return ctx.patient.age is not None and ctx.patient.age > 75
    if "elderly" in text or "65" in text or "60" in text:
        return ctx.patient.age is not None and ctx.patient.age >= (60 if "60" in text else 65)
    if "child" in text or "paediatric" in text or "pediatric" in text:
        return ctx.patient.age is not None and ctx.patient.age < 18
    return True


def dose_rule_drugs(kb: KnowledgeBase) -> set[int]:
    return (set(kb.dose_limits_by_drug) | set(kb.renal_by_drug)
            | {d for d, facts in kb.properties_by_drug.items()
               if any(f["property"] in ("mme_factor", "high_dose_threshold") for f in facts)})


@rule(
    code="PC403", name="dose-unknown-for-dose-rule", category="dose", severity=Severity.INFO,
    evidence="high", title="Daily dose unknown, dose checks not done",
    doc=RuleDoc(
        what="A drug with a dose-based rule in the KB (a maximum, a renal band, an MME factor, a "
             "toxicity threshold) whose daily dose could not be computed (no dose, no frequency, prn "
             "without a maximum).",
        why="An unknown dose is not a zero dose: the report must show which checks did not run.",
        limits="Informational only.",
        references="none needed",
    ),
    examples=(
        Example(("gabapentin",)),
        Example(("gabapentin 300 mg tid",), flagged=False),
    ),
)
def dose_unknown_for_dose_rule(ctx: CheckContext) -> Iterator[Finding]:
    rule_drugs = ctx.memo(("dose-rule-drugs",), dose_rule_drugs, ctx.kb)
    for drug_id, meds in ctx.active_drugs().items():
        if drug_id not in rule_drugs:
            continue
        finding = ctx.memo(("PC403", drug_id, *((m.input, m.daily_dose, m.daily_dose_note) for m in meds)),
                           unknown_dose_finding, meds)
        if finding is not None:
            yield finding


def unknown_dose_finding(meds: list[ResolvedMedication]) -> Finding | None:
    """The finding for a drug whose regimens leave its daily dose unknown, if they do."""
    _, unknown = total_daily_mg(meds)
    if not unknown or all(m.daily_dose is not None for m in meds):
        return None
    drug = meds[0].drug
    return dose_unknown_for_dose_rule.finding(
        drugs=[drug], message=f"{drug}: daily dose unknown for {'; '.join(unknown)}; maximum-dose, "
                              "renal-band and MME checks could not use it.",
        recommendation=f"Give {drug}'s dose and frequency (and a prn maximum) to complete the dose checks.",
    )

