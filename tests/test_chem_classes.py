"""Class SMARTS: per-class positives and negatives, inferred memberships, and KB review."""

from __future__ import annotations

import csv

import pytest

pytest.importorskip("rdkit", reason="needs the chem extra (RDKit)")

from pharmcheck import chem
from pharmcheck.kb.sources import split_list
from pharmcheck.paths import sources_dir

PATTERN_ROWS = [
    row
    for path in sorted((sources_dir() / "smarts").glob("*.csv"))
    for row in csv.DictReader(path.read_text(encoding="utf-8").splitlines())
]
REQUIRED_CLASSES = {
    "fluoroquinolone",
    "cephalosporin",
    "carbapenem",
    "penicillin",
    "benzodiazepine",
    "morphinan",
    "phenylpiperidine",
    "dibenzazepine",
    "barbiturate",
    "phenothiazine",
}


def _cases(kind: str) -> list[object]:
    return [
        pytest.param(row["class"], row["smarts"], drug, id=f"{row['class']}-{drug}")
        for row in PATTERN_ROWS
        for drug in split_list(row[kind])
    ]


def _structure(kb, name: str):  # type: ignore[no-untyped-def]
    hits = kb.names_by_lower_key(name)
    assert hits, f"{name} is not in the KB"
    smiles = kb.drug_row(hits[0].drug_id)["smiles"]
    assert smiles, f"{name} has no stored structure"
    mol = chem.mol_from_parent_smiles(smiles)
    assert mol is not None
    return mol


def test_every_required_class_has_a_pattern_with_a_reference(kb) -> None:  # type: ignore[no-untyped-def]
    assert REQUIRED_CLASSES <= {row["class"] for row in PATTERN_ROWS}
    for row in PATTERN_ROWS:
        assert row["class"] in kb.class_ids
        assert row["ref_id"] in kb.reference_by_key, row["ref_id"]
        assert split_list(row["positives"]) and split_list(row["negatives"]), row["class"]
    stored = {(c, s) for c, s, _ in kb.structure_patterns()}
    assert {(row["class"], row["smarts"]) for row in PATTERN_ROWS} == stored


@pytest.mark.parametrize(("class_name", "smarts", "drug"), _cases("positives"))
def test_positive_matches(kb, class_name: str, smarts: str, drug: str) -> None:  # type: ignore[no-untyped-def]
    pattern = chem.compile_smarts(smarts)
    assert not isinstance(pattern, chem.StructureError)
    assert chem.has_substructure(_structure(kb, drug), pattern), (
        f"{class_name} SMARTS misses {drug}"
    )


@pytest.mark.parametrize(("class_name", "smarts", "drug"), _cases("negatives"))
def test_negative_does_not_match(kb, class_name: str, smarts: str, drug: str) -> None:  # type: ignore[no-untyped-def]
    pattern = chem.compile_smarts(smarts)
    assert not isinstance(pattern, chem.StructureError)
    assert not chem.has_substructure(_structure(kb, drug), pattern), (
        f"{class_name} SMARTS matches {drug}"
    )


@pytest.mark.parametrize(
    ("smiles", "class_name"),
    [
        (
            "CCN1C=C(C(=O)O)C(=O)c2cc(F)c(N3CCNCC3)cc21.Cl",
            "fluoroquinolone",
        ),  # norfloxacin hydrochloride
        (
            "CC1(C)S[C@@H]2[C@H](NC(=O)Cc3ccccc3)C(=O)N2[C@H]1C(=O)[O-].[K+]",
            "penicillin",
        ),  # penicillin G potassium
        (
            "CCC1(c2ccccc2)C(=O)N=C(O)NC1=O",
            "barbiturate",
        ),  # phenobarbital drawn as its enol tautomer
    ],
)
def test_salts_and_tautomers_still_match(kb, smiles: str, class_name: str) -> None:  # type: ignore[no-untyped-def]
    from pharmcheck.structures import match_structure

    assert class_name in match_structure(kb, smiles).class_names


# Fluoroquinolones in the vocabulary; curators may add some of them to the curated tables over time,
# and only structures the second source confirms are stored, so the tests use whichever are still
# uncurated and have a structure.
FLUOROQUINOLONE_CANDIDATES = (
    "delafloxacin",
    "gemifloxacin",
    "sitafloxacin",
    "besifloxacin",
    "trovafloxacin",
    "gatifloxacin",
    "grepafloxacin",
    "sparfloxacin",
    "lomefloxacin",
)


def _uncurated_fluoroquinolones(kb) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    found = []
    for name in FLUOROQUINOLONE_CANDIDATES:
        hits = kb.names_by_lower_key(name)
        if not hits:
            continue
        drug_id = hits[0].drug_id
        if not kb.drug_row(drug_id)["smiles"]:
            continue
        if not any(
            m.class_name == "fluoroquinolone" and m.basis == "curated"
            for m in kb.classes_of(drug_id)
        ):
            found.append((drug_id, name))
    return found


def test_fluoroquinolone_missing_from_curated_list_is_inferred(kb) -> None:  # type: ignore[no-untyped-def]
    missing = _uncurated_fluoroquinolones(kb)
    assert missing, "every candidate is curated: add another uncurated fluoroquinolone here"
    for drug_id, name in missing:
        memberships = {m.class_name: m for m in kb.classes_of(drug_id)}
        assert "fluoroquinolone" in memberships, name
        assert memberships["fluoroquinolone"].basis == "inferred"
        assert memberships["fluoroquinolone"].source == "smarts:fluoroquinolone"


def test_curated_membership_is_not_duplicated_as_inferred(kb) -> None:  # type: ignore[no-untyped-def]
    drug_id = kb.names_by_lower_key("ciprofloxacin")[0].drug_id
    fq = [m for m in kb.classes_of(drug_id) if m.class_name == "fluoroquinolone"]
    assert [m.basis for m in fq] == ["curated"]


def test_inferred_class_gives_a_class_finding_that_says_so(kb, checker) -> None:  # type: ignore[no-untyped-def]
    from pharmcheck.domain import Medication

    own_risk = {f["drug_id"] for f in kb.risks if f["drug_id"] is not None}
    name = next(n for drug_id, n in _uncurated_fluoroquinolones(kb) if drug_id not in own_risk)
    report = checker.check([Medication(name)])
    causative = [f for f in report.findings if f.code == "PC101" and f.drugs == (name,)]
    assert causative, [f.code for f in report.findings]
    assert "class fluoroquinolone, inferred from structure" in causative[0].message
    curated = checker.check([Medication("ciprofloxacin")])
    cipro = next(f for f in curated.findings if f.code == "PC101")
    order = ("high", "moderate", "low", "very-low")
    assert "inferred" not in cipro.message
    assert order.index(causative[0].evidence) > order.index(
        "moderate"
    )  # MR lowered one step for the inference


def test_verify_lists_class_disagreements_for_review_without_failing(kb_url: str) -> None:
    from pharmcheck.kb.verify import verify

    result = verify(kb_url)
    assert result["ok"], [c for c in result["checks"] if c["problems"]]
    review = {r["name"]: r["items"] for r in result["review"]}
    items = review["curated classes agree with SMARTS"]
    assert "benzodiazepine: curated member clobazam does not match the class SMARTS" in items
    assert "barbiturate: curated member primidone does not match the class SMARTS" in items
    assert any(i.startswith("fluoroquinolone: ") and "matches the class SMARTS" in i for i in items)
    assert not any(i.startswith("morphinan:") for i in items)  # purely structural class
