"""PC3xx: therapeutic duplication."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from pharmcheck.domain import Finding, Severity
from pharmcheck.rules.base import CheckContext, Example, RuleDoc, rule


@rule(
    code="PC301",
    name="duplicate-therapeutic-class",
    category="duplicate-therapy",
    severity=Severity.MODERATE,
    evidence="moderate",
    title="Two drugs of the same therapeutic class",
    doc=RuleDoc(
        what="Two or more different active drugs in one class that the KB marks as a therapeutic "
        "duplicate (two opioids, two benzodiazepines, two SSRIs ...).",
        why="Duplicates add the same adverse effects (opioid neuroexcitation, sedation, serotonin "
        "toxicity) and are often unintended, for example after a transfer or a brand change.",
        limits="Some duplications are deliberate (a long-acting plus a breakthrough opioid). "
        "Classes "
        "where combinations are the norm (antiseizure drugs for myoclonus) are not duplicates.",
        references="KB class definitions",
    ),
    examples=(
        Example(
            ("morphine 10 mg q4h", "oxycodone 5 mg q6h"),
            severity=Severity.MODERATE,
            says="2 drugs of class opioid: morphine, oxycodone",
        ),
        Example(
            ("clonazepam 0.5 mg bd", "diazepam 5 mg tds"),
            severity=Severity.MODERATE,
            says="2 drugs of class benzodiazepine",
        ),
        Example(("morphine 10 mg q4h", "clonazepam 0.5 mg bd"), flagged=False),
    ),
)
def duplicate_therapeutic_class(ctx: CheckContext) -> Iterator[Finding]:
    yield from class_duplicates(
        ctx, [(drug_id, meds[0].drug) for drug_id, meds in ctx.active_drugs().items()]
    )


def duplicate_classes(ctx: CheckContext, drug_id: int) -> list[tuple[str, bool]]:
    """The drug's classes that count as duplicates, each with whether membership is inferred."""
    found = []
    for membership in ctx.classes(drug_id):
        class_id = ctx.kb.class_ids.get(membership.class_name)
        if class_id is not None and ctx.kb.classes[class_id][2]:
            found.append((membership.class_name, membership.basis == "inferred"))
    return found


def class_duplicates(ctx: CheckContext, drugs: list[tuple[int, str]]) -> Iterator[Finding]:
    """Duplicate-class findings for these (drug id, drug) in list order."""
    members: dict[str, dict[str, bool]] = defaultdict(dict)
    for drug_id, drug in drugs:
        for class_name, inferred in duplicate_classes(ctx, drug_id):
            members[class_name][drug] = inferred
    for class_name, drugs_in_class in sorted(members.items()):
        if len(drugs_in_class) >= 2:
            yield class_finding(ctx, class_name, tuple(drugs_in_class.items()))


def class_finding(
    ctx: CheckContext, class_name: str, drugs_in_class: tuple[tuple[str, bool], ...]
) -> Finding:
    """The finding for two or more drugs of one duplicate class: (drug, membership inferred) in
    list order."""
    label = ctx.kb.classes[ctx.kb.class_ids[class_name]][1]
    drugs = [d for d, _ in drugs_in_class]
    inferred = [d for d, is_inferred in drugs_in_class if is_inferred]
    note = (
        f" Membership of {', '.join(sorted(inferred))} is inferred from structure."
        if inferred
        else ""
    )
    return duplicate_therapeutic_class.finding(
        drugs=drugs,
        title=f"Duplicate therapy: {len(drugs)} {label.lower()}",
        message=f"{len(drugs)} drugs of class {class_name}: {', '.join(sorted(drugs))}.{note}",
        recommendation="Confirm that the duplication is intended; otherwise stop one.",
        evidence="low" if inferred else "moderate",
    )


@rule(
    code="PC302",
    name="same-drug-listed-twice",
    category="duplicate-therapy",
    severity=Severity.MINOR,
    evidence="high",
    title="The same drug is listed more than once",
    doc=RuleDoc(
        what="One drug appearing in two or more active entries of the list (for example a brand "
        "and its generic, or a combination product that contains it).",
        why="A drug listed twice is often given twice; its daily dose is the sum of the entries.",
        limits="Two entries may be one regimen written twice; the rule cannot tell.",
        references="none needed: a property of the list",
    ),
    examples=(
        Example(
            ("Keppra 500 mg bd", "levetiracetam 250 mg bd"),
            severity=Severity.MINOR,
            says="levetiracetam appears in 2 entries",
        ),
        Example(("levetiracetam 500 mg bd",), flagged=False),
    ),
)
def same_drug_listed_twice(ctx: CheckContext) -> Iterator[Finding]:
    repeated = [meds for meds in ctx.active_drugs().values() if len(meds) > 1]
    for meds in sorted(repeated, key=lambda m: m[0].drug):
        entries = list(dict.fromkeys(m.index for m in meds))
        if len(entries) < 2:
            continue
        yield repeat_finding(
            meds[0].drug, tuple(next(m.input for m in meds if m.index == i) for i in entries)
        )


def repeat_finding(drug: str, inputs: tuple[str, ...]) -> Finding:
    """The finding for one drug written as these entries (their inputs, in list order)."""
    return same_drug_listed_twice.finding(
        drugs=[drug],
        message=f"{drug} appears in {len(inputs)} entries: "
        + "; ".join(f"'{t}'" for t in inputs)
        + ".",
        recommendation="Check whether both entries are given; keep one entry with the total dose.",
    )
