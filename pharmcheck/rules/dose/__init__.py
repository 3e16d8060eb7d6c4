"""PC4xx: daily doses, morphine milligram equivalents and maximum doses."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from pharmcheck.domain import Finding, Quantity, ResolvedMedication, Severity
from pharmcheck.inputs.formulation import formulation_of
from pharmcheck.inputs.sig import hourly_daily
from pharmcheck.kb.dose_scope import Population
from pharmcheck.kb.store import Fact, KnowledgeBase
from pharmcheck.names import lower_key
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
    parts = [
        f"'{m.input}' {m.daily_dose}" if m.daily_dose is not None else f"'{m.input}' unknown"
        for m in meds
    ]
    return f" (summed over {len(meds)} entries: {' + '.join(parts)})"


@rule(
    code="PC401",
    name="opioid-mme-total",
    category="dose",
    severity=Severity.MODERATE,
    evidence="high",
    title="Opioid load in morphine milligram equivalents",
    doc=RuleDoc(
        what="The daily morphine milligram equivalents (MME) summed over every active opioid "
        "with the CDC 2022 factors (transdermal fentanyl: mcg/h x 2.4). Moderate at 50 MME/day "
        "or more, major at 90 or more. An opioid without a CDC factor (pethidine, buprenorphine) "
        "or without a known daily dose makes the total incomplete, and the finding says so; it "
        "is never given a factor.",
        why="Opioid myoclonus and neuroexcitation rise with dose; the CDC guideline asks for "
        "reassessment at 50 MME/day and careful justification at 90.",
        limits="MME are estimates, not conversion ratios between opioids (CDC 2022). The "
        "table's factors are applied to doses by mouth or by a route not given, and its fentanyl "
        "factor to a rate in mcg/h by patch (the route, or the word patch, written); a dose "
        "given by injection or infusion (intravenous, subcutaneous, intramuscular, "
        "intrathecal) or as a rate in mg/h is counted at the table's factor as a lower "
        "bound ('At least'), since it bypasses absorption from the gut (a fentanyl rate in mcg/h "
        "with no route likewise, at the patch factor); one by another route (sublingual, "
        "rectal, buccal...) is not converted; "
        "either way the total says it is incomplete.",
        references="CDC22 (CDC Clinical Practice Guideline for Prescribing Opioids for Pain, 2022)",
    ),
    examples=(
        Example(("morphine 30 mg q4h",), severity=Severity.MAJOR, says="Total 180 MME/day"),
        Example(
            ("fentanyl 50 mcg/h patch", "oxycodone 10 mg q6h"),
            severity=Severity.MAJOR,
            says="fentanyl 50 mcg/h x 2.4 = 120",
        ),
        Example(("codeine 30 mg qid",), flagged=False),
        Example(
            ("morphine 60 mg iv q4h",),
            severity=Severity.MAJOR,
            says="At least 360 MME/day (morphine 360 mg x 1 = 360). Total is INCOMPLETE: "
            "morphine is given by the intravenous route, counted at the table's factor as a lower "
            "bound",
        ),
        Example(
            ("morphine 10 mg pr q4h",),
            severity=Severity.INFO,
            says="morphine is given by the rectal route (the table has no factor for it)",
        ),
        Example(
            ("morphine 30 mg q4h", "morphine 2 mg/h sc"),
            severity=Severity.MAJOR,
            says="At least 228 MME/day",
        ),
        Example(("morphine 2 mg/h",), severity=Severity.INFO, says="At least 48 MME/day"),
    ),
)
def opioid_mme_total(ctx: CheckContext) -> Iterator[Finding]:
    opioids = tuple(
        opioid_regimens(meds)
        for drug_id, meds in ctx.active_drugs().items()
        if ctx.membership(drug_id, "opioid") is not None
    )
    if opioids:
        yield from ctx.memo(("PC401", opioids), mme_findings, ctx, opioids)


Regimen = tuple[Quantity | None, str | None, str, tuple[str, bool] | None]
"""What PC401 reads of one entry: its daily dose, the dose's note, its label and, when the CDC
2022 table has no factor for how it is given, how (and whether its oral factor bounds it from
below)."""

# Routes whose doses the CDC 2022 table converts: by mouth, or not said; the one other form it
# names is transdermal fentanyl, in mcg/h, converted only when the patch is written.
_CONVERTED_ROUTES = (None, "oral", "enteral")
_PARENTERAL = ("intravenous", "intramuscular", "subcutaneous")  # a maximum's "parenteral" (PC402)
# Routes that bypass absorption from the gut or skin: a dose so given reaches the body at least
# as fully as by mouth or patch, so the table's factor understates it: a lower bound.
_BYPASSING_ABSORPTION = (*_PARENTERAL, "intrathecal")


def opioid_regimens(meds: list[ResolvedMedication]) -> tuple[int, str, tuple[Regimen, ...]]:
    """All that PC401 reads of one opioid: (drug id, drug, a :data:`Regimen` of each entry); a
    drug given in several entries is named by each entry's text."""
    several = len(meds) > 1
    return (
        meds[0].drug_id,
        meds[0].drug,
        tuple(
            (m.daily_dose, m.daily_dose_note, f"'{m.input}'" if several else m.drug, _given(m))
            for m in meds
        ),
    )


def _given(med: ResolvedMedication) -> tuple[str, bool] | None:
    """How an entry is given when the CDC 2022 table has no factor for it, and whether the oral
    factor bounds its load from below (None: the table's factors may apply)."""
    if med.dose is not None and hourly_daily(med.dose) is not None:
        return f"a rate of {med.dose}", True  # by the hour: never by mouth
    patch_rate = med.daily_dose is not None and med.daily_dose.unit == "mcg/h"
    if patch_rate and med.route is None:  # a patch (the factor's own), or an infusion (more)
        return f"a rate of {med.daily_dose} with no route given (a patch, or an infusion?)", True
    if med.route in _BYPASSING_ABSORPTION:
        return f"given by the {med.route} route", True
    if med.route not in _CONVERTED_ROUTES and not (med.route == "transdermal" and patch_rate):
        return f"given by the {med.route} route (the table has no factor for it)", False
    return None


def mme_findings(
    ctx: CheckContext,
    opioids: tuple[tuple[int, str, tuple[Regimen, ...]], ...],
) -> tuple[Finding, ...]:
    """The finding for the opioids' (drug id, drug, :data:`Regimen` of each entry)."""
    contributions: list[str] = []
    incomplete: list[str] = []
    references: list[str] = []
    total = 0.0
    for drug_id, drug, regimens in opioids:
        factors = ctx.properties(drug_id, "mme_factor")
        for daily_dose, note, label, given in regimens:
            if given is not None and not given[1]:  # nothing bounds it: left out, and said
                incomplete.append(f"{label} is {given[0]}, so it is not converted")
                continue
            factor = next((f for f in factors if _factor_applies(f, daily_dose)), None)
            if factor is None:
                threshold = ctx.property_value(drug_id, "high_dose_threshold")
                own = (
                    f"; its own threshold is {float(threshold):g} mg/day (PC402)"
                    if threshold
                    else ""
                )
                unit = f" for a dose in {daily_dose.unit}" if factors and daily_dose else ""
                incomplete.append(
                    f"{drug} has no CDC 2022 MME factor{unit}, so it is not converted{own}"
                )
                continue
            if daily_dose is None:
                incomplete.append(f"{label}: {note or 'daily dose unknown'}")
                continue
            mme = daily_dose.value * float(factor["value"])
            total += mme
            contributions.append(f"{label} {daily_dose} x {float(factor['value']):g} = {mme:.0f}")
            if given is not None:  # the oral factor understates it: the total is a lower bound
                incomplete.append(
                    f"{label} is {given[0]}, counted at the table's factor as a lower bound "
                    "(the table has no factor for it)"
                )
            references.extend(r.cite() for r in factor.references)
    if not contributions and not incomplete:
        return ()
    severity = (
        Severity.MAJOR
        if total >= MME_MAJOR
        else Severity.MODERATE
        if total >= MME_MODERATE
        else Severity.INFO
    )
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
    thresholds = (
        f"Thresholds: {MME_MODERATE:.0f} (reassess) and {MME_MAJOR:.0f} MME/day (justify "
        "carefully)."
    )
    return (
        opioid_mme_total.finding(
            drugs=[drug for _, drug, _ in opioids],
            severity=severity,
            message=f"{message} {thresholds}",
            recommendation=(
                "Reduce the opioid dose or rotate; do not escalate when myoclonus appears."
                if severity >= Severity.MODERATE
                else "Establish every opioid's daily dose to complete the MME total."
            ),
            references=["CDC22", *references],
        ),
    )


def _factor_applies(factor: Fact, daily_dose: Quantity | None) -> bool:
    per_rate = "mcg/h" in (factor["unit"] or "")
    is_rate = daily_dose is not None and daily_dose.unit == "mcg/h"
    return per_rate == is_rate if daily_dose is not None else not per_rate


@rule(
    code="PC402",
    name="above-maximum-daily-dose",
    category="dose",
    severity=Severity.MAJOR,
    evidence="high",
    title="Daily dose above the maximum",
    doc=RuleDoc(
        what="A drug whose summed daily dose exceeds the KB's maximum daily dose in scope (from "
        "the label), or its own toxicity threshold (pethidine above 600 mg/day). Each maximum "
        "carries its route, formulation, indication and population; only the maxima in scope "
        "apply. The indication is the entry's own, or inferred from the patient (an antiseizure "
        "drug in a patient with epilepsy or myoclonus is dosed as for a seizure disorder). When "
        "the route, formulation, indication or population cannot be told, the most permissive "
        "maximum that may apply is compared, and stricter ones the dose exceeds are named as "
        "information.",
        why="Most drug-induced myoclonus is dose-related; overdosing relative to the label is the "
        "commonest finding in case series (68% of antibiotic cases were overdosed). A maximum "
        "applied out of its scope (the panic-disorder maximum to clonazepam for myoclonus) pushes "
        "under-treatment.",
        limits="Populations are adult, age bounds, a condition the patient has, or the antiseizure "
        "regimen (adjunctive when another antiseizure drug is on the list). A text that names no "
        "release form leaves the formulation unknown.",
        references="each drug's label",
    ),
    examples=(
        Example(
            ("gabapentin 1600 mg tid",),
            severity=Severity.MAJOR,
            says="gabapentin 4800 mg/day exceeds the label maximum 3600 mg/day",
        ),
        Example(
            ("pethidine 100 mg q3h",),
            severity=Severity.MAJOR,
            says="pethidine 800 mg/day exceeds the label maximum 600 mg/day",
        ),
        Example(("gabapentin 300 mg tid",), flagged=False),
        Example(("clonazepam 3 mg tid",), {"myoclonus": "present"}, flagged=False),
        Example(("amantadine 100 mg tid",), {"myoclonus": "present"}, flagged=False),
        Example(
            ("amantadine 150 mg bd",),
            {"conditions": ["epilepsy"]},
            severity=Severity.INFO,
            says="amantadine 300 mg/day is within the label maximum 400 mg/day",
        ),
        Example(("lacosamide 300 mg bd",), flagged=False),
        Example(
            ("lacosamide 300 mg bd", "levetiracetam 500 mg bd"),
            severity=Severity.MAJOR,
            says="exceeds the label maximum 400 mg/day (adjunctive)",
        ),
        Example(("tramadol IR 100 mg qid",), {"age": 50}, flagged=False),
        Example(
            ("tramadol ER 200 mg bd",),
            severity=Severity.MAJOR,
            says="exceeds the label maximum 300 mg/day (extended-release)",
        ),
        Example(("ciprofloxacin 750 mg bd po",), flagged=False),
        Example(
            ("ciprofloxacin 750 mg bd iv",),
            severity=Severity.MAJOR,
            says="exceeds the label maximum 1200 mg/day (intravenous)",
        ),
        Example(("pethidine 50 mg q4h im",), flagged=False),
    ),
)
def above_maximum_daily_dose(ctx: CheckContext) -> Iterator[Finding]:
    myoclonus = ctx.patient.myoclonus
    for drug_id, meds in ctx.active_drugs().items():
        total, _ = total_daily_mg(meds)
        if total is not None:
            patient = scope_patient(ctx, drug_id, myoclonus, _other_antiseizure(ctx, drug_id))
            scope = dose_scope(ctx, drug_id, ScopeEntries.of(meds), patient)
            yield from ctx.memo(
                ("PC402", drug_id, meds[0].drug, total, summed_over(meds), scope),
                maximum_findings,
                ctx,
                drug_id,
                meds,
                total,
                scope,
            )


def _other_antiseizure(ctx: CheckContext, drug_id: int) -> bool:
    return any(
        ctx.membership(d, ANTISEIZURE) is not None for d in ctx.active_drugs() if d != drug_id
    )


ANTISEIZURE = "antiseizure"  # the class whose regimens (adjunctive, monotherapy) scope maxima
_TREATED_MYOCLONUS = ("present", "worsening", "improving")


@dataclass(frozen=True)
class Scoped:
    """Whether one dose limit applies: True, False, or None with what is not known."""

    limit_id: int
    applies: bool | None
    unknown: tuple[str, ...] = ()


@dataclass(frozen=True)
class DoseScope:
    """All PC402 reads of the patient and the entries for one drug, besides the dose."""

    limits: tuple[Scoped, ...]
    indication: str | None = None  # the indication in use, and how it is known
    basis: str = ""
    note: str = ""  # e.g. an indication the KB does not know


def indication_keys(kb: KnowledgeBase) -> dict[str, str]:
    """Every name an indication is written as (its id, label, synonyms) -> its id."""
    keys: dict[str, str] = {}
    for name, fact in kb.indications.items():
        for text in (name, str(fact["label"]), *str(fact["synonyms"] or "").split(";")):
            if text.strip():
                keys.setdefault(lower_key(text), name)
    return keys


@dataclass(frozen=True)
class ScopeEntries:
    """What :func:`dose_scope` reads of a drug's entries: the first one's route and
    formulation, and the first indication stated."""

    route: str | None
    formulation: str | None
    indication: str | None

    @classmethod
    def of(cls, meds: list[ResolvedMedication]) -> ScopeEntries:
        stated = next((m.indication for m in meds if m.indication), None)
        return cls(meds[0].route, formulation_of(meds[0].input), stated)


@dataclass(frozen=True)
class ScopeReads:
    """Which patient fields :func:`dose_scope` reads for a drug, from its limits and the
    indications they name: an age bound, conditions (of a population, or that an indication is
    inferred from), the myoclonus (an indication inferred from it), the antiseizure regimen."""

    age: bool
    conditions: tuple[str, ...]
    myoclonus: bool
    regimen: bool


def scope_reads(ctx: CheckContext, drug_id: int) -> ScopeReads:
    return ctx.memo(("dose-scope-reads", drug_id), _scope_reads, ctx.kb, drug_id)


def _scope_reads(kb: KnowledgeBase, drug_id: int) -> ScopeReads:
    limits = kb.dose_limits_by_drug.get(drug_id, [])
    populations: list[Population] = [f["scope_population"] for f in limits]
    named = [kb.indications.get(str(f["indication"])) for f in limits if f["indication"]]
    sources = [
        source.strip()
        for fact in named
        if fact is not None
        for source in str(fact["inferred_from"] or "").split(";")
        if source.strip()
    ]
    conditions = [c for p in populations for c in p.conditions]
    conditions += [s for s in sources if s != "myoclonus"]
    return ScopeReads(
        age=any(p.age_over is not None for p in populations),
        conditions=tuple(dict.fromkeys(conditions)),
        myoclonus="myoclonus" in sources,
        regimen=any(p.regimen is not None for p in populations),
    )


@dataclass(frozen=True)
class ScopePatient:
    """The patient as :func:`dose_scope` reads it for one drug: only what its
    :class:`ScopeReads` names (the rest is None or False)."""

    age: float | None
    conditions: tuple[tuple[str, bool | None], ...]  # each condition read, and whether it is had
    myoclonus: str | None
    other_antiseizure: bool

    def has_condition(self, condition: str) -> bool | None:
        for name, state in self.conditions:
            if name == condition:
                return state
        raise KeyError(f"dose_scope reads {condition!r}, which scope_reads does not name")


def scope_patient(
    ctx: CheckContext, drug_id: int, myoclonus: str | None, other_antiseizure: bool
) -> ScopePatient:
    """What :func:`dose_scope` reads of the patient for this drug (``myoclonus`` is theirs;
    ``other_antiseizure``: another antiseizure drug is given)."""
    reads = scope_reads(ctx, drug_id)
    return ScopePatient(
        ctx.patient.age if reads.age else None,
        tuple((c, ctx.has_condition(c)) for c in reads.conditions),
        myoclonus if reads.myoclonus else None,
        other_antiseizure if reads.regimen else False,
    )


def dose_scope(
    ctx: CheckContext, drug_id: int, entries: ScopeEntries, patient: ScopePatient
) -> DoseScope:
    """Which of the drug's limits apply to these entries in this patient (None: not known)."""
    limits = ctx.kb.dose_limits_by_drug.get(drug_id, [])
    if not limits:
        return DoseScope(())
    named = {str(f["indication"]) for f in limits if f["indication"]}
    indication, basis, note = _indication(ctx, drug_id, entries.indication, patient, named)
    route, formulation = entries.route, entries.formulation
    # A route not given matters only when the drug's maxima differ by route.
    by_route = len({str(f["route"]) for f in limits} - {"any"}) > 1
    scoped = []
    for fact in limits:
        states = [
            *_form_states(fact, route, formulation, by_route),
            (
                "indication",
                None
                if fact["indication"] and indication is None
                else not fact["indication"] or fact["indication"] == indication,
            ),
            _population_applies(fact["scope_population"], patient),
        ]
        unknown = tuple(what for what, state in states if state is None)
        applies = False if any(state is False for _, state in states) else None if unknown else True
        scoped.append(Scoped(int(fact["id"]), applies, unknown if applies is None else ()))
    return DoseScope(tuple(scoped), indication, basis, note)


def _indication(
    ctx: CheckContext,
    drug_id: int,
    stated: str | None,
    patient: ScopePatient,
    named: set[str],
) -> tuple[str | None, str, str]:
    """The indication in use (None when unknown), how it is known, and a note on what was not
    used."""
    note = ""
    if stated is not None:
        known = ctx.memo(("indication-keys",), indication_keys, ctx.kb).get(lower_key(stated))
        if known is None:
            note = f"indication '{stated}' is not in the KB's vocabulary"
        elif named and known not in named:
            note = f"no maximum in the KB for {ctx.kb.indications[known]['label'].lower()}"
        else:
            return known, "as stated", ""
    inferred = [
        (name, why)
        for name in sorted(named)
        if (why := _inferred_because(ctx, drug_id, name, patient)) is not None
    ]
    if len(inferred) == 1:
        return inferred[0][0], f"inferred from the patient's {inferred[0][1]}", note
    return None, "", note


def _inferred_because(
    ctx: CheckContext, drug_id: int, indication: str, patient: ScopePatient
) -> str | None:
    """What in the patient the indication is inferred from, for this drug; None if nothing."""
    fact = ctx.kb.indications.get(indication)
    if fact is None or not fact["inferred_from"]:
        return None
    subjects = [s.strip() for s in str(fact["subjects"] or "").split(";") if s.strip()]
    if not any(_is_subject(ctx, drug_id, s) for s in subjects):
        return None
    for source in (s.strip() for s in str(fact["inferred_from"]).split(";")):
        if source == "myoclonus" and patient.myoclonus in _TREATED_MYOCLONUS:
            return f"myoclonus ({patient.myoclonus})"
        if source != "myoclonus" and patient.has_condition(source):
            return source
    return None


def _is_subject(ctx: CheckContext, drug_id: int, subject: str) -> bool:
    if subject.startswith("class:"):
        return ctx.membership(drug_id, subject.removeprefix("class:")) is not None
    return subject == ctx.kb.drug_name(drug_id)


def most_permissive_maximum(
    ctx: CheckContext, drug_id: int, meds: list[ResolvedMedication]
) -> float | None:
    """The highest labelled daily maximum (mg) for these entries' route and formulation, whatever
    the indication or population: a dose above it is high in any reading of the label."""
    route, formulation = meds[0].route, formulation_of(meds[0].input)
    return ctx.memo(
        ("most-permissive-maximum", drug_id, route, formulation),
        _most_permissive_maximum,
        ctx.kb,
        drug_id,
        route,
        formulation,
    )


def _most_permissive_maximum(
    kb: KnowledgeBase, drug_id: int, route: str | None, formulation: str | None
) -> float | None:
    maxima = [
        float(f["max_daily_mg"])
        for f in kb.dose_limits_by_drug.get(drug_id, [])
        if f["max_daily_mg"] is not None
        and all(state is not False for _, state in _form_states(f, route, formulation, True))
    ]
    return max(maxima, default=None)


def _form_states(
    fact: Fact, route: str | None, formulation: str | None, by_route: bool
) -> list[tuple[str, bool | None]]:
    """Whether a limit's route and formulation apply to the entries (None: not known); a route
    not given matters only ``by_route`` (when the drug's maxima differ by route)."""
    return [
        ("route", _route_applies(str(fact["route"]), route) if route or by_route else True),
        (
            "formulation",
            None
            if fact["formulation"] and formulation is None
            else not fact["formulation"] or fact["formulation"] == formulation,
        ),
    ]


def _route_applies(limit_route: str, route: str | None) -> bool | None:
    if limit_route == "any":
        return True
    if route is None:
        return None
    return route in _PARENTERAL if limit_route == "parenteral" else route == limit_route


def _population_applies(population: Population, patient: ScopePatient) -> tuple[str, bool | None]:
    if population.age_over is not None:
        age = patient.age
        return "age", (
            None
            if age is None
            else age >= population.age_over
            if population.inclusive
            else age > population.age_over
        )
    if population.conditions:
        states = [patient.has_condition(c) for c in population.conditions]
        return population.conditions[0], True if any(states) else None if None in states else False
    if population.regimen is not None:
        return "regimen", patient.other_antiseizure == (population.regimen == "adjunctive")
    return "population", True


def maximum_findings(
    ctx: CheckContext, drug_id: int, meds: list[ResolvedMedication], total: float, scope: DoseScope
) -> tuple[Finding, ...]:
    """Reads the drug, the entries, the summed daily dose and the scope of each of its limits."""
    drug = meds[0].drug
    facts = {int(f["id"]): f for f in ctx.kb.dose_limits_by_drug.get(drug_id, [])}
    varies = {
        c for c in ("route", "formulation") if len({facts[s.limit_id][c] for s in scope.limits}) > 1
    }
    limits = [
        (float(fact["max_daily_mg"]), _describe_limit(ctx, fact, scope, varies), s, fact)
        for s in scope.limits
        if (fact := facts[s.limit_id])["max_daily_mg"] is not None and s.applies is not False
    ]
    firm = [(v, text, fact) for v, text, s, fact in limits if s.applies]
    firm += [
        (float(f["value"]), f"toxicity threshold {float(f['value']):g} mg/day", f)
        for f in ctx.properties(drug_id, "high_dose_threshold")
    ]
    maybe = [(v, text, s, fact) for v, text, s, fact in limits if s.applies is None]
    if firm:
        limit, text, fact = min(firm, key=lambda b: b[0])
    elif maybe:  # nothing known to apply: the most permissive that may
        limit, text, unsure, fact = max(maybe, key=lambda b: b[0])
        text += f", the most permissive that may apply ({_unknown_text(unsure.unknown)})"
    else:
        return ()
    stricter = [(v, t, s, f) for v, t, s, f in maybe if v < limit and total > v]
    also = "; ".join(
        f"the {t}, which may apply ({_unknown_text(s.unknown)})" for _, t, s, _ in stricter
    )
    note = f" Note: {scope.note}." if scope.note else ""
    prescribed = f"{drug} {total:g} mg/day{summed_over(meds)}"
    references = [r.cite() for f in (fact, *(f for *_, f in stricter)) for r in f.references]
    if total > limit:
        also = f" It is also above {also}." if also else ""
        return (
            above_maximum_daily_dose.finding(
                drugs=[drug],
                message=f"{prescribed} exceeds the {text}.{also}{note}",
                references=references,
                recommendation=f"Reduce {drug} to at most {limit:g} mg/day, or document why a "
                "higher dose is needed.",
            ),
        )
    if not stricter:
        return ()
    unknown = sorted({w for *_, s, _ in stricter for w in s.unknown})
    return (
        above_maximum_daily_dose.finding(
            drugs=[drug],
            severity=Severity.INFO,
            title="Daily dose above a maximum that may apply",
            message=f"{prescribed} is within the {text}, but above {also}.{note}",
            recommendation=f"Give {drug}'s {' and '.join(unknown)} so that the maximum in scope is "
            "used.",
            references=references,
        ),
    )


def _describe_limit(ctx: CheckContext, fact: Fact, scope: DoseScope, varies: set[str]) -> str:
    parts = []
    if fact["indication"]:
        label = str(ctx.kb.indications[str(fact["indication"])]["label"]).lower()
        known = scope.basis if scope.indication == fact["indication"] else ""
        parts.append(f"{label}, {known}" if known else label)
    population: Population = fact["scope_population"]
    if population.text != "adult":
        parts.append(population.describe())
    if fact["route"] != "any" and "route" in varies:
        parts.append(str(fact["route"]))
    if fact["formulation"] and "formulation" in varies:
        parts.append(str(fact["formulation"]))
    scope_text = f" ({'; '.join(parts)})" if parts else ""
    return f"label maximum {float(fact['max_daily_mg']):g} mg/day{scope_text}"


def _unknown_text(unknown: tuple[str, ...]) -> str:
    return f"{' and '.join(unknown)} not known"


def dose_rule_drugs(kb: KnowledgeBase) -> set[int]:
    return (
        set(kb.dose_limits_by_drug)
        | set(kb.renal_by_drug)
        | {
            d
            for d, facts in kb.properties_by_drug.items()
            if any(f["property"] in ("mme_factor", "high_dose_threshold") for f in facts)
        }
    )


@rule(
    code="PC403",
    name="dose-unknown-for-dose-rule",
    category="dose",
    severity=Severity.INFO,
    evidence="high",
    title="Daily dose unknown, dose checks not done",
    doc=RuleDoc(
        what="A drug with a dose-based rule in the KB (a maximum, a renal band, an MME factor, a "
        "toxicity threshold) whose daily dose could not be computed (no dose, no frequency, prn "
        "without a maximum).",
        why="An unknown dose is not a zero dose: the report must show which checks did not run.",
        limits="Informational only.",
        references="none needed",
    ),
    examples=(
        Example(("gabapentin",), severity=Severity.INFO, says="gabapentin: daily dose unknown"),
        Example(("gabapentin 300 mg tid",), flagged=False),
    ),
)
def dose_unknown_for_dose_rule(ctx: CheckContext) -> Iterator[Finding]:
    rule_drugs = ctx.memo(("dose-rule-drugs",), dose_rule_drugs, ctx.kb)
    for drug_id, meds in ctx.active_drugs().items():
        if drug_id not in rule_drugs:
            continue
        finding = ctx.memo(
            ("PC403", drug_id, *((m.input, m.daily_dose, m.daily_dose_note) for m in meds)),
            unknown_dose_finding,
            meds,
        )
        if finding is not None:
            yield finding


def unknown_dose_finding(meds: list[ResolvedMedication]) -> Finding | None:
    """The finding for a drug whose regimens leave its daily dose unknown, if they do."""
    _, unknown = total_daily_mg(meds)
    if not unknown or all(m.daily_dose is not None for m in meds):
        return None
    drug = meds[0].drug
    return dose_unknown_for_dose_rule.finding(
        drugs=[drug],
        message=f"{drug}: daily dose unknown for {'; '.join(unknown)}; maximum-dose, "
        "renal-band and MME checks could not use it.",
        recommendation=f"Give {drug}'s dose and frequency (and a prn maximum) to complete the "
        "dose checks.",
    )
