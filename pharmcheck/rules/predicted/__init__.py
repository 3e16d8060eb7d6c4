"""PC8xx: predictions for compounds given as structures that match no drug in the KB.

A structure that is not identical (by parent InChIKey) to a KB drug has no curated facts.
These rules say what its structure suggests, and say plainly that it is a prediction:
titles contain "predicted", evidence is always "very-low", severity at most minor, and
the grade offered is never above "possible" whatever the class or neighbour's own grade.

They read ``ctx.structures`` (``pharmcheck.structures.StructureMatch`` values), which the
engine fills only when a medication was given as a structure; this module never imports
RDKit.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pharmcheck.domain import Finding, Severity
from pharmcheck.rules.base import CheckContext, Example, RuleDoc, cite, rule
from pharmcheck.rules.causative import risk_assertion

PREDICTED_GRADE = "possible"  # the ceiling for anything inferred from structure alone
_CIPROFLOXACIN_8_CHLORO = "O=C(O)c1cn(C2CC2)c2c(Cl)c(N3CCNCC3)c(F)cc2c1=O"
_PETHIDINE_PROPYL_ESTER = "CCCOC(=O)C1(c2ccccc2)CCN(C)CC1"
_UNRELATED = "OCc1ccc(-c2ccccn2)cc1C#N"


def _label(found: Any) -> str:
    text = str(found.input).strip()
    return f"structure {text}" if len(text) <= 40 else f"structure {found.inchikey}"


@rule(
    code="PC801",
    name="predicted-class-member",
    category="causative",
    severity=Severity.MINOR,
    evidence="very-low",
    title="Predicted member of a myoclonus-risk class (by substructure)",
    doc=RuleDoc(
        what="A compound given as a structure that is no KB drug but contains the defining "
        "substructure (SMARTS in db/smarts) of a class that has a curated class-level "
        "myoclonus-risk assertion (fluoroquinolones, cephalosporins, carbapenems, penicillins "
        "...). The finding names the class; its grade is at most possible and its severity at "
        "most minor, whatever the class's own grade.",
        why="Class membership by structure is how an unlisted or new drug is first recognised as, "
        "for example, "
        "a fluoroquinolone; the class's neurotoxicity (GABA-A antagonism) is a class effect.",
        limits="A prediction, not a curated fact: a substructure does not prove the "
        "pharmacology. Classes without a class-level assertion (morphinans, phenothiazines ...) "
        "give no PC801 finding; PC802 covers close neighbours with their own grades.",
        references="SMARTS references in db/references/chem.csv (e.g. CHEM-QUIN16, "
        "CHEM-BLACTAM61) and the class's risk assertion",
    ),
    examples=(
        Example(
            (_CIPROFLOXACIN_8_CHLORO,),
            severity=Severity.MINOR,
            says="predicted to belong to class fluoroquinolone",
        ),
        Example((_UNRELATED,), flagged=False),
        Example(("ciprofloxacin 500 mg bd",), flagged=False),
    ),
)
def predicted_class_member(ctx: CheckContext) -> Iterator[Finding]:
    kb = ctx.kb
    for found in ctx.structures:
        for hit in found.classes:
            class_id = kb.class_ids.get(hit.name)
            facts = [f for f in kb.risks if f.values.get("class_id") == class_id]
            if not facts:
                continue
            label = kb.classes[class_id][1] if class_id is not None else hit.name
            grades = ", ".join(sorted({str(f["grade"]) for f in facts}))
            yield predicted_class_member.finding(
                drugs=[_label(found)],
                message=(
                    f"{_label(found)} is predicted to belong to class {hit.name} ({label}) "
                    "because it contains the class's defining substructure (SMARTS); it is not a "
                    "curated member. The "
                    f"class's curated myoclonus risk is graded {grades}; for this compound the "
                    "predicted "
                    f"grade is {PREDICTED_GRADE}."
                ),
                recommendation=(
                    f"Treat it as a possible {hit.name} for myoclonus screening: monitor for "
                    "myoclonus, confusion and seizures, especially with renal impairment or high "
                    "doses, and confirm its identity and class."
                ),
                references=[hit.reference, *cite(facts)],
            )


@rule(
    code="PC802",
    name="structural-neighbour",
    category="causative",
    severity=Severity.MINOR,
    evidence="very-low",
    title="Predicted risk from a structurally similar myoclonus-causing drug",
    doc=RuleDoc(
        what="A compound given as a structure that is no KB drug but whose Morgan fingerprint "
        "(radius 2, 2048 bits) has a Tanimoto similarity of at least 0.7 to a KB drug with a "
        "curated myoclonus-risk grade. The message names the closest such neighbour and the "
        "similarity score; the grade offered is at most possible and the severity at most minor.",
        why="Close structural analogues often share pharmacology and toxicity; a new analogue of "
        "a drug known "
        "to cause myoclonus deserves the same watchfulness until its own profile is known.",
        limits="Similarity is not identity: small changes can remove or add an effect. 0.7 is a "
        "conservative threshold for ECFP4-like fingerprints; analogues below it are not reported.",
        references="Neighbour's curated risk assertion; fingerprints computed at KB build time "
        "from trusted structures",
    ),
    examples=(
        Example(
            (_PETHIDINE_PROPYL_ESTER,),
            severity=Severity.MINOR,
            says="structurally similar to pethidine",
        ),
        Example((_UNRELATED,), flagged=False),
        Example(("pethidine 50 mg q4h",), flagged=False),
    ),
)
def structural_neighbour(ctx: CheckContext) -> Iterator[Finding]:
    for found in ctx.structures:
        graded = found.graded_neighbours()
        if not graded:
            continue
        best = graded[0]
        others = ", ".join(
            f"{n.drug} ({n.similarity:.2f}, {n.myoclonus_grade})" for n in graded[1:3]
        )
        assertion = risk_assertion(ctx, best.drug_id)
        yield structural_neighbour.finding(
            drugs=[_label(found)],
            message=(
                f"{_label(found)} is structurally similar to {best.drug} (Tanimoto similarity "
                f"{best.similarity:.2f}, Morgan fingerprints), whose curated myoclonus risk is "
                "graded "
                f"{best.myoclonus_grade}"
                + (f"; other close neighbours: {others}" if others else "")
                + ". Predicted, not curated: for this compound the predicted grade is "
                f"{PREDICTED_GRADE}."
            ),
            recommendation=(
                f"Monitor for myoclonus as you would for {best.drug}, and confirm the compound's "
                "identity and its own safety information."
            ),
            references=[r.cite() for r in assertion[0].references] if assertion else [],
        )
