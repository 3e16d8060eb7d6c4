"""What RDKit computes for the KB, kept as reviewable files in ``db/structures/`` so that
``pharmcheck db build`` needs no RDKit (a plain install has none).

The files are a pure function of the structures and patterns in ``db/``:

* ``curated.csv``: each curated SMILES of ``db/drugs/`` as written, its standardised neutral
  parent and InChIKey, its fragment count, and its own canonical form (the build refuses a
  curated SMILES that is not already the parent);
* ``parents.csv``: each parent structure the KB stores (curated and trusted vocabulary ones),
  whether it parses, and the on-bits of its Morgan fingerprint (radius 2, 2048 bits);
* ``smarts.csv`` and ``smarts_matches.csv``: whether each class SMARTS compiles, and every
  (SMARTS, parent) pair where it matches (a pair not listed does not match).

``python -m pharmcheck.kb.derived`` (needs ``pharmcheck[chem]``) rewrites them from ``db/``; a
test recomputes them with RDKit and compares. A build whose sources these files do not cover
(a structure or pattern edited since) computes them with RDKit when it is installed, and says
so; without RDKit that is a source problem naming the command.
"""

from __future__ import annotations

import csv
import struct
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from pharmcheck.errors import KnowledgeBaseError
from pharmcheck.extras import install_hint, missing_modules
from pharmcheck.kb.sources import SourceBundle

FOLDER = "structures"
COMMAND = "python -m pharmcheck.kb.derived"
FINGERPRINT_BITS = 2048
FINGERPRINT = f"Morgan radius 2, {FINGERPRINT_BITS} bits (RDKit MorganGenerator)"

_CURATED_COLUMNS = ("smiles", "error", "parent_smiles", "inchikey", "fragments", "drawn_smiles")
_PARENT_COLUMNS = ("smiles", "parses", "morgan_on_bits")


@dataclass(frozen=True)
class CuratedStructure:
    """A curated SMILES as written: its parent (or why it does not parse), its canonical form."""

    smiles: str
    error: str
    parent_smiles: str
    inchikey: str
    fragments: int
    drawn_smiles: str


@dataclass(frozen=True)
class ParentStructure:
    """A stored parent SMILES: whether RDKit parses it, and its fingerprint's on-bits."""

    smiles: str
    parses: bool
    morgan_on_bits: tuple[int, ...]


@dataclass(frozen=True)
class Needed:
    """The structures and patterns a build of some sources reads."""

    curated: frozenset[str]
    vocabulary: frozenset[str]
    smarts: frozenset[str]


@dataclass(frozen=True)
class Derived:
    """RDKit's results for a set of structures and patterns, read from files or computed."""

    curated: dict[str, CuratedStructure]
    parents: dict[str, ParentStructure]
    smarts_compiles: dict[str, bool]
    matches: frozenset[tuple[str, str]]

    def parent_smiles(self, needed: Needed) -> set[str]:
        """The parents a build of ``needed`` stores: curated parents and vocabulary structures."""
        parents = {
            self.curated[s].parent_smiles
            for s in needed.curated
            if s in self.curated and not self.curated[s].error
        }
        return parents | needed.vocabulary

    def gaps(self, needed: Needed) -> list[str]:
        """What ``needed`` reads that these results do not cover (empty when they are complete)."""
        return (
            sorted(f"curated SMILES {s}" for s in needed.curated - self.curated.keys())
            + sorted(f"structure {s}" for s in self.parent_smiles(needed) - self.parents.keys())
            + sorted(f"SMARTS {s}" for s in needed.smarts - self.smarts_compiles.keys())
        )

    def matches_pattern(self, smarts: str, smiles: str) -> bool:
        return (smarts, smiles) in self.matches


def needed(bundle: SourceBundle) -> Needed:
    """The curated SMILES, trusted vocabulary structures and class SMARTS of ``bundle``."""
    return Needed(
        frozenset(row["smiles"] for row in bundle.tables["drugs"] if row["smiles"]),
        frozenset(
            row["smiles"]
            for row in bundle.vocabulary_drugs
            if row["structure_status"] == "trusted" and row["smiles"]
        ),
        frozenset(row["smarts"] for row in bundle.tables["smarts"]),
    )


def for_sources(bundle: SourceBundle, log: Callable[[str], None], problems: list[str]) -> Derived:
    """The RDKit results a build of ``bundle`` reads: from ``db/structures/`` when they cover it,
    else computed with RDKit (logged), else a problem naming the command to run."""
    need = needed(bundle)
    found = read(bundle.root / FOLDER)
    gaps = found.gaps(need)
    if not gaps:
        return found
    where = f"{FOLDER}/ does not cover {gaps[0]}" + (
        f" and {len(gaps) - 1} more" if len(gaps) > 1 else ""
    )
    if missing_modules("chem"):
        problems.append(
            f"{where}: run `{COMMAND}`, which needs RDKit ({install_hint('chem')}), "
            "and commit the files"
        )
        return found
    log(f"{where}: computed with RDKit for this build; `{COMMAND}` writes them to db/")
    return compute(need)


def compute(need: Needed) -> Derived:
    """RDKit's results for ``need`` (the only function here that imports RDKit)."""
    from pharmcheck import chem

    curated = {}
    for smiles in need.curated:
        structure = chem.parse_structure(smiles)
        as_drawn = chem.parse_mol(smiles)
        drawn = None if isinstance(as_drawn, chem.StructureError) else chem.to_structure(as_drawn)
        drawn_smiles = drawn.smiles if isinstance(drawn, chem.Structure) else ""
        if isinstance(structure, chem.StructureError):
            curated[smiles] = CuratedStructure(smiles, structure.reason, "", "", 0, drawn_smiles)
        else:
            curated[smiles] = CuratedStructure(
                smiles, "", structure.smiles, structure.inchikey, structure.fragments, drawn_smiles
            )
    partial = Derived(curated, {}, {}, frozenset())
    parents, mols = {}, {}
    for smiles in partial.parent_smiles(need):
        mol = chem.mol_from_parent_smiles(smiles)
        if mol is None:
            parents[smiles] = ParentStructure(smiles, False, ())
        else:
            mols[smiles] = mol
            parents[smiles] = ParentStructure(smiles, True, chem.fingerprint_on_bits(mol))
    compiles, matches = {}, set()
    for smarts in need.smarts:
        pattern = chem.compile_smarts(smarts)
        compiles[smarts] = not isinstance(pattern, chem.StructureError)
        if not isinstance(pattern, chem.StructureError):
            matches |= {
                (smarts, s) for s, mol in mols.items() if chem.has_substructure(mol, pattern)
            }
    return Derived(curated, parents, compiles, frozenset(matches))


# --- the files ----------------------------------------------------------------------------------


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def read(folder: Path) -> Derived:
    """The results kept in ``folder`` (``db/structures/``); missing files are empty results."""
    curated = {
        row["smiles"]: CuratedStructure(
            row["smiles"],
            row["error"],
            row["parent_smiles"],
            row["inchikey"],
            int(row["fragments"] or 0),
            row["drawn_smiles"],
        )
        for row in _rows(folder / "curated.csv")
    }
    parents = {
        row["smiles"]: ParentStructure(
            row["smiles"],
            row["parses"] == "yes",
            tuple(int(bit) for bit in row["morgan_on_bits"].split()),
        )
        for row in _rows(folder / "parents.csv")
    }
    compiles = {row["smarts"]: row["compiles"] == "yes" for row in _rows(folder / "smarts.csv")}
    matches = frozenset(
        (row["smarts"], row["smiles"]) for row in _rows(folder / "smarts_matches.csv")
    )
    return Derived(curated, parents, compiles, matches)


def _write(path: Path, columns: Iterable[str], rows: Iterable[Iterable[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)


def write(folder: Path, derived: Derived, provenance: str) -> None:
    """Write ``derived`` as four CSV files (sorted, so a diff shows what changed) and SOURCE.txt."""
    folder.mkdir(parents=True, exist_ok=True)
    _write(
        folder / "curated.csv",
        _CURATED_COLUMNS,
        (
            [c.smiles, c.error, c.parent_smiles, c.inchikey, c.fragments, c.drawn_smiles]
            for c in sorted(derived.curated.values(), key=lambda c: c.smiles)
        ),
    )
    _write(
        folder / "parents.csv",
        _PARENT_COLUMNS,
        (
            [p.smiles, "yes" if p.parses else "no", " ".join(map(str, p.morgan_on_bits))]
            for p in sorted(derived.parents.values(), key=lambda p: p.smiles)
        ),
    )
    _write(
        folder / "smarts.csv",
        ("smarts", "compiles"),
        ([s, "yes" if ok else "no"] for s, ok in sorted(derived.smarts_compiles.items())),
    )
    _write(folder / "smarts_matches.csv", ("smarts", "smiles"), sorted(derived.matches))
    (folder / "SOURCE.txt").write_text(provenance, encoding="utf-8")


def provenance() -> str:
    """SOURCE.txt: what wrote the files, with which RDKit (informational; the CSVs are compared)."""
    import rdkit

    return (
        f"generated by: {COMMAND} (do not edit by hand)\n"
        f"computed with: RDKit {rdkit.__version__}\n"
        f"fingerprint: {FINGERPRINT}, stored as its on-bits\n"
        "inputs: db/drugs/ smiles, db/vocabulary/drugs.csv trusted smiles, db/smarts/ smarts\n"
    )


# --- fingerprints in the KB ---------------------------------------------------------------------


def pack_on_bits(bits: Iterable[int]) -> bytes:
    """A fingerprint as the KB stores it: its on-bits, little-endian unsigned 16-bit integers."""
    values = sorted(bits)
    return struct.pack(f"<{len(values)}H", *values)


def unpack_on_bits(data: bytes) -> tuple[int, ...]:
    """The on-bits :func:`pack_on_bits` stored; any other bytes (such as the RDKit binary form an
    older pharmcheck stored) are a KB error, never misread as bits."""
    bits = struct.unpack(f"<{len(data) // 2}H", data) if len(data) % 2 == 0 else None
    if bits is None or any(b >= FINGERPRINT_BITS for b in bits) or list(bits) != sorted(set(bits)):
        raise KnowledgeBaseError(
            "the KB stores fingerprints in a form this pharmcheck does not read; "
            "rebuild it with `pharmcheck db build`"
        )
    return bits


def main(argv: list[str] | None = None) -> int:
    """Rewrite ``db/structures/`` from the sources (needs RDKit)."""
    from pharmcheck.extras import require_extra
    from pharmcheck.kb.sources import read_sources
    from pharmcheck.paths import sources_dir

    require_extra("chem", COMMAND)
    root = Path(argv[0]) if argv else sources_dir()
    need = needed(read_sources(root))
    derived = compute(need)
    write(root / FOLDER, derived, provenance())
    print(
        f"{root / FOLDER}: {len(derived.curated)} curated SMILES, {len(derived.parents)} parents, "
        f"{len(derived.smarts_compiles)} SMARTS, {len(derived.matches)} matches",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
