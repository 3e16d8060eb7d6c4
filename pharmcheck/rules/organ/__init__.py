"""PC5xx: renal dose bands, missing renal function, hepatic cautions."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from pharmcheck.domain import Finding, ResolvedMedication, Severity
from pharmcheck.inputs.sig import parse_frequency
from pharmcheck.kb.store import Fact, KnowledgeBase
from pharmcheck.rules.base import CheckContext, Example, RenalFunction, RuleDoc, rule
from pharmcheck.rules.dose import summed_over, total_daily_mg

_ACTION_SEVERITY = {
    "contraindicated": Severity.CONTRAINDICATED,
    "avoid": Severity.MAJOR,
    "adjust": Severity.MAJOR,
    "caution": Severity.MODERATE,
}
_ACTION_RANK = {"caution": 0, "adjust": 1, "avoid": 2, "contraindicated": 3}


def band_for(
    ctx: CheckContext, renal: RenalFunction, drug_id: int, route: str | None = None
) -> Fact | None:
    """The drug's CrCl band for this renal function and route (a band of another route never
    applies); on dialysis with no CrCl, the end-stage band (the lowest open-ended one)."""
    bands = [
        f
        for f in ctx.kb.renal_by_drug.get(drug_id, [])
        if not f["dialysis"] and f["route"] in (None, route)
    ]
    if renal.value is None:
        open_below = [f for f in bands if f["lower"] is None and f["upper"] is not None]
        return min(open_below, key=lambda f: f["upper"], default=None)
    for fact in bands:
        if (fact["lower"] is None or renal.value >= fact["lower"]) and (
            fact["upper"] is None or renal.value < fact["upper"]
        ):
            return fact
    return None


def dialysis_band_for(
    ctx: CheckContext, renal: RenalFunction, drug_id: int, route: str | None = None
) -> Fact | None:
    """The drug's band for the patient's kind of dialysis (or for any dialysis), if on dialysis."""
    if not renal.dialysis:
        return None
    return next(
        (
            f
            for f in ctx.kb.renal_by_drug.get(drug_id, [])
            if f["dialysis"] in (renal.dialysis, "any") and f["route"] in (None, route)
        ),
        None,
    )


def band_routes(ctx: CheckContext, drug_id: int) -> tuple[str, ...]:
    """The routes the drug's bands are specific to (aciclovir: intravenous, oral)."""
    return ctx.memo(("band-routes", drug_id), _band_routes, ctx.kb, drug_id)


def _band_routes(kb: KnowledgeBase, drug_id: int) -> tuple[str, ...]:
    bands = kb.renal_by_drug.get(drug_id, [])
    return tuple(sorted({str(f["route"]) for f in bands if f["route"]}))


def usual_maximum(ctx: CheckContext, drug_id: int, route: str | None) -> float | None:
    """The drug's most permissive labelled daily maximum in mg for the route (any route when not
    given): the most a usual dose can be."""
    return max(
        (
            float(f["max_daily_mg"])
            for f in ctx.kb.dose_limits_by_drug.get(drug_id, [])
            if f["max_daily_mg"] is not None and _same_route(str(f["route"]), route)
        ),
        default=None,
    )


def _same_route(limit_route: str, route: str | None) -> bool:
    if route is None or limit_route in ("any", route):
        return True
    return limit_route == "parenteral" and route in ("intravenous", "intramuscular", "subcutaneous")


def doses_per_day(meds: list[ResolvedMedication]) -> float | None:
    """How many doses a day the entries give together, or None when a frequency is not known."""
    count = 0.0
    for med in meds:
        frequency = parse_frequency(med.frequency) if med.frequency else None
        if frequency is None or frequency.per_day is None:
            return None
        count += frequency.per_day
    return count


def _band_label(fact: Fact) -> str:
    if fact["dialysis"]:
        return f"{fact['dialysis']} band"
    if fact["lower"] is None:
        return f"band <{fact['upper']:g}"
    if fact["upper"] is None:
        return f"band >={fact['lower']:g}"
    return f"band {fact['lower']:g}-<{fact['upper']:g}"


@rule(
    code="PC501",
    name="renal-dose-band",
    category="organ-function",
    severity=Severity.MAJOR,
    evidence="high",
    title="Dose not adjusted for renal function",
    doc=RuleDoc(
        what="A drug with label renal dose bands, when the patient's CrCl (or eGFR, said so) "
        "falls in a band that contraindicates or avoids the drug, whose maximum the daily dose "
        "exceeds, or whose dosing interval the frequency breaks (tramadol every 12 h below CrCl "
        "30). On dialysis the CrCl band applies (the end-stage band when no CrCl is given), with "
        "the dialysis band's maximum where it gives one and its note. A band given as a fraction "
        "of the usual dose (piracetam 1/3) is always reported, stating the fraction: major when "
        "the dose is above that fraction of the label maximum. Bands marked persistent "
        "(cefepime) are reported even when the dose is within the band, because neurotoxicity "
        "still occurs.",
        why="Renal accumulation is the leading cause of drug-induced myoclonus with "
        "gabapentinoids, cefepime, aciclovir, pethidine (normeperidine) and morphine (M3G).",
        limits="Bands are the label's; eGFR is used only when CrCl is not given. Band text is "
        "quoted verbatim. Route-specific bands (aciclovir IV and oral) apply by route; with no "
        "route given, each route is assessed and the least restrictive reading reported. A band "
        "that asks for an adjustment without a maximum, fraction or interval is always reported. "
        "A post-dialysis supplement is not added to the band maximum.",
        references="each drug's label",
    ),
    examples=(
        Example(
            ("gabapentin 600 mg tid",),
            {"crcl": 20},
            severity=Severity.MAJOR,
            says="band maximum 700 mg/day; prescribed 1800 mg/day",
        ),
        Example(
            ("piracetam 2.4 g tds",),
            {"crcl": 15},
            severity=Severity.CONTRAINDICATED,
            says="CrCl <20 mL/min / end-stage renal disease: contraindicated",
        ),
        Example(("levetiracetam 250 mg bd",), {"crcl": 40}, flagged=False),
        Example(
            ("gabapentin 300 mg tid",),
            {"crcl": 10, "dialysis": "hemodialysis"},
            severity=Severity.MAJOR,
            says="on hemodialysis, CrCl 10 mL/min; label band <15",
        ),
        Example(
            ("piracetam 2.4 g tid",),
            {"crcl": 40},
            severity=Severity.MODERATE,
            says="1/3 of usual daily dose",
        ),
        Example(
            ("tramadol 50 mg qid",),
            {"crcl": 25},
            severity=Severity.MAJOR,
            says="increase dosing interval to 12 h",
        ),
        Example(("tramadol 50 mg bd",), {"crcl": 25}, flagged=False),
        Example(
            ("aciclovir 700 mg iv q8h",),
            {"crcl": 20},
            severity=Severity.MAJOR,
            says="IV: usual dose every 24 h for CrCl 10-25",
        ),
        Example(("aciclovir 700 mg iv q24h",), {"crcl": 20}, flagged=False),
        Example(("ciprofloxacin 400 mg bd iv",), {"crcl": 40}, flagged=False),
        Example(
            ("baclofen 10 mg tid",),
            {"crcl": 40},
            severity=Severity.MODERATE,
            says="caution and a reduced dose",
        ),
    ),
)
def renal_dose_band(ctx: CheckContext) -> Iterator[Finding]:
    renal = ctx.renal
    if renal is None:
        return
    for drug_id, meds in ctx.active_drugs().items():
        if drug_id in ctx.kb.renal_by_drug:
            findings = renal_findings(ctx, drug_id, meds[0].drug, renal, *renal_reads(meds))
            yield from with_cautions(findings, renal_cautions(ctx, drug_id))


def renal_reads(
    meds: list[ResolvedMedication],
) -> tuple[str | None, float | None, float | None, str]:
    """What :func:`renal_findings` reads of a drug's entries: the first route, doses a day, the
    summed daily dose, the entries it sums."""
    return meds[0].route, doses_per_day(meds), total_daily_mg(meds)[0], summed_over(meds)


def hepatic_rule_severity(ctx: CheckContext, drug_id: int) -> Severity:
    """The highest severity of the drug's caution and contraindication rules for hepatic
    impairment (PC702's), INFO when it has none."""
    return max(
        (
            Severity.parse(f["severity"])
            for f, _ in ctx.matching_facts("condition_rules", ctx.kb.condition_rules, drug_id)
            if f["kind"] in ("caution", "contraindication")
            and ctx.kb.conditions[int(f["condition_id"])][0] == "hepatic-impairment"
        ),
        default=Severity.INFO,
    )


RENAL_CONDITIONS = ("end-stage-renal-disease", "renal-impairment")  # the more specific first


def renal_cautions(ctx: CheckContext, drug_id: int) -> tuple[tuple[Fact, str], ...]:
    """The drug's renal condition rules (PC702's) that apply to the patient, with each condition's
    label: PC501 carries them when it reports the drug, so one renal problem is one finding."""
    return tuple(
        (fact, label)
        for fact, name, label in renal_condition_rules(ctx, drug_id)
        if ctx.has_condition(name)
    )


def renal_condition_rules(ctx: CheckContext, drug_id: int) -> list[tuple[Fact, str, str]]:
    """(rule, condition name, label) of the drug's caution and contraindication rules for a renal
    condition, the more specific condition first."""

    def compute() -> list[tuple[Fact, str, str]]:
        found = [
            (fact, *ctx.kb.conditions[int(fact["condition_id"])])
            for fact, _ in ctx.matching_facts("condition_rules", ctx.kb.condition_rules, drug_id)
            if fact["kind"] in ("caution", "contraindication")
            and ctx.kb.conditions[int(fact["condition_id"])][0] in RENAL_CONDITIONS
        ]
        return sorted(found, key=lambda f: RENAL_CONDITIONS.index(f[1]))

    return ctx.memo(("renal-condition-rules", drug_id), compute)


def with_cautions(
    findings: tuple[Finding, ...], cautions: tuple[tuple[Fact, str], ...]
) -> tuple[Finding, ...]:
    """PC501's findings with the renal condition rules folded in (highest severity, their advice);
    a finding that only asks for data (info) carries none."""
    if not cautions or all(f.severity == Severity.INFO for f in findings):
        return findings
    also = "".join(
        f" Also {f['kind']} in {label} (evidence {f['evidence']}): {f['management']}"
        for f, label in cautions
    )
    return tuple(
        replace(
            f,
            message=f.message + also,
            severity=max([f.severity, *(Severity.parse(c["severity"]) for c, _ in cautions)]),
            references=tuple(
                dict.fromkeys(
                    [*f.references, *(r.cite() for c, _ in cautions for r in c.references)]
                )
            ),
        )
        for f in findings
    )


def renal_findings(
    ctx: CheckContext,
    drug_id: int,
    drug: str,
    renal: RenalFunction,
    route: str | None,
    per_day: float | None,
    total: float | None,
    summed: str,
) -> tuple[Finding, ...]:
    """The finding for one drug's entries (first route, doses a day, summed daily dose) at this
    renal function; with no route given and route-specific bands, the least restrictive route's.
    Memoised per KB: PC702 asks again whether PC501 reports the same drug and reads."""
    # plain values, which the garbage collector stops tracking: a ward makes tens of thousands
    key = (drug_id, drug, renal.value, renal.measure, renal.dialysis, renal.basis)
    return ctx.memo(
        ("renal-findings", *key, route, per_day, total, summed),
        _renal_findings,
        ctx,
        drug_id,
        drug,
        renal,
        route,
        per_day,
        total,
        summed,
    )


def _renal_findings(
    ctx: CheckContext,
    drug_id: int,
    drug: str,
    renal: RenalFunction,
    route: str | None,
    per_day: float | None,
    total: float | None,
    summed: str,
) -> tuple[Finding, ...]:
    if not renal_band_applies(ctx, drug_id, renal, route):
        return ()
    routes = band_routes(ctx, drug_id)

    def reading(as_route: str | None) -> tuple[Finding, ...]:
        band, dialysis, usual = renal_bands(ctx, renal, drug_id, as_route)
        return band_findings(band, renal, drug, total, summed, dialysis, per_day, usual)

    if route is not None or not routes:
        return reading(route)
    readings = [(r, reading(r)) for r in routes]
    clean = [r for r, found in readings if not found]
    flagged = [(r, found[0]) for r, found in readings if found]
    if not flagged:
        return ()
    if clean:
        return (
            renal_dose_band.finding(
                drugs=[drug],
                severity=Severity.INFO,
                title="Renal band depends on the route",
                message=f"Route not given; the label's renal bands differ by route. As "
                f"{', '.join(clean)}: nothing to report. "
                + " ".join(f"If {r}: {f.message}" for r, f in flagged),
                recommendation=f"Give {drug}'s route so that the band in scope is used.",
                references=[ref for _, f in flagged for ref in f.references],
            ),
        )
    route_used, least = min(flagged, key=lambda item: item[1].severity)
    return (
        replace(
            least,
            message=f"{least.message} Route not given: assessed as {route_used}, "
            "the least restrictive of its routes.",
        ),
    )


def renal_band_applies(
    ctx: CheckContext, drug_id: int, renal: RenalFunction, route: str | None
) -> bool:
    """Whether a CrCl or dialysis band of the drug applies at this renal function for the route
    (for any of its band routes when none is given): PC501 reports nothing without one, whatever
    the dose."""
    routes = band_routes(ctx, drug_id) if route is None else ()
    return any(renal_bands(ctx, renal, drug_id, r)[:2] != (None, None) for r in routes or (route,))


def renal_bands(
    ctx: CheckContext, renal: RenalFunction, drug_id: int, route: str | None
) -> tuple[Fact | None, Fact | None, float | None]:
    """The CrCl band, the dialysis band and the usual maximum for this renal function and route
    (memoised per KB: a ward has few distinct renal functions)."""
    return ctx.memo(
        ("renal-bands", drug_id, renal, route), _renal_bands, ctx, renal, drug_id, route
    )


def _renal_bands(
    ctx: CheckContext, renal: RenalFunction, drug_id: int, route: str | None
) -> tuple[Fact | None, Fact | None, float | None]:
    return (
        band_for(ctx, renal, drug_id, route),
        dialysis_band_for(ctx, renal, drug_id, route),
        usual_maximum(ctx, drug_id, route),
    )


def band_findings(
    band: Fact | None,
    renal: RenalFunction,
    drug: str,
    total: float | None,
    summed: str = "",
    dialysis: Fact | None = None,
    per_day: float | None = None,
    usual_max: float | None = None,
) -> tuple[Finding, ...]:
    """The finding for the CrCl ``band`` (or end-stage band) and the ``dialysis`` band that apply.
    ``summed`` names the entries a daily dose was summed over (see :func:`summed_over`)."""
    used = [b for b in (dialysis, band) if b is not None]
    if not used:
        return ()
    action = max((str(b["action"]) for b in used), key=_ACTION_RANK.__getitem__)
    limit = next((float(b["max_daily_mg"]) for b in used if b["max_daily_mg"] is not None), None)
    fraction = next((b for b in used if b["fraction"]), None)
    if limit is None and fraction is not None and usual_max is not None:
        limit = fraction["fraction_of_usual"] * usual_max  # of the most a usual dose can be
    interval = next((float(b["interval_hours"]) for b in used if b["interval_hours"]), None)
    persistent = any(b["persistent"] for b in used)
    over = total is not None and limit is not None and total > limit + 1e-9
    too_often = per_day is not None and interval is not None and per_day > 24 / interval + 1e-9
    # The open-ended top band is usual dosing: only an overdose there is a renal finding.
    usual_dosing = dialysis is None and band is not None and band["upper"] is None
    if action in ("contraindicated", "avoid"):
        severity, title = _ACTION_SEVERITY[action], f"{action.capitalize()} at this renal function"
        title = "Contraindicated at this renal function" if action == "contraindicated" else title
    elif over or too_often:
        severity, title = Severity.MAJOR, "Dose not adjusted for renal function"
    elif usual_dosing:
        return ()
    elif total is None:
        severity, title = Severity.MODERATE, "Renal band applies; daily dose unknown"
    elif interval is not None and per_day is None:
        severity, title = Severity.MODERATE, "Renal band asks for a longer dosing interval"
    elif fraction is not None:
        severity, title = Severity.MODERATE, "Renal band: confirm the dose is reduced"
    elif action == "caution":
        severity, title = Severity.MODERATE, "Caution at this renal function"
    elif action == "adjust" and limit is None and interval is None:
        severity, title = Severity.MODERATE, "Renal adjustment needed; no maximum to check against"
    elif persistent:
        severity, title = Severity.MODERATE, "Within the renal band; neurotoxicity still reported"
    else:
        return ()
    measure = renal.describe() + (" (eGFR used: CrCl not given)" if renal.measure == "eGFR" else "")
    text = [
        f"label {_band_label(b)}: {str(b['band_text']).rstrip('.')}"
        for b in (band, dialysis)
        if b is not None
    ]
    prescribed = (
        f"prescribed {total:g} mg/day{summed}"
        if total is not None
        else "prescribed daily dose unknown"
    )
    limit_text = (
        f"; band maximum {limit:g} mg/day" if limit is not None and fraction is None else ""
    )
    message = f"{measure}; {'; '.join(text)}{limit_text}; {prescribed}."
    if fraction is not None:
        share = str(fraction["fraction"])
        ceiling = f" (at most {limit:g} mg/day at the label maximum)" if limit is not None else ""
        asks = f" The label asks for {share} of the usual daily dose{ceiling}"
        message += (
            f"{asks}: above that the dose is not reduced."
            if over
            else f"{asks}; the usual dose is not known, so confirm this is {share} of it."
        )
    elif over:
        message += " The dose is above the band maximum."
    apart = f"the band asks for doses at least {interval:g} h apart" if interval else ""
    if too_often:
        message += f" It is given {per_day:g} times a day; {apart}."
    elif interval is not None and per_day is None:
        message += f" {apart[0].upper()}{apart[1:]}; the frequency is not known."
    if action == "adjust" and limit is None and interval is None and fraction is None:
        message += (
            " The label asks for an adjustment here but gives no daily maximum to compare with."
        )
    if persistent and action not in ("contraindicated", "avoid"):
        message += (
            " Neurotoxicity occurs even with renally adjusted doses."
            if over or too_often
            else " The dose is within the band; neurotoxicity is still reported with renally "
            "adjusted doses."
        )
    band_texts = "; ".join(str(b["band_text"]).rstrip(".") for b in used)
    monitor = "and monitor for myoclonus, encephalopathy and seizures."
    if over or too_often:
        adjust = f"Adjust {drug} to the band ({band_texts}) {monitor}"
    elif fraction is not None:
        adjust = (
            f"Confirm {drug} is {fraction['fraction']} of the patient's usual daily dose "
            f"({band_texts}) {monitor}"
        )
    else:
        adjust = f"Keep {drug} within the band ({band_texts}) {monitor}"
    recommendation = {
        "contraindicated": f"Do not use {drug} at this renal function; choose an alternative.",
        "avoid": f"Avoid {drug} at this renal function; choose an alternative.",
    }.get(action, adjust)
    return (
        renal_dose_band.finding(
            drugs=[drug],
            severity=severity,
            title=title,
            message=message,
            recommendation=recommendation,
            references=[r.cite() for b in used for r in b.references],
        ),
    )


@rule(
    code="PC502",
    name="renal-function-unknown",
    category="organ-function",
    severity=Severity.INFO,
    evidence="high",
    title="Renal function needed",
    doc=RuleDoc(
        what="A renally critical drug (one with renal dose bands, or at least half excreted "
        "unchanged "
        "in urine) on the list when the patient's CrCl, eGFR and dialysis status are all unknown.",
        why="Renal accumulation drives myoclonus with these drugs; without renal function the "
        "renal checks could not run.",
        limits="Informational: it asks for data.",
        references="none needed",
    ),
    examples=(
        Example(
            ("gabapentin 300 mg tid",),
            severity=Severity.INFO,
            says="Renally critical drug(s) gabapentin",
        ),
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
        message=f"Renally critical drug(s) {', '.join(critical)} and no CrCl, eGFR or dialysis "
        "status given; renal dose checks were not done.",
        recommendation="Give the patient's creatinine clearance (or eGFR, or dialysis status) and "
        "re-run the check.",
    )


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 0.0


HEPATIC_RANK = {"mild": 1, "moderate": 2, "severe": 3}


@rule(
    code="PC503",
    name="hepatic-caution",
    category="organ-function",
    severity=Severity.MODERATE,
    evidence="high",
    title="Caution in hepatic impairment",
    doc=RuleDoc(
        what="A drug with a KB hepatic caution that applies at the patient's degree of hepatic "
        "impairment (a caution for 'any' applies to every degree).",
        why="Hepatic impairment raises levels of hepatically cleared drugs (pethidine, valproate "
        "hepatotoxicity, tramadol) and precipitates encephalopathy.",
        limits="Needs --hepatic; an unknown hepatic state is not assumed normal but is not "
        "flagged. A drug with a PC702 hepatic-impairment rule at least as severe is left to "
        "PC702, whose message quotes these cautions.",
        references="each drug's label",
    ),
    examples=(
        Example(
            ("pethidine 50 mg q4h",),
            {"hepatic_impairment": "severe"},
            severity=Severity.MAJOR,
            says="severe hepatic impairment; pethidine",
        ),
        Example(("pethidine 50 mg q4h",), {"hepatic_impairment": "none"}, flagged=False),
    ),
)
def hepatic_caution(ctx: CheckContext) -> Iterator[Finding]:
    level = ctx.patient.hepatic_impairment
    if level not in HEPATIC_RANK:
        return
    for drug_id, meds in ctx.active_drugs().items():
        reported = reported_hepatic_cautions(ctx, drug_id, level)
        if reported is None:
            continue
        facts, severity = reported
        drug = meds[0].drug
        yield hepatic_caution.finding(
            drugs=[drug],
            severity=severity,
            message=f"{level} hepatic impairment; {drug}: "
            + " ".join(f"[{f['impairment']}: {f['action']}] {f['text']}" for f in facts),
            recommendation=(
                f"Do not use {drug} in this degree of hepatic impairment."
                if severity >= Severity.MAJOR
                else f"Reduce the dose of {drug} or extend the interval, and monitor for toxicity."
            ),
            references=[r.cite() for f in facts for r in f.references],
        )


def reported_hepatic_cautions(
    ctx: CheckContext, drug_id: int, level: str
) -> tuple[list[Fact], Severity] | None:
    """The drug's hepatic cautions that apply at this level of impairment, and their severity;
    None when it has none, or when PC702's hepatic-impairment rule carries them."""
    facts = [
        f
        for f in ctx.kb.hepatic_by_drug.get(drug_id, [])
        if (
            f["impairment"] == "any"
            or HEPATIC_RANK.get(str(f["impairment"]), 9) <= HEPATIC_RANK[level]
        )
    ]
    if not facts:
        return None
    worst = max(facts, key=lambda f: _ACTION_SEVERITY.get(str(f["action"]), Severity.MODERATE))
    severity = _ACTION_SEVERITY.get(str(worst["action"]), Severity.MODERATE)
    if hepatic_rule_severity(ctx, drug_id) >= severity:
        return None  # PC702's hepatic-impairment rule carries it, these cautions in its message
    return facts, severity
