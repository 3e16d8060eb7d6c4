"""Which myoclonus-risk assertion speaks for a drug: one answer for the rules, `drug show` and
the grades of a structure's neighbours."""

from __future__ import annotations

from dataclasses import dataclass

from pharmcheck.kb.store import Fact, KnowledgeBase

#: Myoclonus-risk grades, strongest first.
GRADE_ORDER = ("known", "probable", "conditional", "possible")


@dataclass(frozen=True)
class RiskAssertion:
    """A risk assertion and how it reaches the drug: its own, or through a class it is in."""

    fact: Fact
    via_class: str | None = None
    inferred: bool = False  # in that class by structure only, not by curation

    @property
    def grade(self) -> str:
        return str(self.fact["grade"])


def risk_assertion(
    kb: KnowledgeBase, drug_id: int, *, curated_classes_only: bool = False
) -> RiskAssertion | None:
    """The drug's own assertion if it has one, else its classes' (curated memberships before
    inferred ones); among equals the strongest grade, then the first in the KB. A neighbour's
    grade (``curated_classes_only``) must be a curated fact, so inferred classes do not count."""
    return kb.memo(
        ("risk-assertion", drug_id, curated_classes_only),
        _select,
        kb,
        drug_id,
        curated_classes_only,
    )


def _select(kb: KnowledgeBase, drug_id: int, curated_classes_only: bool) -> RiskAssertion | None:
    basis: dict[str, str] = {}
    for membership in kb.classes_of(drug_id):
        basis.setdefault(membership.class_name, membership.basis)
    candidates = []
    for fact in kb.risks:
        if fact.values.get("drug_id") is not None:
            if fact["drug_id"] == drug_id:
                candidates.append(RiskAssertion(fact))
            continue
        class_id = fact.values.get("class_id")
        name = kb.classes[int(class_id)][0] if class_id is not None else None
        if name is None or name not in basis:
            continue
        if curated_classes_only and basis[name] != "curated":
            continue
        candidates.append(RiskAssertion(fact, name, basis[name] == "inferred"))
    return min(
        candidates,
        key=lambda a: (a.via_class is not None, a.inferred, GRADE_ORDER.index(a.grade)),
        default=None,
    )
