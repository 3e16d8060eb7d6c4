"""Tests for pharmcheck.chem: parsing never raises, salts reduce to the parent, identity is
stable."""

from __future__ import annotations

import pytest

pytest.importorskip("rdkit", reason="needs the chem extra (RDKit)")

from hypothesis import given, settings
from hypothesis import strategies as st
from rdkit import Chem, DataStructs

from pharmcheck import chem

TRAMADOL = "CN(C)CC1CCCCC1(C2=CC(=CC=C2)OC)O"
TRAMADOL_HCL = TRAMADOL + ".Cl"

# Drugs relevant to myoclonus checks, as parents and as salts (some with stereo).
DRUG_SMILES = [
    TRAMADOL,
    TRAMADOL_HCL,
    "CN1CC[C@]23[C@@H]4[C@H]1CC5=C2C(=C(C=C5)O)O[C@H]3[C@H](C=C4)O",  # morphine
    "CCC(=O)N(C1CCN(CC1)CCC2=CC=CC=C2)C3=CC=CC=C3",  # fentanyl
    "CCCC(CCC)C(=O)[O-].[Na+]",  # sodium valproate
    "CNCC[C@@H](OC1=CC=C(C=C1)C(F)(F)F)C1=CC=CC=C1.Cl",  # fluoxetine hydrochloride
    "NC(=O)N1C2=CC=CC=C2C=CC2=CC=CC=C12",  # carbamazepine
    "O=C1CN=C(C2=CC=CC=C2)C2=CC(Cl)=CC=C2N1",  # nordazepam
    "CC(=O)NC1=CC=C(O)C=C1",  # paracetamol
    "NC(=O)C[C@@H]1CCCN1C(=O)C",  # a levetiracetam-like amide
    "CC[C@H](C(N)=O)N1CCCC1=O",  # levetiracetam
    "C[N+](C)(C)CCOC(C)=O.[Cl-]",  # acetylcholine chloride (permanent cation)
    "OC(=O)CCC1=CC=CC=C1",  # acid
    "CN1CCCN=C1/C=C/c1cccs1.O=C(O)c1cc2ccccc2c(Cc2c(O)c(C(=O)O)cc3ccccc23)c1O",  # pyrantel pamoate
    "NC(=[NH2+])NCCC[C@H](N)C(=O)[O-]",  # arginine zwitterion
    "O=[N+]([O-])c1ccc(O)cc1",  # nitro group
]


def inchikey(smiles: str) -> str:
    structure = chem.parse_structure(smiles)
    assert isinstance(structure, chem.Structure), structure
    return structure.inchikey


def test_salt_standardises_to_parent() -> None:
    salt = chem.parse_structure(TRAMADOL_HCL)
    parent = chem.parse_structure(TRAMADOL)
    assert isinstance(salt, chem.Structure) and isinstance(parent, chem.Structure)
    assert salt.inchikey == parent.inchikey == "TVYLLZQTGLZFBW-UHFFFAOYSA-N"
    assert salt.smiles == parent.smiles
    assert salt.formula == "C16H25NO2"  # the parent's formula, not the salt's
    assert (salt.fragments, parent.fragments) == (2, 1)


def test_counter_ion_larger_than_drug_is_still_dropped() -> None:
    # Pamoic acid is bigger than pyrantel; the largest-fragment rule alone would keep it.
    assert inchikey(DRUG_SMILES[13]) == inchikey("CN1CCCN=C1/C=C/c1cccs1")


def test_charged_forms_are_uncharged() -> None:
    assert inchikey("CCCC(CCC)C(=O)[O-].[Na+]") == inchikey("CCCC(CCC)C(=O)O")
    assert inchikey("C[NH+](C)CCCN1c2ccccc2CCc2ccccc21.[Cl-]") == inchikey(
        "CN(C)CCCN1c2ccccc2CCc2ccccc21"
    )


@pytest.mark.parametrize(
    "text", ["C1CC", "C(C", "not a smiles", "", "   ", "Xy", "c1ccccc", "InChI=1S/garbage"]
)
def test_bad_input_is_an_error_value(text: str) -> None:
    result = chem.parse_structure(text)
    assert isinstance(result, chem.StructureError)
    assert result.reason


def test_non_string_input_is_an_error_value() -> None:
    assert isinstance(chem.parse_structure(None), chem.StructureError)  # type: ignore[arg-type]


def test_smiles_with_trailing_text_is_refused() -> None:
    # RDKit would read "CCO N" as ethanol named "N"; silently dropping text is unsafe.
    assert isinstance(chem.parse_structure("CCO N"), chem.StructureError)


def test_inchi_input() -> None:
    inchi = Chem.MolToInchi(Chem.MolFromSmiles(TRAMADOL))
    result = chem.parse_structure(inchi)
    assert isinstance(result, chem.Structure)
    assert result.input_format == "inchi"
    assert result.inchikey == inchikey(TRAMADOL)


def test_molfile_input() -> None:
    block = Chem.MolToMolBlock(Chem.MolFromSmiles(TRAMADOL_HCL))
    assert "M  END" in block
    result = chem.parse_structure(block)
    assert isinstance(result, chem.Structure)
    assert result.input_format == "molfile"
    assert result.inchikey == inchikey(TRAMADOL)


def test_broken_molfile_is_an_error_value() -> None:
    assert isinstance(chem.parse_structure("junk\n\n\n  1  0\nM  END\n"), chem.StructureError)


def test_fingerprint_as_the_kb_stores_it_round_trips() -> None:
    from pharmcheck.kb.derived import pack_on_bits, unpack_on_bits

    mol = Chem.MolFromSmiles(TRAMADOL)
    vector = chem.fingerprint(mol)
    assert vector.GetNumBits() == 2048 and vector.GetNumOnBits() > 10
    stored = pack_on_bits(chem.fingerprint_on_bits(mol))
    assert len(stored) == 2 * vector.GetNumOnBits()
    again = chem.fingerprint_from_on_bits(unpack_on_bits(stored))
    assert again == vector
    assert DataStructs.TanimotoSimilarity(again, vector) == 1.0


def test_a_fingerprint_in_another_form_is_a_kb_error_never_misread() -> None:
    from pharmcheck.errors import KnowledgeBaseError
    from pharmcheck.kb.derived import unpack_on_bits

    rdkit_binary = chem.fingerprint(Chem.MolFromSmiles(TRAMADOL)).ToBinary()
    with pytest.raises(KnowledgeBaseError, match="db build"):
        unpack_on_bits(rdkit_binary)
    with pytest.raises(KnowledgeBaseError):
        unpack_on_bits(b"\x05\x00\x03\x00")  # not in increasing order


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CC(=O)Oc1ccccc1C(=O)O", True),
        ("c1ccccc1", True),
        ("[Na+].[Cl-]", True),
        (TRAMADOL, True),
        ("tramadol", False),
        ("Morphine", False),
        ("CO", False),  # too short and no structural mark: more likely an abbreviation
        ("NSC", False),
        ("C1CC", False),  # SMILES-like but does not parse
        ("CCO N", False),
        ("InChI=1S/CH4/h1H4", False),
        ("", False),
    ],
)
def test_looks_like_smiles(text: str, expected: bool) -> None:
    assert chem.looks_like_smiles(text) is expected


@settings(max_examples=60, deadline=None)
@given(smiles=st.sampled_from(DRUG_SMILES))
def test_standardisation_is_idempotent(smiles: str) -> None:
    mol = Chem.MolFromSmiles(smiles)
    once = chem.standardize(mol)
    twice = chem.standardize(once)
    assert Chem.MolToSmiles(once) == Chem.MolToSmiles(twice)
    first = chem.parse_structure(smiles)
    assert isinstance(first, chem.Structure)
    again = chem.parse_structure(first.smiles)
    assert isinstance(again, chem.Structure)
    assert (again.smiles, again.inchikey, again.formula) == (
        first.smiles,
        first.inchikey,
        first.formula,
    )


@settings(max_examples=100, deadline=None)
@given(smiles=st.sampled_from(DRUG_SMILES), seed=st.integers(min_value=0, max_value=2**31 - 1))
def test_inchikey_is_independent_of_smiles_writing(smiles: str, seed: int) -> None:
    mol = Chem.MolFromSmiles(smiles)
    (randomised,) = Chem.MolToRandomSmilesVect(mol, 1, randomSeed=seed)
    assert inchikey(randomised) == inchikey(smiles)


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet="CNOSclnos()[]=#123+-.@/\\ HBrFI", max_size=40))
def test_parsing_never_raises(text: str) -> None:
    result = chem.parse_structure(text)
    assert isinstance(result, (chem.Structure, chem.StructureError))
    assert isinstance(chem.looks_like_smiles(text), bool)
