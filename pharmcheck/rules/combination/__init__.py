"""PC2xx: interacting pairs and burdens summed over the whole list."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from pharmcheck.domain import Finding, Severity, evidence_level
from pharmcheck.kb.store import Fact
from pharmcheck.rules.base import CheckContext, Example, RuleDoc, SubjectMatch, cite, rule
from pharmcheck.rules.causative import risk_assertion, treated_condition, worsening_status

ACB_THRESHOLD = 3


@rule(
    code="PC201",
    name="interacting-pair",
    category="combination",
    severity=Severity.MODERATE,
    evidence="moderate",
    title="Interacting drugs",
    doc=RuleDoc(
        what="Two different active drugs that match the two participants of a KB interaction rule "
        "(each a drug or a class), such as valproate with a carbapenem, an opioid with a "
        "benzodiazepine, or an MAO inhibitor with an SSRI.",
        why="Interactions raise levels of myoclonogenic drugs, add serotonergic or CNS-depressant "
        "effects, "
        "or collapse the level of a treatment (valproate with carbapenems).",
        limits="Only pairs curated in the KB. A pair matched through a structurally inferred "
        "class gets a lower evidence level. A pair is reported once: when several KB rows match "
        "it (a drug row and a class row, linezolid as an MAO inhibitor and as itself), the "
        "finding has the highest severity, every row's mechanism and management, and every "
        "reference. Each row says which drug it acts on and how (level raised or lowered, added "
        "neurotoxicity, other additive toxicity, loss of effect); PC101 reads the same rows.",
        references="see each interaction's references",
    ),
    examples=(
        Example(
            ("valproic acid 500 mg bd", "meropenem 1 g tds"),
            severity=Severity.MAJOR,
            says="lowers valproic acid's level",
        ),
        Example(
            ("tramadol 50 mg qid", "clonazepam 0.5 mg bd"),
            severity=Severity.MAJOR,
            says="tramadol (as a member of class opioid, curated) with clonazepam",
        ),
        Example(
            ("linezolid 600 mg bd", "sertraline 50 mg daily"),
            severity=Severity.CONTRAINDICATED,
            says="linezolid (as a member of class maoi, curated) with sertraline",
        ),
        Example(
            ("clozapine 200 mg bd", "fluvoxamine 50 mg bd"),
            severity=Severity.MAJOR,
            says="raises clozapine's level",
        ),
        Example(
            ("lithium 400 mg bd", "haloperidol 5 mg bd"),
            severity=Severity.MODERATE,
            says="adds neurotoxicity to lithium",
        ),
        Example(("valproic acid 500 mg bd", "amlodipine 5 mg daily"), flagged=False),
        Example(("tramadol 50 mg qid", "metronidazole 400 mg tds"), flagged=False),
    ),
)
def interacting_pair(ctx: CheckContext) -> Iterator[Finding]:
    yield from pair_findings(
        ctx, {drug_id: meds[0].drug for drug_id, meds in ctx.active_drugs().items()}
    )


def pair_findings(ctx: CheckContext, drugs: dict[int, str]) -> Iterator[Finding]:
    """One finding per pair of ``drugs`` (drug id -> name) with KB interactions: every rule that
    matches the pair, at the highest severity, with every reference."""
    b_sides: dict[int, list[tuple[int, SubjectMatch]]] = defaultdict(
        list
    )  # rule id -> its b-side drugs
    for b_id in drugs:
        for fact, b_match in ctx.matching_facts(
            "interactions", ctx.kb.interactions, b_id, "b_drug_id", "b_class_id"
        ):
            b_sides[int(fact["id"])].append((b_id, b_match))
    by_pair: dict[frozenset[int], dict[int, tuple[str, SubjectMatch, str, SubjectMatch, Fact]]] = (
        defaultdict(dict)
    )
    for a_id, a in drugs.items():
        for fact, a_match in ctx.matching_facts(
            "interactions", ctx.kb.interactions, a_id, "a_drug_id", "a_class_id"
        ):
            for b_id, b_match in b_sides.get(int(fact["id"]), ()):
                if b_id != a_id:  # a symmetric rule matches both ways round: it is kept once
                    by_pair[frozenset((a_id, b_id))].setdefault(
                        int(fact["id"]), (a, a_match, drugs[b_id], b_match, fact)
                    )
    for _, matched in sorted(by_pair.items(), key=lambda item: sorted(drugs[d] for d in item[0])):
        rows = tuple(matched[fact_id] for fact_id in sorted(matched))
        key = (
            "PC201",
            *((fact_id, a, am, b, bm) for fact_id, (a, am, b, bm, _) in sorted(matched.items())),
        )
        yield ctx.memo(key, _pair_finding, rows)


def interacts(ctx: CheckContext, drug_id: int) -> bool:
    """Whether the drug is a participant of any interaction rule (either side)."""
    return bool(
        ctx.matching_facts("interactions", ctx.kb.interactions, drug_id, "a_drug_id", "a_class_id")
        or ctx.matching_facts(
            "interactions", ctx.kb.interactions, drug_id, "b_drug_id", "b_class_id"
        )
    )


_EFFECT_WORDS = {
    "level-raised": "raises {x}'s level",
    "level-lowered": "lowers {x}'s level",
    "additive-neurotoxicity": "adds neurotoxicity to {x}",
    "additive-toxicity": "adds to {x}'s toxicity",
    "loss-of-effect": "reduces {x}'s effect",
}


def _effect(fact: Fact, a: str, b: str) -> str:
    """What the rule does, in words, naming the drug it acts on."""
    affected = {"a": a, "b": b}.get(str(fact["affected"]), f"{a} and {b}")
    return _EFFECT_WORDS[str(fact["effect"])].format(x=affected)


def _pair_finding(rows: tuple[tuple[str, SubjectMatch, str, SubjectMatch, Fact], ...]) -> Finding:
    """The finding for one pair: ``rows`` are (a, a's match, b, b's match, rule), each rule once."""
    ranked = sorted(rows, key=lambda r: -Severity.parse(r[4]["severity"]))
    a, _, b, _, primary = ranked[0]
    inferred = any(r[1].inferred or r[3].inferred for r in rows)
    parts = [
        f"{r[0]}{r[1].describe()} with {r[2]}{r[3].describe()} ({_effect(r[4], r[0], r[2])}, "
        f"{r[4]['severity']}): {str(r[4]['mechanism']).rstrip('.')}."
        for r in ranked
    ]
    message = " Also: ".join(parts) + (
        " One participant's class membership is inferred from structure." if inferred else ""
    )
    return interacting_pair.finding(
        drugs=[a, b],
        severity=Severity.parse(primary["severity"]),
        message=message,
        recommendation=" ".join(dict.fromkeys(str(r[4]["management"]) for r in ranked)),
        evidence=evidence_level(primary["evidence"], lowered=1 if inferred else 0),
        title=f"Interaction: {a} + {b}",
        references=[ref.cite() for r in ranked for ref in r[4].references],
    )


@rule(
    code="PC202",
    name="serotonergic-load",
    category="combination",
    severity=Severity.MODERATE,
    evidence="moderate",
    title="Two or more serotonergic drugs",
    doc=RuleDoc(
        what="Two or more active drugs with a serotonergic role in the KB (reuptake inhibition, "
        "MAO inhibition, release, receptor agonism, precursor). Major when one of them inhibits "
        "MAO (an MAOI, linezolid, methylene blue).",
        why="Serotonin toxicity presents with clonus and myoclonus (Hunter criteria); MAO "
        "inhibition "
        "with any other serotonergic drug carries the highest risk (FDA 2011 communications).",
        limits="Counts drugs, not doses; pharmacokinetic potentiation (CYP inhibitors) is not "
        "summed.",
        references="DUN03 and the serotonergic-role references of each drug",
    ),
    examples=(
        Example(
            ("sertraline 100 mg daily", "tramadol 50 mg qid"),
            severity=Severity.MODERATE,
            says="2 serotonergic drugs: sertraline",
        ),
        Example(
            ("linezolid 600 mg bd", "citalopram 20 mg daily"),
            severity=Severity.MAJOR,
            says="linezolid inhibits MAO",
        ),
        Example(("sertraline 100 mg daily",), flagged=False),
    ),
)
def serotonergic_load(ctx: CheckContext) -> Iterator[Finding]:
    roles = {}
    for drug_id, meds in ctx.active_drugs().items():
        facts = ctx.properties(drug_id, "serotonergic_role")
        if facts:
            roles[drug_id, meds[0].drug] = facts
    if len(roles) >= 2:
        yield ctx.memo(
            ("PC202", *roles), serotonergic_finding, {d: facts for (_, d), facts in roles.items()}
        )


def serotonergic_finding(roles: dict[str, list[Fact]]) -> Finding:
    mao = sorted(
        d for d, facts in roles.items() if any(f["value"] == "mao-inhibition" for f in facts)
    )
    parts = [
        f"{d} ({', '.join(sorted({str(f['value']) for f in facts}))})"
        for d, facts in sorted(roles.items())
    ]
    message = f"{len(roles)} serotonergic drugs: {'; '.join(parts)}."
    if mao:
        message += (
            f" {', '.join(mao)} inhibit{'s' if len(mao) == 1 else ''} MAO, the "
            "highest-risk combination."
        )
    return serotonergic_load.finding(
        drugs=roles,
        severity=Severity.MAJOR if mao else Severity.MODERATE,
        message=message,
        recommendation=(
            "Avoid combining an MAO-inhibiting drug with other serotonergic drugs; if unavoidable, "
            "monitor for clonus, myoclonus, agitation and hyperthermia (Hunter criteria)."
            if mao
            else "Review the need for each serotonergic drug; monitor for clonus, myoclonus, "
            "agitation, diaphoresis and hyperthermia (Hunter criteria)."
        ),
        evidence="moderate",
        references=["DUN03", *cite(f for facts in roles.values() for f in facts)],
    )


@rule(
    code="PC203",
    name="anticholinergic-burden",
    category="combination",
    severity=Severity.MODERATE,
    evidence="moderate",
    title="Anticholinergic burden of 3 or more",
    doc=RuleDoc(
        what="The sum of the Anticholinergic Cognitive Burden (ACB) scores of the active drugs, "
        "when it is 3 or more; every contributing drug and its score is shown.",
        why="An ACB total of 3 or more is associated with cognitive impairment and mortality; "
        "anticholinergic toxicity can include myoclonus.",
        limits="Drugs not on the ACB scale count as 0. The scale scores drugs, not doses.",
        references="the ACB scale (Boustani 2008; 2012 update)",
    ),
    examples=(
        Example(
            ("amitriptyline 25 mg nocte", "oxybutynin 5 mg bd"),
            severity=Severity.MAJOR,
            says="ACB total 6 (threshold 3)",
        ),
        Example(("morphine 10 mg q4h",), flagged=False),
    ),
)
def anticholinergic_burden(ctx: CheckContext) -> Iterator[Finding]:
    scores = {}
    for drug_id, meds in ctx.active_drugs().items():
        fact = acb_score(ctx, drug_id)
        if fact is not None:
            scores[drug_id, meds[0].drug] = fact
    finding = ctx.memo(("PC203", *scores), burden_finding, {d: f for (_, d), f in scores.items()})
    if finding is not None:
        yield finding


def acb_score(ctx: CheckContext, drug_id: int) -> Fact | None:
    """The drug's ACB score fact when the score is above 0."""
    facts = ctx.properties(drug_id, "acb_score")
    return facts[0] if facts and int(facts[0]["value"]) > 0 else None


def burden_finding(scores: dict[str, Fact]) -> Finding | None:
    """The finding for these drugs' ACB scores (drug -> fact), or None below the threshold."""
    total = sum(int(f["value"]) for f in scores.values())
    if total < ACB_THRESHOLD:
        return None
    parts = ", ".join(f"{d} {f['value']}" for d, f in sorted(scores.items()))
    return anticholinergic_burden.finding(
        drugs=scores,
        severity=Severity.MAJOR if total >= 6 else Severity.MODERATE,
        message=f"ACB total {total} (threshold {ACB_THRESHOLD}): {parts}.",
        recommendation="Deprescribe or substitute the highest-scoring drugs where possible; "
        "monitor cognition, delirium and myoclonus.",
        references=cite(scores.values()),
    )


@rule(
    code="PC204",
    name="pro-myoclonic-load",
    category="combination",
    severity=Severity.MINOR,
    evidence="low",
    title="Several drugs that can cause myoclonus",
    doc=RuleDoc(
        what="Two or more active drugs that can cause myoclonus (minor), escalating to moderate at "
        "three or more. Conditional assertions count only when their conditions are present; "
        "info-level assertions (etomidate at induction) and drugs that treat the patient's "
        "myoclonic syndrome or epilepsy (as PC101 decides) do not count.",
        why="Myoclonogenic drugs acting on different pathways (GABA, serotonin, glutamate) add up; "
        "reports often involve several culprits at once.",
        limits="A count, not a dose-weighted sum; evidence for additivity is mostly from case "
        "reports.",
        references="RIS25 (Rissardo 2025), JAN17 (Janssen 2017)",
    ),
    examples=(
        Example(
            ("morphine 10 mg q4h", "gabapentin 300 mg tid"),
            severity=Severity.MINOR,
            says="2 drugs that can cause myoclonus",
        ),
        Example(("morphine 10 mg q4h", "amlodipine 5 mg daily"), flagged=False),
    ),
)
def pro_myoclonic_load(ctx: CheckContext) -> Iterator[Finding]:
    counted = {}
    for drug_id, meds in ctx.active_drugs().items():
        found = risk_assertion(ctx, drug_id)
        if found is None or found[0]["severity"] == "info":
            continue
        fact = found[0]
        if fact["grade"] == "conditional" and not worsening_status(ctx, fact, meds)[0]:
            continue
        if treated_condition(ctx, drug_id) is not None:
            continue  # a treatment of the patient's condition is not counted as a cause
        counted[drug_id, meds[0].drug] = fact
    if len(counted) >= 2:
        yield ctx.memo(("PC204", *counted), load_finding, {d: f for (_, d), f in counted.items()})


def load_finding(counted: dict[str, Fact]) -> Finding:
    parts = ", ".join(f"{d} ({f['grade']})" for d, f in sorted(counted.items()))
    return pro_myoclonic_load.finding(
        drugs=counted,
        severity=Severity.MODERATE if len(counted) >= 3 else Severity.MINOR,
        message=f"{len(counted)} drugs that can cause myoclonus: {parts}.",
        recommendation="If myoclonus occurs, review each of these drugs; stop or reduce the one "
        "most likely responsible (highest grade, most recently started or increased).",
        references=["RIS25", "JAN17"],
    )
