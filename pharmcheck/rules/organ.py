"""PC5xx: renal dose bands, missing renal function, hepatic cautions."""

from __future__ import annotations

from collections.abc import Iterator

from pharmcheck.domain import Finding, Severity
from pharmcheck.kb.store import Fact
from pharmcheck.rules.base import CheckContext, Example, RenalFunction, RuleDoc, rule
from pharmcheck.rules.dose import summed_over, total_daily_mg

_ACTION_SEVERITY = {
    "contraindicated": Severity.CONTRAINDICATED, "avoid": Severity.MAJOR,
    "adjust": Severity.MAJOR, "caution": Severity.MODERATE,
}


def band_for(ctx: CheckContext, renal: RenalFunction, drug_id: int) -> Fact | None:
    """The drug's band for this renal function; dialysis uses a dialysis band, else the lowest band."""
    bands = ctx.kb.renal_by_drug.get(drug_id, [])
    if renal.dialysis:
        dialysis = [f for f in bands if f["dialysis"] in (renal.dialysis, "any")]
        if dialysis:
            return dialysis[0]
        open_below = [f for f in bands if not f["dialysis"] and f["lower"] is None]
        return min(open_below, key=lambda f: f["upper"] or 0, default=None)
    value = renal.value or 0.0
    for fact in bands:
        if fact["dialysis"]:
            continue
        if (fact["lower"] is None or value >= fact["lower"]) and (fact["upper"] is None or value < fact["upper"]):
            return fact
    return None


def _band_label(fact: Fact) -> str:
    if fact["dialysis"]:
        return f"{fact['dialysis']} band"
    if fact["lower"] is None:
        return f"band <{fact['upper']:g}"
    if fact["upper"] is None:
        return f"band >={fact['lower']:g}"
    return f"band {fact['lower']:g}-<{fact['upper']:g}"


@rule(
    code="PC501", name="renal-dose-band", category="organ-function", severity=Severity.MAJOR,
    evidence="high", title="Dose not adjusted for renal function",
    doc=RuleDoc(
        what="A drug with label renal dose bands, when the patient's CrCl (or eGFR, said so; dialysis "
             "counts as end-stage) falls in a band that contraindicates or avoids the drug, or whose "
             "maximum the prescribed daily dose exceeds. Bands marked persistent (cefepime) are reported "
             "even when the dose is adjusted, because neurotoxicity still occurs.",
        why="Renal accumulation is the leading cause of drug-induced myoclonus with gabapentinoids, "
            "cefepime, aciclovir, pethidine (normeperidine) and morphine (M3G).",
        limits="Bands are the label's; eGFR is used only when CrCl is not given. Band text is quoted "
               "verbatim; the daily maximum is the band's upper daily dose. Bands are not route-specific: "
               "where a label gives IV and oral regimens (aciclovir) the maximum is the oral one and the "
               "text quotes both. A band that asks for an adjustment without a maximum is always reported.",
        references="each drug's label",
    ),
    examples=(
        Example(("gabapentin 600 mg tid",), {"crcl": 20}),
        Example(("piracetam 2.4 g tds",), {"crcl": 15}),
        Example(("levetiracetam 250 mg bd",), {"crcl": 40}, flagged=False),
    ),
)
def renal_dose_band(ctx: CheckContext) -> Iterator[Finding]:
    renal = ctx.renal
    if renal is None:
        return
    for drug_id, meds in ctx.active_drugs().items():
        band = band_for(ctx, renal, drug_id)
        if band is not None:
            total, _ = total_daily_mg(meds)
            summed = summed_over(meds)
            findings = ctx.memo(("PC501", drug_id, meds[0].drug, renal, total, summed), band_findings, band,
                                renal, meds[0].drug, total, summed)
            yield from with_cautions(findings, renal_cautions(ctx, drug_id))


def hepatic_rule_severity(ctx: CheckContext, drug_id: int) -> Severity:
    """The highest severity of the drug's caution and contraindication rules for hepatic
    impairment (PC702's), INFO when it has none."""
    return max((Severity.parse(f["severity"]) for f, _ in
                ctx.matching_facts("condition_rules", ctx.kb.condition_rules, drug_id)
                if f["kind"] in ("caution", "contraindication")
                and ctx.kb.conditions[int(f["condition_id"])][0] == "hepatic-impairment"), default=Severity.INFO)


RENAL_CONDITIONS = ("end-stage-renal-disease", "renal-impairment")  # the more specific first


def renal_cautions(ctx: CheckContext, drug_id: int) -> tuple[tuple[Fact, str], ...]:
    """The drug's renal condition rules (PC702's) that apply to the patient, with each condition's
    label: PC501 carries them when it reports the drug, so one renal problem is one finding."""
    return tuple((fact, label) for fact, name, label in renal_condition_rules(ctx, drug_id)
                 if ctx.has_condition(name))


def renal_condition_rules(ctx: CheckContext, drug_id: int) -> list[tuple[Fact, str, str]]:
    """(rule, condition name, label) of the drug's caution and contraindication rules for a renal
    condition, the more specific condition first."""
    def compute() -> list[tuple[Fact, str, str]]:
        found = [(fact, *ctx.kb.conditions[int(fact["condition_id"])])
                 for fact, _ in ctx.matching_facts("condition_rules", ctx.kb.condition_rules, drug_id)
                 if fact["kind"] in ("caution", "contraindication")
                 and ctx.kb.conditions[int(fact["condition_id"])][0] in RENAL_CONDITIONS]
        return sorted(found, key=lambda f: RENAL_CONDITIONS.index(f[1]))
    return ctx.memo(("renal-condition-rules", drug_id), compute)  # type: ignore[no-any-return]


def with_cautions(findings: tuple[Finding, ...], cautions: tuple[tuple[Fact, str], ...]) -> tuple[Finding, ...]:
    """PC501's findings with the renal condition rules folded in (highest severity, their advice)."""
    if not cautions:
        return findings
    also = "".join(f" Also {f['kind']} in {label} (evidence {f['evidence']}): {f['management']}"
                   for f, label in cautions)
    return tuple(renal_dose_band.finding(
        drugs=f.drugs, message=f.message + also, recommendation=f.recommendation,
        severity=max([f.severity, *(Severity.parse(c["severity"]) for c, _ in cautions)]),
        references=[*f.references, *(r.cite() for c, _ in cautions for r in c.references)],
    ) for f in findings)


def band_findings(band: Fact, renal: RenalFunction, drug: str, total: float | None,
                  summed: str = "") -> tuple[Finding, ...]:
    """``summed`` names the entries a daily dose was summed over (see :func:`summed_over`)."""
    prescribed = f"prescribed {total:g} mg/day{summed}" if total is not None else "prescribed daily dose unknown"
    limit = band["max_daily_mg"]
    action = str(band["action"])
    over = total is not None and limit is not None and total > limit
    unchecked = action == "adjust" and limit is None  # the label adjusts without a daily maximum
    # The open-ended top band is usual dosing: only an overdose there is a renal finding.
    usual_dosing = band["upper"] is None and not band["dialysis"]
    if action in ("contraindicated", "avoid"):
        severity = _ACTION_SEVERITY[action]
    elif over:
        severity = Severity.MAJOR
    elif usual_dosing:
        return ()
    elif band["persistent"] or action == "caution" or unchecked or total is None:
        severity = Severity.MODERATE
    else:
        return ()
    measure = renal.describe() + (" (eGFR used: CrCl not given)" if renal.measure == "eGFR" else "")
    limit_text = f"; band maximum {limit:g} mg/day" if limit is not None else ""
    message = f"{measure}; label {_band_label(band)}: {band['band_text']}{limit_text}; {prescribed}."
    if unchecked:
        message += " The label asks for an adjustment here but gives no daily maximum to compare with."
    if band["persistent"] and not over and action not in ("contraindicated", "avoid"):
        message += " Neurotoxicity occurs even with renally adjusted doses."
    recommendation = {
        "contraindicated": f"Do not use {drug} at this renal function; choose an alternative.",
        "avoid": f"Avoid {drug} at this renal function; choose an alternative.",
    }.get(action, f"Adjust {drug} to the band ({band['band_text']}) and monitor for myoclonus, "
                  "encephalopathy and seizures.")
    return (renal_dose_band.finding(
        drugs=[drug], severity=severity, message=message, recommendation=recommendation,
        references=[r.cite() for r in band.references],
    ),)


@rule(
    code="PC502", name="renal-function-unknown", category="organ-function", severity=Severity.INFO,
    evidence="high", title="Renal function needed",
    doc=RuleDoc(
        what="A renally critical drug (one with renal dose bands, or at least half excreted unchanged "
             "in urine) on the list when the patient's CrCl, eGFR and dialysis status are all unknown.",
        why="Renal accumulation drives myoclonus with these drugs; without renal function the renal "
            "checks could not run.",
        limits="Informational: it asks for data.",
        references="none needed",
    ),
    examples=(
        Example(("gabapentin 300 mg tid",)),
        Example(("gabapentin 300 mg tid",), {"crcl": 90}, flagged=False),
    ),
)
def renal_function_unknown(ctx: CheckContext) -> Iterator[Finding]:
    if ctx.renal is not None:
        return
    critical = []
    for drug_id, meds in ctx.active_drugs().items():
        if renally_critical(ctx, drug_id):
            critical.append(meds[0].drug)
    if critical:
        yield renal_unknown_finding(tuple(critical))


def renally_critical(ctx: CheckContext, drug_id: int) -> bool:
    fraction = ctx.property_value(drug_id, "fraction_renal")
    return drug_id in ctx.kb.renal_by_drug or (fraction is not None and _float(fraction) >= 0.5)


def renal_unknown_finding(critical: tuple[str, ...]) -> Finding:
    return renal_function_unknown.finding(
        drugs=critical,
        message=f"Renally critical drug(s) {', '.join(critical)} and no CrCl, eGFR or dialysis status given; "
                "renal dose checks were not done.",
        recommendation="Give the patient's creatinine clearance (or eGFR, or dialysis status) and re-run the check.",
    )


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 0.0


HEPATIC_RANK = {"mild": 1, "moderate": 2, "severe": 3}


@rule(
    code="PC503", name="hepatic-caution", category="organ-function", severity=Severity.MODERATE,
    evidence="high", title="Caution in hepatic impairment",
    doc=RuleDoc(
        what="A drug with a KB hepatic caution that applies at the patient's degree of hepatic "
             "impairment (a caution for 'any' applies to every degree).",
        why="Hepatic impairment raises levels of hepatically cleared drugs (pethidine, valproate "
            "hepatotoxicity, tramadol) and precipitates encephalopathy.",
        limits="Needs --hepatic; an unknown hepatic state is not assumed normal but is not flagged. "
               "A drug with a PC702 hepatic-impairment rule at least as severe is left to PC702, "
               "whose message quotes these cautions.",
        references="each drug's label",
    ),
    examples=(
        Example(("pethidine 50 mg q4h",), {"hepatic_impairment": "severe"}),
        Example(("pethidine 50 mg q4h",), {"hepatic_impairment": "none"}, flagged=False),
    ),
)
def hepatic_caution(ctx: CheckContext) -> Iterator[Finding]:
    level = ctx.patient.hepatic_impairment
    if level not in HEPATIC_RANK:
        return
    for drug_id, meds in ctx.active_drugs().items():
        facts = [f for f in ctx.kb.hepatic_by_drug.get(drug_id, [])
                 if (f["impairment"] == "any" or HEPATIC_RANK.get(str(f["impairment"]), 9) <= HEPATIC_RANK[level])]
        if not facts:
            continue
        worst = max(facts, key=lambda f: _ACTION_SEVERITY.get(str(f["action"]), Severity.MODERATE))
        severity = _ACTION_SEVERITY.get(str(worst["action"]), Severity.MODERATE)
        if hepatic_rule_severity(ctx, drug_id) >= severity:
            continue  # PC702's hepatic-impairment rule carries it, with these cautions in its message
        drug = meds[0].drug
        yield hepatic_caution.finding(
            drugs=[drug], severity=severity,
            message=f"{level} hepatic impairment; {drug}: " + " ".join(f"[{f['impairment']}: {f['action']}] {f['text']}" for f in facts),
            recommendation=(f"Do not use {drug} in this degree of hepatic impairment." if severity >= Severity.MAJOR
                            else f"Reduce the dose of {drug} or extend the interval, and monitor for toxicity."),
            references=[r.cite() for f in facts for r in f.references],
        )
