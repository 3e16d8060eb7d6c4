"""Chemical structures: parsing, standardisation, identity and fingerprints.

This is the only module of pharmcheck that imports RDKit. Keeping RDKit behind one
small seam means the rest of the package (name lookup, rules, reports) starts fast and
works without touching chemistry; this module is imported only when a structure is
actually involved (a SMILES/InChI/molfile on input, or the build-time vocabulary import).

Design rules:

* Parsing never raises. User input and third-party data are full of broken structures,
  so every entry point returns a value: a :class:`Structure` or a :class:`StructureError`
  that says why. Callers branch on the type instead of wrapping calls in ``try``.
* Identity is the *standardised neutral parent*: largest fragment (drops counter-ions
  and solvent), then uncharged. Tramadol hydrochloride and tramadol base are the same
  drug for safety checking, so they must get the same InChIKey.
* RDKit logging is silenced: a checker that prints valence warnings into a clinical
  report is worse than one that returns a clear error value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, cast

from rdkit import Chem, DataStructs, RDLogger
from rdkit.Chem import rdFingerprintGenerator, rdMolDescriptors
from rdkit.Chem.MolStandardize import rdMolStandardize

from pharmcheck.smiles_text import MAX_ATOMS, MAX_CHARS, atom_count

RDLogger.DisableLog("rdApp.*")  # type: ignore[attr-defined]  # missing from RDKit's stubs

InputFormat = Literal["smiles", "inchi", "molfile"]

MAX_INPUT_CHARS = MAX_CHARS  # one cap for the RDKit-free guess and the parser

# Built once: these objects are reusable and building them per call is the slow part.
_NORMALIZER = rdMolStandardize.Normalizer()
_LARGEST = rdMolStandardize.LargestFragmentChooser(preferOrganic=True)
_UNCHARGER = rdMolStandardize.Uncharger()
_MORGAN_BITS = 2048
_MORGAN = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=_MORGAN_BITS)


@dataclass(frozen=True)
class Structure:
    """Identity of a standardised neutral parent.

    Plain strings only, so it can be compared, hashed, cached and written to the KB.
    ``smiles`` is RDKit canonical SMILES (isomeric); ``inchikey`` is the key used for
    matching; ``formula`` is the Hill formula of the parent (not of the salt).
    ``fragments`` counts the disconnected parts of the *input*, so a caller can tell a
    single neutral parent (1) from a salt or mixture that standardisation reduced.
    """

    smiles: str
    inchikey: str
    formula: str
    input_format: InputFormat = "smiles"
    fragments: int = 1


@dataclass(frozen=True)
class StructureError:
    """Why a text could not be turned into a :class:`Structure` (never an exception)."""

    text: str
    reason: str


def detect_format(text: str) -> InputFormat:
    """Guess the notation from unambiguous markers (InChI prefix, molfile terminator)."""
    stripped = text.strip()
    if stripped.startswith("InChI="):
        return "inchi"
    if "M  END" in text:
        return "molfile"
    return "smiles"


def parse_mol(text: str) -> Chem.Mol | StructureError:
    """Parse SMILES, InChI or a molfile block into a sanitised RDKit molecule, as given.

    No standardisation happens here, so callers that need the full record (all
    fragments, the salt's formula) can still see it.
    """
    if not isinstance(text, str) or not text.strip():
        return StructureError(str(text), "empty")
    if len(text) > MAX_INPUT_CHARS:
        return StructureError(text[:80], "too-long")
    fmt = detect_format(text)
    mol: Chem.Mol | None
    try:
        if fmt == "inchi":
            mol = Chem.MolFromInchi(text.strip())
        elif fmt == "molfile":
            mol = Chem.MolFromMolBlock(text)
        else:
            smiles = text.strip()
            # RDKit silently treats anything after whitespace as a molecule name, so
            # "CCO N" would parse as ethanol; refuse instead (CXSMILES "|...|" excepted).
            if re.search(r"\s", smiles) and not re.search(r"\s\|", smiles):
                return StructureError(text, "whitespace-in-smiles")
            if atom_count(smiles) > MAX_ATOMS:
                return StructureError(text[:80], "too-many-atoms")
            mol = Chem.MolFromSmiles(smiles)
    except Exception as exc:  # noqa: BLE001 - RDKit's errors share no base class; never raise
        return StructureError(text, f"unparsable {fmt}: {type(exc).__name__}")
    if mol is None:
        return StructureError(text, f"unparsable {fmt}")
    if mol.GetNumAtoms() == 0:
        return StructureError(text, "no-atoms")
    if mol.GetNumHeavyAtoms() > MAX_ATOMS:  # an InChI or a molfile, counted once parsed
        return StructureError(text[:80], "too-many-atoms")
    return mol


def standardize(mol: Chem.Mol, canonical_tautomer: bool = False) -> Chem.Mol:
    """Return the neutral parent: normalise, drop counter-ions, keep the largest fragment, uncharge.

    Normalisation first makes e.g. charge-separated and pentavalent nitro groups agree.
    Known pharmaceutical counter-ions and solvents are dropped *before* choosing the
    largest fragment, because some are bigger than the drug (pamoate > pyrantel, tannate
    > chlorphenamine) and the largest-fragment rule alone would return the counter-ion.
    The largest remaining (organic-preferred) fragment is then uncharged, so a protonated
    amine or a carboxylate becomes the neutral drug. Tautomer canonicalisation is optional
    (off by default) because it is slow on large molecules and can move bonds that a
    curator drew on purpose. Idempotent: standardising a parent returns the same parent.
    """
    parent = _NORMALIZER.normalize(mol)
    kept = drug_fragments(parent)
    if len(kept) != len(Chem.GetMolFrags(parent)):
        parent = kept[0]
        for fragment in kept[1:]:
            parent = Chem.CombineMols(parent, fragment)
    parent = _LARGEST.choose(parent)
    parent = _UNCHARGER.uncharge(parent)
    if canonical_tautomer:
        parent = rdMolStandardize.TautomerEnumerator().Canonicalize(parent)
    Chem.SanitizeMol(parent)
    return parent


# Neutral forms of common pharmaceutical counter-ions and solvents (acids, bases, ions).
# Matched on the InChIKey skeleton (first block), which ignores protonation, charge and
# stereo, so maleate/fumarate/maleic acid or tartrate/bitartrate all match one entry.
# Deliberately left out: ions that are themselves active drugs (salicylate, nicotinate,
# choline, procaine), so a salt of two actives stays visible as a mixture.
COUNTER_IONS: dict[str, str] = {
    "water": "O",
    "ammonia": "N",
    "hydrogen peroxide": "OO",
    "sulfuric acid": "OS(=O)(=O)O",
    "phosphoric acid": "OP(=O)(O)O",
    "nitric acid": "O[N+](=O)[O-]",
    "perchloric acid": "OCl(=O)(=O)=O",
    "carbonic acid": "OC(=O)O",
    "acetic acid": "CC(=O)O",
    "trifluoroacetic acid": "OC(=O)C(F)(F)F",
    "formic acid": "OC=O",
    "lactic acid": "CC(O)C(=O)O",
    "maleic acid": "OC(=O)C=CC(=O)O",
    "succinic acid": "OC(=O)CCC(=O)O",
    "malic acid": "OC(=O)CC(O)C(=O)O",
    "tartaric acid": "OC(=O)C(O)C(O)C(=O)O",
    "citric acid": "OC(=O)CC(O)(CC(=O)O)C(=O)O",
    "oxalic acid": "OC(=O)C(=O)O",
    "gluconic acid": "OCC(O)C(O)C(O)C(O)C(=O)O",
    "benzoic acid": "OC(=O)c1ccccc1",
    "methanesulfonic acid": "CS(=O)(=O)O",
    "ethanesulfonic acid": "CCS(=O)(=O)O",
    "isethionic acid": "OCCS(=O)(=O)O",
    "benzenesulfonic acid": "OS(=O)(=O)c1ccccc1",
    "p-toluenesulfonic acid": "Cc1ccc(cc1)S(=O)(=O)O",
    "naphthalene-2-sulfonic acid": "OS(=O)(=O)c1ccc2ccccc2c1",
    "naphthalene-1,5-disulfonic acid": "OS(=O)(=O)c1cccc2c(S(=O)(=O)O)cccc12",
    "ethane-1,2-disulfonic acid": "OS(=O)(=O)CCS(=O)(=O)O",
    "camphorsulfonic acid": "CC1(C)C2CCC1(CS(=O)(=O)O)C(=O)C2",
    "xinafoic acid": "OC(=O)c1cc2ccccc2cc1O",
    "xinafoic acid (1,2)": "OC(=O)c1ccc2ccccc2c1O",
    "pamoic acid": "OC(=O)c1cc2ccccc2c(Cc2c(O)c(C(=O)O)cc3ccccc23)c1O",
    "stearic acid": "CCCCCCCCCCCCCCCCCC(=O)O",
    "dodecyl sulfate": "CCCCCCCCCCCCOS(=O)(=O)O",
    "tromethamine": "NC(CO)(CO)CO",
    "meglumine": "CNCC(O)C(O)C(O)C(O)CO",
    "ethanolamine": "NCCO",
    "diethanolamine": "OCCNCCO",
    "diethylamine": "CCNCC",
    "tert-butylamine": "CC(C)(C)N",
    "triethanolamine": "OCCN(CCO)CCO",
    "aminomethylpropanol": "CC(C)(N)CO",
    "glycine": "NCC(=O)O",
    "aspartic acid": "NC(CC(=O)O)C(=O)O",
    "methylsulfuric acid": "COS(=O)(=O)O",
    "octanesulfonic acid": "CCCCCCCCS(=O)(=O)O",
    "butane-1,4-disulfonic acid": "OS(=O)(=O)CCCCS(=O)(=O)O",
    "adipic acid": "OC(=O)CCCCC(=O)O",
    "malonic acid": "OC(=O)CC(=O)O",
    "hibenzic acid": "OC(=O)c1ccccc1C(=O)c1ccc(O)cc1",
    "ethylenediamine": "NCCN",
    "dicyclohexylamine": "C1CCC(CC1)NC1CCCCC1",
    "benzathine": "c1ccc(CNCCNCc2ccccc2)cc1",
    "lysine": "NCCCCC(N)C(=O)O",
    "arginine": "NC(=N)NCCCC(N)C(=O)O",
    "ethanol": "CCO",
    "methanol": "CO",
    "propylene glycol": "CC(O)CO",
    "acetone": "CC(C)=O",
    "tannic acid": (
        "O=C(OCC1OC(OC(=O)c2cc(O)c(O)c(OC(=O)c3cc(O)c(O)c(O)c3)c2)C(OC(=O)c2cc(O)c(O)c(OC(=O)"
        "c3cc(O)c(O)c(O)c3)c2)C(OC(=O)c2cc(O)c(O)c(OC(=O)c3cc(O)c(O)c(O)c3)c2)C1OC(=O)c1cc(O)"
        "c(O)c(OC(=O)c2cc(O)c(O)c(O)c2)c1)c1cc(O)c(O)c(OC(=O)c2cc(O)c(O)c(O)c2)c1"
    ),
}
_counter_ion_skeletons: frozenset[str] | None = None


def _skeleton(mol: Chem.Mol) -> str:
    inchikey: str = Chem.MolToInchiKey(mol)
    return inchikey.split("-")[0]


def is_counter_ion(fragment: Chem.Mol) -> bool:
    """True for a single atom/ion (Na+, Cl-, Ca2+), a listed counter-ion or a solvent."""
    global _counter_ion_skeletons
    if fragment.GetNumHeavyAtoms() <= 1 and not any(
        a.GetAtomicNum() == 6 for a in fragment.GetAtoms()
    ):
        return True  # halides, metal ions, water, ammonia, hydroxide
    if _counter_ion_skeletons is None:
        _counter_ion_skeletons = frozenset(
            _skeleton(Chem.MolFromSmiles(smiles)) for smiles in COUNTER_IONS.values()
        )
    try:
        return _skeleton(fragment) in _counter_ion_skeletons
    except Exception:  # noqa: BLE001 - RDKit's errors share no base class
        return False


def drug_fragments(mol: Chem.Mol) -> list[Chem.Mol]:
    """Fragments that are not counter-ions or solvent; all fragments if every one is."""
    parts = fragments(mol)
    if len(parts) == 1:
        return parts
    kept = [part for part in parts if not is_counter_ion(part)]
    return kept or parts


def to_structure(
    mol: Chem.Mol, input_format: InputFormat = "smiles", text: str = "", fragments: int = 1
) -> Structure | StructureError:
    """Describe an (already standardised) molecule; errors if InChI cannot be made."""
    try:
        smiles = Chem.MolToSmiles(mol)
        inchikey = Chem.MolToInchiKey(mol)
        mol_formula = rdMolDescriptors.CalcMolFormula(mol)
    except Exception as exc:  # noqa: BLE001 - RDKit's errors share no base class
        return StructureError(text or "<mol>", f"no-identity: {type(exc).__name__}")
    if not inchikey:
        return StructureError(text or smiles, "no-inchikey")
    return Structure(smiles, inchikey, mol_formula, input_format, fragments)


def parse_structure(text: str, canonical_tautomer: bool = False) -> Structure | StructureError:
    """Parse any supported notation and return its standardised neutral parent."""
    parsed = parse_parent(text, canonical_tautomer)
    return parsed if isinstance(parsed, StructureError) else parsed[0]


def parse_parent(
    text: str, canonical_tautomer: bool = False
) -> tuple[Structure, Chem.Mol] | StructureError:
    """Like :func:`parse_structure`, and also return the standardised parent molecule itself
    (for substructure matching and fingerprints without parsing the parent SMILES again)."""
    mol = parse_mol(text)
    if isinstance(mol, StructureError):
        return mol
    try:
        parent = standardize(mol, canonical_tautomer=canonical_tautomer)
    except Exception as exc:  # noqa: BLE001 - RDKit's errors share no base class
        return StructureError(text, f"standardisation-failed: {type(exc).__name__}")
    count = len(Chem.GetMolFrags(mol))
    structure = to_structure(parent, detect_format(text), text, count)
    return structure if isinstance(structure, StructureError) else (structure, parent)


def mol_from_parent_smiles(smiles: str) -> Chem.Mol | None:
    """A molecule from a stored, already standardised parent SMILES (no standardisation; None if it
    fails)."""
    try:
        return Chem.MolFromSmiles(smiles)
    except Exception:  # noqa: BLE001 - RDKit's errors share no base class
        return None


# --- substructure classes and similarity ------------------------------------------------------


def compile_smarts(text: str) -> Chem.Mol | StructureError:
    """A query molecule for a SMARTS pattern, or why it cannot be one."""
    try:
        pattern = Chem.MolFromSmarts(text)
    except Exception as exc:  # noqa: BLE001 - RDKit's errors share no base class
        return StructureError(text, f"unparsable smarts: {type(exc).__name__}")
    if pattern is None or pattern.GetNumAtoms() == 0:
        return StructureError(text, "unparsable smarts")
    return pattern


def has_substructure(mol: Chem.Mol, pattern: Chem.Mol) -> bool:
    return bool(mol.HasSubstructMatch(pattern))


def fingerprint(mol: Chem.Mol) -> DataStructs.ExplicitBitVect:
    """The Morgan (ECFP4-like: radius 2, 2048 bits) bit vector of a parent molecule."""
    return cast(DataStructs.ExplicitBitVect, _MORGAN.GetFingerprint(mol))  # untyped in rdkit


def fingerprint_on_bits(mol: Chem.Mol) -> tuple[int, ...]:
    """The set bits of :func:`fingerprint`, as db/structures/ and the KB keep them."""
    return tuple(fingerprint(mol).GetOnBits())


def fingerprint_from_on_bits(bits: list[int] | tuple[int, ...]) -> DataStructs.ExplicitBitVect:
    """The bit vector :func:`fingerprint` gives, rebuilt from its on-bits."""
    vector = DataStructs.ExplicitBitVect(_MORGAN_BITS)
    vector.SetBitsFromList(list(bits))
    return vector


def bulk_tanimoto(
    query: DataStructs.ExplicitBitVect, fingerprints: list[DataStructs.ExplicitBitVect]
) -> list[float]:
    """Tanimoto similarity of one fingerprint to many, computed in C++ (never a Python loop)."""
    return list(DataStructs.BulkTanimotoSimilarity(query, fingerprints))


def formula(mol: Chem.Mol) -> str:
    """Hill formula (with charge suffix) of the molecule exactly as given, all fragments."""
    return rdMolDescriptors.CalcMolFormula(mol)


def fragments(mol: Chem.Mol) -> list[Chem.Mol]:
    """The disconnected parts of a record (drug, counter-ions, solvent, co-drugs)."""
    return list(Chem.GetMolFrags(mol, asMols=True, sanitizeFrags=True))


def has_isotopes(mol: Chem.Mol) -> bool:
    """True if any atom carries an explicit isotope label (deuterated or radiolabelled)."""
    return any(atom.GetIsotope() for atom in mol.GetAtoms())


def without_isotopes(mol: Chem.Mol) -> Chem.Mol:
    """Copy with isotope labels cleared (a deuterated reference standard is not the drug)."""
    plain = Chem.Mol(mol)
    for atom in plain.GetAtoms():
        atom.SetIsotope(0)
    return Chem.RemoveHs(plain)


def without_stereo(mol: Chem.Mol) -> Chem.Mol:
    """Copy with stereo removed (a racemate drawn as two enantiomers is one flat drug)."""
    flat = Chem.Mol(mol)
    Chem.RemoveStereochemistry(flat)
    return flat


def looks_like_smiles(text: str) -> bool:
    """Whether free text is a SMILES rather than a drug name: the RDKit-free guess of
    :func:`pharmcheck.smiles_text.looks_like_smiles`, confirmed by parsing."""
    from pharmcheck.smiles_text import looks_like_smiles as plausible

    return plausible(text) and not isinstance(parse_mol(text.strip()), StructureError)
