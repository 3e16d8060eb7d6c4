"""PC7xx: drug-condition rules from the KB, paradoxical aggravation by syndrome above all."""

from __future__ import annotations

from collections.abc import Iterator

from pharmcheck.domain import Finding, Patient, ResolvedMedication, Severity, evidence_level
from pharmcheck.kb.store import Fact
from pharmcheck.rules.base import (
    CheckContext,
    Example,
    RenalFunction,
    Rule,
    RuleDoc,
    SubjectMatch,
    rule,
)
from pharmcheck.rules.organ import RENAL_CONDITIONS, renal_findings, renal_reads

_CHILDBEARING_AGES = (12, 55)


def _matching(
    ctx: CheckContext, kinds: tuple[str, ...]
) -> Iterator[tuple[Fact, list[ResolvedMedication], SubjectMatch, str]]:
    for drug_id, meds in ctx.active_drugs().items():
        for fact, match, condition, label in ctx.memo(
            ("condition-rules", drug_id, kinds), condition_rules_of, ctx, drug_id, kinds
        ):
            if ctx.has_condition(condition):
                yield fact, meds, match, as_had(ctx, condition, label)


def as_had(ctx: CheckContext, condition: str, label: str) -> str:
    """The rule's condition as the patient has it: the given descendants it applies through, if
    any ("Lafora disease (a form of progressive myoclonus epilepsy)")."""
    via = ctx.condition_via(condition)
    if not via:
        return label
    lowered = label[0].lower() + label[1:] if label[1:2].islower() else label
    return f"{', '.join(via)} (a form of {lowered})"


def condition_rules_of(
    ctx: CheckContext, drug_id: int, kinds: tuple[str, ...]
) -> list[tuple[Fact, SubjectMatch, str, str]]:
    """The drug's condition rules of these kinds, with each rule's condition and its label."""
    return [
        (fact, match, *ctx.kb.conditions[int(fact["condition_id"])])
        for fact, match in ctx.matching_facts("condition_rules", ctx.kb.condition_rules, drug_id)
        if fact["kind"] in kinds
    ]


def _route_note(fact: Fact, meds: list[ResolvedMedication]) -> tuple[bool, str]:
    """(applies, note): a route-specific rule applies when the route matches or is unknown."""
    route = fact["route"]
    if not route:
        return True, ""
    wanted = {"iv": "intravenous", "im": "intramuscular", "oral": "oral"}.get(
        str(route).lower(), str(route).lower()
    )
    routes = {m.route for m in meds}
    if wanted in routes:
        return True, f" (route {wanted})"
    if routes == {None}:
        return True, f" (applies if given {wanted}; route not stated)"
    return False, ""


def _findings(rule_obj: Rule, ctx: CheckContext, kinds: tuple[str, ...]) -> Iterator[Finding]:
    matched: dict[int, list[tuple[Fact, list[ResolvedMedication], SubjectMatch, str]]] = {}
    for fact, meds, match, label in _matching(ctx, kinds):
        if _renal(ctx, fact) and renal_carried(ctx, meds[0].drug_id, meds):
            continue  # PC501 reports this drug and carries its renal rules
        matched.setdefault(meds[0].drug_id, []).append((fact, meds, match, label))
    for found in matched.values():
        for fact, meds, match, label, parents in merge_parents(ctx, found):
            finding = condition_finding(
                rule_obj, fact, meds, match, label, parents, hepatic_of(ctx, fact, meds[0].drug_id)
            )
            if finding is not None:
                yield finding


def hepatic_of(ctx: CheckContext, fact: Fact, drug_id: int) -> tuple[Fact, ...]:
    """For a hepatic-impairment rule, the drug's hepatic cautions (PC503's), which its finding
    carries."""
    if (
        fact["kind"] == "paradoxical"
        or ctx.kb.conditions[int(fact["condition_id"])][0] != "hepatic-impairment"
    ):
        return ()
    return tuple(ctx.kb.hepatic_by_drug.get(drug_id, ()))


def renal_carried(ctx: CheckContext, drug_id: int, meds: list[ResolvedMedication]) -> bool:
    """Whether PC501 reports this drug for this patient (it then carries the renal problem)."""
    renal = ctx.renal
    if renal is None or drug_id not in ctx.kb.renal_by_drug:
        return False
    return renal_band_reported(ctx, renal, drug_id, meds)


def renal_band_reported(
    ctx: CheckContext, renal: RenalFunction, drug_id: int, meds: list[ResolvedMedication]
) -> bool:
    """Whether PC501 reports the drug above info (and so carries its renal condition rules)."""
    return any(
        f.severity > Severity.INFO
        for f in renal_findings(ctx, drug_id, meds[0].drug, renal, *renal_reads(meds))
    )


def _renal(ctx: CheckContext, fact: Fact) -> bool:
    return (
        fact["kind"] != "paradoxical"
        and ctx.kb.conditions[int(fact["condition_id"])][0] in RENAL_CONDITIONS
    )


def merge_parents(
    ctx: CheckContext, found: list[tuple[Fact, list[ResolvedMedication], SubjectMatch, str]]
) -> list[tuple[Fact, list[ResolvedMedication], SubjectMatch, str, tuple[tuple[Fact, str], ...]]]:
    """One entry per clinical problem: a rule for an ancestor (in the KB's is-a hierarchy) of
    another matched rule's condition is folded into that rule's entry (its rule and its
    condition's label in the last field, the nearest ancestor first)."""
    kb = ctx.kb
    conditions = {int(f["id"]): int(f["condition_id"]) for f, _, _, _ in found}
    present = set(conditions.values())
    merged = []
    for fact, meds, match, label in found:
        cid = conditions[int(fact["id"])]
        if any(cid in kb.condition_ancestors[other] for other in present):
            continue  # folded into a more specific condition's finding
        above = sorted(
            (f for f, _, _, _ in found if conditions[int(f["id"])] in kb.condition_ancestors[cid]),
            key=lambda f: -len(kb.condition_ancestors[conditions[int(f["id"])]]),
        )
        parents = tuple((f, kb.conditions[conditions[int(f["id"])]][1]) for f in above)
        merged.append((fact, meds, match, label, parents))
    return merged


def condition_finding(
    rule_obj: Rule,
    fact: Fact,
    meds: list[ResolvedMedication],
    match: SubjectMatch,
    label: str,
    parents: tuple[tuple[Fact, str], ...] = (),
    hepatic: tuple[Fact, ...] = (),
) -> Finding | None:
    """The finding for a drug-condition rule whose condition the patient has, unless its route
    rules it out; ``parents`` are the rules of the broader condition folded into it."""
    applies, route_note = _route_note(fact, meds)
    if not applies:
        return None
    drug = meds[0].drug
    severity = max(
        [Severity.parse(fact["severity"]), *(Severity.parse(p["severity"]) for p, _ in parents)]
    )
    if route_note.startswith(" (applies if"):
        severity = Severity(max(Severity.INFO, severity - 1))
    mechanism = f" {fact['mechanism']}." if fact["mechanism"] else ""
    also = "".join(
        f" Also {p['kind']} in {lab} (evidence {p['evidence']}): {p['management']}"
        for p, lab in parents
    )
    also += "".join(
        f" Hepatic caution [{h['impairment']}: {h['action']}]: {h['text']}" for h in hepatic
    )
    return rule_obj.finding(
        drugs=[drug],
        severity=severity,
        title=f"{drug} in {label}",
        message=f"{drug}{match.describe()} with {label}{route_note}: {fact['kind']} (evidence "
        f"{fact['evidence']}).{mechanism}{also}",
        recommendation=str(fact["management"]),
        evidence=evidence_level(fact["evidence"], lowered=1 if match.inferred else 0),
        references=[
            *(r.cite() for f in (fact, *(p for p, _ in parents)) for r in f.references),
            *(r.cite() for h in hepatic for r in h.references),
        ],
    )


@rule(
    code="PC701",
    name="syndrome-aggravation",
    category="paradoxical",
    severity=Severity.MAJOR,
    evidence="moderate",
    title="Drug that aggravates the patient's epilepsy syndrome",
    doc=RuleDoc(
        what="An active drug with a KB paradoxical-aggravation rule for one of the patient's "
        "conditions: carbamazepine in juvenile myoclonic epilepsy, phenytoin in "
        "Unverricht-Lundborg disease, lamotrigine in Dravet syndrome, IV benzodiazepines in "
        "Lennox-Gastaut syndrome, and others, each graded as its evidence is.",
        why="Sodium-channel blockers and GABAergic drugs can worsen myoclonic and generalised "
        "epilepsies; worsening is often mistaken for under-treatment and the dose raised.",
        limits="Needs the syndrome in --condition. A route-specific rule with no route given is "
        "reported one step lower. A rule for a broader syndrome applies to the syndromes "
        "under it in the KB's hierarchy (progressive myoclonus epilepsy to ULD and Lafora "
        "disease, idiopathic generalised epilepsy to JME); rules for a syndrome and its "
        "ancestors give one finding, for the more specific syndrome, at the highest "
        "severity with every rule's advice.",
        references="GEN00 and each rule's references",
    ),
    examples=(
        # db/condition_rules: carbamazepine in JME is major.
        Example(
            ("carbamazepine 200 mg bd",),
            {"conditions": ["juvenile myoclonic epilepsy"]},
            severity=Severity.MAJOR,
            says="with Juvenile myoclonic epilepsy: paradoxical",
        ),
        # phenytoin in ULD and in PME (its parent) are both major: one finding, for ULD.
        Example(
            ("phenytoin 100 mg tds",),
            {"conditions": ["ULD", "progressive myoclonus epilepsy"]},
            severity=Severity.MAJOR,
            says="with Unverricht-Lundborg disease (EPM1): paradoxical",
        ),
        # No Lafora rule of its own: oxcarbazepine's PME rule (moderate) applies to it.
        Example(
            ("oxcarbazepine 300 mg bd",),
            {"conditions": ["Lafora disease"]},
            severity=Severity.MODERATE,
            says="with Lafora disease (a form of progressive myoclonus epilepsy): paradoxical",
        ),
        Example(("carbamazepine 200 mg bd",), flagged=False),
    ),
)
def syndrome_aggravation(ctx: CheckContext) -> Iterator[Finding]:
    yield from _findings(syndrome_aggravation, ctx, ("paradoxical",))


@rule(
    code="PC702",
    name="drug-condition-contraindication",
    category="drug-condition",
    severity=Severity.MAJOR,
    evidence="high",
    title="Drug contraindicated or cautioned in a condition",
    doc=RuleDoc(
        what="An active drug with a KB contraindication or caution for a condition the patient "
        "has, given or derived: pregnancy, childbearing potential, renal impairment, end-stage "
        "renal disease, hepatic impairment, dehydration, epilepsy, and others.",
        why="Valproate in pregnancy or childbearing potential needs the pregnancy prevention "
        "programme; lithium with dehydration or renal impairment accumulates; piracetam has "
        "contraindications.",
        limits="Derived conditions come from the patient fields (CrCl < 60 = renal impairment, < "
        "15 or dialysis = end-stage). A rule for a condition applies to the conditions under it "
        "in the KB's hierarchy; a condition and its ancestors (end-stage renal disease and renal "
        "impairment) give one finding at the highest severity with every rule's advice. A renal "
        "rule of a drug whose renal dose band PC501 reports is folded into PC501's finding.",
        references="each rule's references",
    ),
    examples=(
        # db/condition_rules: valproate with childbearing potential is a major contraindication.
        Example(
            ("valproic acid 500 mg bd",),
            {"childbearing_potential": True, "sex": "female", "age": 24},
            severity=Severity.MAJOR,
            says="with Childbearing potential: contraindication",
        ),
        # ESRD (major) and its parent, renal impairment (CKD; moderate): one finding, for ESRD.
        Example(
            ("cefepime 2 g q8h",),
            {"conditions": ["ESRD", "CKD"]},
            severity=Severity.MAJOR,
            says="with End-stage renal disease: caution",
        ),
        # tramadol's epilepsy caution (major) applies to JME, an epilepsy.
        Example(
            ("tramadol 50 mg qid",),
            {"conditions": ["juvenile myoclonic epilepsy"]},
            severity=Severity.MAJOR,
            says="with Juvenile myoclonic epilepsy (a form of epilepsy",
        ),
        # valproate is contraindicated in hepatic impairment (boxed warning: hepatotoxicity).
        Example(
            ("valproic acid 500 mg bd",),
            {"hepatic_impairment": "moderate", "sex": "male"},
            severity=Severity.CONTRAINDICATED,
            says="with Hepatic impairment: contraindication",
        ),
        Example(
            ("valproic acid 500 mg bd",),
            {"childbearing_potential": False, "sex": "female", "age": 60},
            flagged=False,
        ),
    ),
)
def drug_condition_contraindication(ctx: CheckContext) -> Iterator[Finding]:
    yield from _findings(drug_condition_contraindication, ctx, ("contraindication", "caution"))


@rule(
    code="PC703",
    name="childbearing-potential-unknown",
    category="drug-condition",
    severity=Severity.MODERATE,
    evidence="high",
    title="Childbearing potential needed",
    doc=RuleDoc(
        what="A drug with a KB rule for pregnancy or childbearing potential (valproate) in a "
        "patient who may be a woman of 12-55 years (female, or sex not given; age in range or "
        "not given) whose pregnancy status and childbearing potential are not given.",
        why="Valproate must not be used in women of childbearing potential outside the pregnancy "
        "prevention programme; the check cannot tell without the data, and unknown is never safe.",
        limits="It asks for data: moderate, because the missing data decides a contraindication.",
        references="the valproate rules' references",
    ),
    examples=(
        # It asks for data: moderate (the rule's own severity).
        Example(
            ("valproic acid 500 mg bd",),
            {"sex": "female", "age": 24},
            severity=Severity.MODERATE,
            says="this female patient's pregnancy status and childbearing potential are not given",
        ),
        Example(
            ("valproic acid 500 mg bd",),
            {},
            severity=Severity.MODERATE,
            says="sex, pregnancy status and childbearing potential are not given",
        ),
        Example(("valproic acid 500 mg bd",), {"sex": "male", "age": 24}, flagged=False),
        Example(("valproic acid 500 mg bd",), {"age": 70}, flagged=False),
    ),
)
def childbearing_potential_unknown(ctx: CheckContext) -> Iterator[Finding]:
    if not reproductive_status_wanted(ctx.patient):
        return
    for drug_id, meds in ctx.active_drugs().items():
        if reproductive_rules(ctx, drug_id):
            yield status_unknown_finding(ctx, drug_id, meds[0].drug, bool(ctx.patient.sex))


def status_unknown_finding(ctx: CheckContext, drug_id: int, drug: str, sex_given: bool) -> Finding:
    """PC703's finding for a drug with reproductive rules, naming what the patient data lacks."""
    missing = (
        "pregnancy status and childbearing potential"
        if sex_given
        else "sex, pregnancy status and childbearing potential"
    )
    who = "this female patient's" if sex_given else "this patient's"
    return childbearing_potential_unknown.finding(
        drugs=[drug],
        message=f"{drug} has pregnancy/childbearing-potential rules and {who} {missing} "
        "are not given.",
        recommendation="Record sex, pregnancy status and childbearing potential (--sex, "
        "--pregnant / --childbearing-potential).",
        references=[r.cite() for f in reproductive_rules(ctx, drug_id) for r in f.references],
    )


def reproductive_status_wanted(p: Patient) -> bool:
    """Whether the patient may be a woman of childbearing age (female or sex not given, age in
    range or not given) whose pregnancy status and childbearing potential are both not given."""
    sex = (p.sex or "").lower()
    if (
        (sex and sex not in ("f", "female", "woman"))
        or p.childbearing_potential is not None
        or p.pregnant is not None
    ):
        return False
    return p.age is None or _CHILDBEARING_AGES[0] <= p.age <= _CHILDBEARING_AGES[1]


def reproductive_rules(ctx: CheckContext, drug_id: int) -> list[Fact]:
    """The drug's condition rules for pregnancy or childbearing potential (memoised per KB)."""
    return ctx.memo(("PC703", drug_id), _reproductive_rules, ctx, drug_id)


def _reproductive_rules(ctx: CheckContext, drug_id: int) -> list[Fact]:
    reproductive = {
        cid
        for cid, (name, _) in ctx.kb.conditions.items()
        if name in ("pregnancy", "childbearing-potential")
    }
    return [
        f
        for f in ctx.kb.condition_rules
        if int(f["condition_id"]) in reproductive and ctx.subject_match(f, drug_id) is not None
    ]
