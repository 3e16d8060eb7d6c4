"""A structure against the KB: identity by InChIKey, classes by SMARTS, neighbours by similarity.

``match_structure(kb, text)`` is what both ``pharmcheck classify`` and the check use for a
medication given as a structure. It standardises the input to its neutral parent (so a
salt matches its drug), looks the parent's InChIKey up, runs the KB's class patterns and
compares its Morgan fingerprint with every stored one in a single
``BulkTanimotoSimilarity`` call.

Importing this module does not import RDKit; :mod:`pharmcheck.chem` is loaded on the first
structure, and the compiled patterns and fingerprints are loaded once per open KB.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any, NamedTuple

from pharmcheck.extras import require_extra
from pharmcheck.kb.derived import unpack_on_bits
from pharmcheck.kb.risk import GRADE_ORDER, risk_assertion

if TYPE_CHECKING:
    from pharmcheck.kb.store import KnowledgeBase

#: Tanimoto similarity (Morgan radius 2, 2048 bits) from which a drug counts as a close neighbour.
#: 0.7 is a conservative cut: on ECFP4-like fingerprints, pairs above it are mostly close analogues.
SIMILARITY_THRESHOLD = 0.7
MAX_NEIGHBOURS = 5


class Neighbour(NamedTuple):
    """A KB drug structurally close to the query: (drug, similarity, myoclonus_grade, drug_id)."""

    drug: str
    similarity: float
    myoclonus_grade: str | None
    drug_id: int


@dataclass(frozen=True)
class ClassHit:
    """A class whose SMARTS the structure matches, and the pattern's reference."""

    name: str
    reference: str


@dataclass(frozen=True)
class StructureMatch:
    """What the KB says about one structure. ``error`` is set (and nothing else) if it does not
    parse."""

    input: str
    standardized_smiles: str | None = None
    inchikey: str | None = None
    error: str | None = None
    drug_id: int | None = None
    drug: str | None = None
    classes: tuple[ClassHit, ...] = ()
    neighbours: tuple[Neighbour, ...] = ()
    fragments: int = 1

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def class_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.classes)

    def graded_neighbours(self) -> tuple[Neighbour, ...]:
        return tuple(n for n in self.neighbours if n.myoclonus_grade is not None)

    def prediction(self, kb: KnowledgeBase) -> dict[str, Any]:
        """Whether the structure is myoclonus-relevant, and on what basis (never a curated fact)."""
        if self.drug is not None:
            grade = myoclonus_grade(kb, self.drug_id) if self.drug_id is not None else None
            basis = (
                f"identical to {self.drug} (InChIKey); its curated myoclonus grade is {grade}"
                if grade
                else f"identical to {self.drug} (InChIKey), which has no myoclonus-risk assertion"
            )
            return {"myoclonus_relevant": grade is not None, "basis": basis}
        reasons = []
        for hit in self.classes:
            grade = class_grade(kb, hit.name)
            if grade is not None:
                reasons.append(
                    f"matches the {hit.name} substructure (class myoclonus grade {grade})"
                )
        for neighbour in self.graded_neighbours()[:3]:
            reasons.append(
                f"similar to {neighbour.drug} (Tanimoto {neighbour.similarity:.2f}, "
                f"myoclonus grade {neighbour.myoclonus_grade})"
            )
        if not reasons:
            return {
                "myoclonus_relevant": False,
                "basis": (
                    "no myoclonus-relevant class substructure and no close neighbour with a "
                    "myoclonus grade"
                ),
            }
        return {
            "myoclonus_relevant": True,
            "basis": "predicted, not curated (grade at most possible): " + "; ".join(reasons),
        }

    def to_dict(self, kb: KnowledgeBase) -> dict[str, Any]:
        """The ``pharmcheck classify`` JSON."""
        return {
            "input": self.input,
            "standardized_smiles": self.standardized_smiles,
            "inchikey": self.inchikey,
            "match": {"drug": self.drug, "by": "inchikey"} if self.drug is not None else None,
            "classes": [{"class": c.name, "by": "smarts"} for c in self.classes],
            "neighbours": [
                {
                    "drug": n.drug,
                    "similarity": round(n.similarity, 2),
                    "myoclonus_grade": n.myoclonus_grade,
                }
                for n in self.neighbours
            ],
            "prediction": self.prediction(kb),
        }


def load_chem() -> ModuleType:
    """:mod:`pharmcheck.chem`, or the error naming the extra that installs RDKit."""
    require_extra("chem", "a structure (SMILES, InChI or molfile)")
    from pharmcheck import chem

    return chem


class _Index:
    """Compiled class patterns and fingerprints of one KB, built on first use."""

    def __init__(self, kb: KnowledgeBase):
        chem = load_chem()
        self.patterns = []
        for class_name, smarts, ref in kb.structure_patterns():
            pattern = chem.compile_smarts(smarts)
            if not isinstance(pattern, chem.StructureError):
                self.patterns.append((class_name, pattern, ref))
        self.drug_ids, blobs = kb.fingerprints()
        self.fingerprints = [chem.fingerprint_from_on_bits(unpack_on_bits(b)) for b in blobs]


_INDEXES: weakref.WeakKeyDictionary[Any, _Index] = weakref.WeakKeyDictionary()
# RDKit's shared standardisers and the index are not documented as thread-safe: one structure
# at a time (structures are rare in a medication list; names never wait on this).
_RDKIT_LOCK = threading.RLock()


def index(kb: KnowledgeBase) -> _Index:
    """The KB's structure index (patterns and fingerprints), loaded once per KB object."""
    with _RDKIT_LOCK:
        found = _INDEXES.get(kb)
        if found is None:
            found = _INDEXES[kb] = _Index(kb)
        return found


def match_structure(
    kb: KnowledgeBase, text: str, threshold: float = SIMILARITY_THRESHOLD
) -> StructureMatch:
    """Parse ``text`` (SMILES, InChI or molfile block) and describe it against ``kb``.

    Raises :class:`~pharmcheck.extras.MissingExtraError` when RDKit (``pharmcheck[chem]``) is
    not installed: a structure is then not checked, never silently."""
    with _RDKIT_LOCK:
        return _match_structure(kb, text, threshold)


def _match_structure(kb: KnowledgeBase, text: str, threshold: float) -> StructureMatch:
    chem = load_chem()

    parsed = chem.parse_parent(text)
    if isinstance(parsed, chem.StructureError):
        return StructureMatch(input=text, error=parsed.reason)
    structure, mol = parsed
    idx = index(kb)
    exact = kb.drug_by_inchikey(structure.inchikey)
    classes = tuple(
        ClassHit(name, ref)
        for name, pattern, ref in idx.patterns
        if chem.has_substructure(mol, pattern)
    )
    neighbours: list[Neighbour] = []
    if idx.fingerprints:
        scores = chem.bulk_tanimoto(chem.fingerprint(mol), idx.fingerprints)
        close = sorted(((s, i) for i, s in enumerate(scores) if s >= threshold), reverse=True)
        for score, position in close:
            drug_id = idx.drug_ids[position]
            if exact is not None and drug_id == exact[0]:
                continue
            neighbours.append(
                Neighbour(
                    kb.drug_name(drug_id), float(score), myoclonus_grade(kb, drug_id), drug_id
                )
            )
            if len(neighbours) >= MAX_NEIGHBOURS:
                break
    return StructureMatch(
        input=text,
        standardized_smiles=structure.smiles,
        inchikey=structure.inchikey,
        drug_id=exact[0] if exact else None,
        drug=exact[1] if exact else None,
        classes=classes,
        neighbours=tuple(neighbours),
        fragments=structure.fragments,
    )


def myoclonus_grade(kb: KnowledgeBase, drug_id: int) -> str | None:
    """The drug's curated myoclonus grade: that of the assertion that speaks for it, counting
    only curated class memberships (a neighbour's grade must be a curated fact)."""
    found = risk_assertion(kb, drug_id, curated_classes_only=True)
    return found.grade if found else None


def class_grade(kb: KnowledgeBase, class_name: str) -> str | None:
    """The grade of a class-level myoclonus assertion, if the KB has one."""
    class_id = kb.class_ids.get(class_name)
    grades = [str(f["grade"]) for f in kb.risks if f.values.get("class_id") == class_id]
    return min(grades, key=GRADE_ORDER.index) if grades else None
