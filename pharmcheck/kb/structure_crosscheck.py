"""Second-source check of the vocabulary's structures against DrugCentral.

The vocabulary's SMILES come from one scrape and some are another compound (oxycodone drawn as
noroxycodone, labetalol as dilevalol). A structure is trusted only when an independent source,
DrugCentral's ``structures.smiles.tsv``, gives the same compound under the same name or a
generic synonym. Both sides are compared by the InChIKey of their standardised neutral parent
(``chem.standardize``); where the connectivity differs, by the InChIKey of each parent's
canonical tautomer instead, because a tautomer drawn differently (atovaquone as a 1,2- or a
1,4-naphthoquinone) is the same compound. Forms RDKit does not treat as tautomers
(chlordiazepoxide as N-oxide or as N-hydroxy amidine) stay "disagrees": a false alarm costs a
structure, never a wrong one. The keys compared are the *comparison keys* stored in the extract
(tautomer search is slow, so it runs only for the pairs that need it), beside the vocabulary's
parent InChIKey, which ties a row to the structure it was made for:

* ``agrees``: the same InChIKey connectivity (first block) and stereo (second block);
* ``stereo-differs``: the same connectivity, other or missing stereo. The compound is confirmed
  but its stereo is not, so the stereo is removed (unknown, never wrong). Class SMARTS and
  Morgan fingerprints ignore stereo, so memberships and neighbours are unaffected; the stored
  InChIKey then no longer claims one enantiomer (dilevalol) for a racemate (labetalol);
* ``disagrees``: another connectivity -- another compound in one of the two sources;
* ``missing``: DrugCentral has no record under any of the drug's generic names.

The protonation flag (third block) is ignored: both are neutral parents, and a permanent cation
(ceftazidime's pyridinium) is the same compound whichever way it was charged.

``db/vocabulary/crosscheck.csv`` keeps the second source's extract for every vocabulary drug
with a candidate structure, so the build and a reviewer read it without network access.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

SOURCE = "DrugCentral"
VERSION = "unmtransinfo/DrugCentral-2023@a362c7793551700c4175fb51a82e3087d3a0006b"
URL = (
    "https://raw.githubusercontent.com/unmtransinfo/DrugCentral-2023/"
    "a362c7793551700c4175fb51a82e3087d3a0006b/drugcen/static/structures.smiles.tsv"
)
LICENCE = "CC BY-SA 4.0 (DrugCentral, University of New Mexico)"

COLUMNS = (
    "drug",
    "vocabulary_inchikey",
    "vocabulary_key",
    "second_source_id",
    "second_source_name",
    "second_source_inchikey",
    "second_source_key",
    "agreement",
    "source",
    "version",
    "url",
    "licence",
)
AGREEMENTS = ("agrees", "stereo-differs", "disagrees", "missing")
#: Agreements under which the vocabulary's compound is confirmed and may be trusted.
CONFIRMED = ("agrees", "stereo-differs")


@dataclass(frozen=True)
class SecondRecord:
    """One DrugCentral record: its published InChIKey and its structure's parent InChIKey."""

    record_id: str
    name: str
    inchikey: str
    smiles: str
    key: str


@cache  # the import asks for a key once to extract and once to apply
def parent_key(smiles: str, tautomer: bool = False) -> str:
    """InChIKey of the standardised parent (of its canonical tautomer); "" if there is none."""
    from pharmcheck import chem  # RDKit: build time only

    structure = chem.parse_structure(smiles, canonical_tautomer=tautomer)
    return structure.inchikey if isinstance(structure, chem.Structure) else ""


def comparison_keys(first_smiles: str, second_smiles: str) -> tuple[str, str]:
    """The two keys to compare: parent keys, or canonical-tautomer keys if connectivity differs."""
    first, second = parent_key(first_smiles), parent_key(second_smiles)
    if first.split("-")[0] == second.split("-")[0]:
        return first, second
    return parent_key(first_smiles, tautomer=True), parent_key(second_smiles, tautomer=True)


def compare(first: str, second: str) -> str:
    """Agreement of two parent InChIKeys (see the module docstring)."""
    first_blocks, second_blocks = first.split("-"), second.split("-")
    if first_blocks[0] != second_blocks[0]:
        return "disagrees"
    return "agrees" if first_blocks[1] == second_blocks[1] else "stereo-differs"


def read_second_source(path: Path) -> dict[str, list[SecondRecord]]:
    """DrugCentral records by lower-case INN, with their parent InChIKeys."""
    by_name: dict[str, list[SecondRecord]] = defaultdict(list)
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            smiles = row["SMILES"] or row["InChI"] or ""
            key = parent_key(smiles)
            if key and row["INN"]:
                by_name[row["INN"].strip().lower()].append(
                    SecondRecord(
                        row["ID"].strip(), row["INN"].strip(), row["InChIKey"].strip(), smiles, key
                    )
                )
    return by_name


def extract(
    candidates: Iterable[tuple[str, str, list[str]]], second: dict[str, list[SecondRecord]]
) -> list[dict[str, str]]:
    """One extract row per (drug, parent SMILES, generic names) candidate.

    The drug's own name is looked up first; only when DrugCentral lacks it are its other generic
    names tried. Among several records the best agreement is kept.
    """
    rows = []
    for drug, smiles, names in candidates:
        records = second.get(drug) or _unique(r for name in names for r in second.get(name, []))
        pairs = [(record, comparison_keys(smiles, record.smiles)) for record in records]
        best = min(pairs, key=lambda pair: AGREEMENTS.index(compare(*pair[1])), default=None)
        record, (key, second_key) = best if best else (None, (parent_key(smiles), ""))
        rows.append(
            {
                "drug": drug,
                "vocabulary_inchikey": parent_key(smiles),
                "vocabulary_key": key,
                "second_source_id": record.record_id if record else "",
                "second_source_name": record.name if record else "",
                "second_source_inchikey": record.inchikey if record else "",
                "second_source_key": second_key,
                "agreement": compare(key, second_key) if record else "missing",
                "source": SOURCE,
                "version": VERSION,
                "url": URL,
                "licence": LICENCE,
            }
        )
    return sorted(rows, key=lambda row: row["drug"])


def _unique(records: Iterable[SecondRecord]) -> list[SecondRecord]:
    return list({record.record_id: record for record in records}.values())


def write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def read(path: Path) -> dict[str, dict[str, Any]]:
    """The extract by drug name; empty when the file does not exist (nothing was checked)."""
    if not path.exists():
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["drug"]: row for row in csv.DictReader(handle)}


def agreement(row: dict[str, Any] | None) -> str | None:
    """The row's agreement recomputed from its two keys (a hand-edited ``agreement`` column
    cannot vouch for a structure); None for no row."""
    if row is None:
        return None
    if not row.get("second_source_key") or not row.get("vocabulary_key"):
        return "missing"
    return compare(row["vocabulary_key"], row["second_source_key"])
