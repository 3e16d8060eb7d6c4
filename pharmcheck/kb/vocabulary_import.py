"""Build-time import of the broad drug vocabulary into reviewable CSV files.

Run as ``python -m pharmcheck.kb.vocabulary_import [OUT_DIR] [--second-source TSV]``. It reads
the dictionary that ships inside the ``drug-named-entity-recognition`` package (MIT, Fast Data
Science Ltd) and writes ``db/vocabulary/drugs.csv``, ``names.csv`` and ``SOURCE.txt``. With
``--second-source`` (DrugCentral's ``structures.smiles.tsv``, see
:mod:`pharmcheck.kb.structure_crosscheck`) it also rewrites ``crosscheck.csv``; without it the
existing ``crosscheck.csv`` is used, so the result is the same offline.

Why a separate, offline step:

* This is the only place that touches that package, and it only unpickles its data file.
  Importing ``drug_named_entity_recognition`` (or its ``drugs_finder``) would pull in its
  web-API/OMOP code; the pharmcheck runtime must never depend on a network.
* The output is sorted, plain UTF-8 CSV, so a dictionary upgrade shows up as a reviewable
  diff and changes the KB content hash.
* Its structures are third-party data with known errors (a SMILES whose formula is not the
  record's formula, combination records whose SMILES is a mixture, a wrong structure
  for oxybutynin). A structure is only kept (``structure_status=trusted``) when it passes
  the cross-checks below *and* a second, independent source (DrugCentral) names the same
  compound; otherwise the drug keeps its names and ids but no structure, and the reason is
  recorded.
"""

from __future__ import annotations

import argparse
import bz2
import csv
import datetime as dt
import importlib.metadata
import importlib.util
import pickle
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pharmcheck.kb import structure_crosscheck

PACKAGE = "drug_named_entity_recognition"
DISTRIBUTION = "drug-named-entity-recognition"
SOURCE = "drug-named-entity-recognition 2.0.9"
DICTIONARY_FILE = "drug_ner_dictionary.pkl.bz2"

DRUG_COLUMNS = (
    "drug",
    "label",
    "drugbank_id",
    "mesh_id",
    "medline_plus_id",
    "smiles",
    "inchikey",
    "structure_status",
    "source",
)
NAME_COLUMNS = ("name", "drug", "kind", "source")

# Elements that can stand in a drug parent. Sodium, potassium, calcium and magnesium are
# ordinary counter-ions and may be dropped by standardisation; any other metal (lithium,
# iron, platinum, gadolinium, technetium, bismuth ...) is part of the active moiety, and
# a SMILES with dative bonds broken into fragments gives no meaningful neutral parent.
NONMETALS = frozenset("H B C N O F Si P S Cl Se Br I He Ne Ar Kr Xe".split())
COUNTER_ION_METALS = frozenset("Na K Ca Mg".split())

# Wiki markup left in a few variants by the dictionary's Wikipedia scrape.
MARKUP = re.compile(r"=|\{\{|\}\}|&lt;|&gt;|<|>|''")

# A combination product is a name, not a structure ("acetaminophen and codeine").
COMBINATION = re.compile(r",| and | with | & |/| \+ ")

# Name-plausibility check: chemical-name fragments that promise an element. The
# canonical name and the systematic synonyms (those with a locant digit, such as
# oxybutynin's "4-diethylamino-2-butinyl alpha-cyclohexylmandelat") must not promise an
# element that the parent structure lacks. Brand and trade names are not used: they
# borrow fragments freely ("Biodalgic", "Thiodan", "Quatrachlor"). Tokens naming a salt
# ("methanesulfonate", "hydrochloride", "bromure") and tokens that *remove* an element
# ("deschloro", "desfluoro", "deamino") are ignored; exclusions cover trivial names whose
# fragment is historical (fluorescein and fluorene have no fluorine, theobromine no
# bromine, chlorophyll and chlorogenic acid no chlorine).
SALT_TOKEN = re.compile(
    r"chlorid|bromid|iodid|fluorid|sulfat|sulphat|sulfonat|sulphonat|phosphat|nitrat|nitrit|"
    r"ammonium|mesylat|mesilat|besylat|besilat|tosylat|tosilat|esylat|esilat|edisylat|"
    r"isethionat|napsylat|napadisilat|camsylat|sulfit|sulfid|hyclat|perchlorat|chlorhydrat|"
    r"bromhydrat|hydrochlor|hydrobrom|hydroiod|bromure|bromuro|chlorure|cloruro|ioduro|"
    r"iodure|methylbrom|methylchlor|ethiodid|bromat|iodat|chlorat|sodium|potassium|calcium|"
    r"magnesium|meglumin|tromethamin|trometamol|olamin|erbumin|benzathin|lysinat|"
    r"arginin|cholin|procain|hydrate|\bsalt"
)
NEGATION_TOKEN = re.compile(
    r"^(?:\W|\d|[a-z]-)*(?:de|des|nor)-?\w{0,6}?(?:amin|amid|fluor|chlor|brom|iod|sulf|thio|phosph)"
)
ELEMENT_HINTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "N",
        re.compile(
            r"amino|amine|amide|anilin|nitro|hydrazin|guanid|pyrid|piperazin|piperidin|"
            r"morpholin|imidazol|triazol|tetrazol|indol|purin|quinolin|azepin"
        ),
    ),
    ("Cl", re.compile(r"chlor(?!oph|ogen|in\b|ine [a-z]?\d|ins\b)")),
    ("F", re.compile(r"fluor(?!esc|en|an|ite)")),
    ("Br", re.compile(r"(?<!theo)brom(?!elain)")),
    ("I", re.compile(r"iodo|\biod")),
    ("S", re.compile(r"thio|thia|sulfan|sulfon|sulf[iao]|sulph|mercapto")),
    ("P", re.compile(r"phosph")),
)
# Metals named in a name must be in the full record (silver sulfadiazine without silver is
# another drug); they are compared with the record, not with the parent, which drops them.
METAL_HINTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Ag", re.compile(r"\bsilver\b")),
    ("Li", re.compile(r"\blithium\b")),
    ("Zn", re.compile(r"\bzinc\b")),
    ("Fe", re.compile(r"\b(?:iron|ferric|ferrous)\b")),
    ("Au", re.compile(r"\bgold\b")),
    ("Pt", re.compile(r"platin\b")),
    ("Bi", re.compile(r"\bbismuth\b")),
    ("Gd", re.compile(r"\bgado")),
    ("Al", re.compile(r"\balumin")),
    ("Cu", re.compile(r"\bcopper\b|\bcupric\b")),
)
HINT_EXCLUDE = re.compile(
    r"chlorine [a-z]\d|vitamin|protein|peptid|enzyme|globulin|toxin|extract|seleno|"
    r"pyrithiamin|ase\b|ases\b"
)
SYSTEMATIC = re.compile(r"\d")

# A name that states a label ("fluorodeoxyglucose f18", "technetium tc 99m", "iodine
# i-131", "deuterium oxide") is a labelled substance; INN "deu-" drugs (deutetrabenazine)
# are deuterated by design. Any other labelled SMILES is a labelled reference standard
# of the drug (fluvoxamine-d4, cilostazol-d4) and the labels are cleared.
ISOTOPE_NAME = re.compile(r"deuter|tritium|tritiated|\bradio|label|\b[a-z]{1,2}[- ]?\d{1,3}m?\b")
DEUTERATED_INN = re.compile(r"^deu(?!ter)")
# The counter-ion is the drug when the name says so (calcium gluconate, sodium chloride).
NAMED_ION = re.compile(r"\b(?:sodium|potassium|calcium|magnesium|ammonium|lithium)\b")


@dataclass(frozen=True)
class Checked:
    """Result of the structure cross-check of one record."""

    status: str  # "trusted", "none" or a short reason
    smiles: str = ""
    inchikey: str = ""
    note: str = ""  # how a trusted structure was repaired, for the build log
    fragments: int = 0  # parts of the record's SMILES (1 = given as the molecule itself)


def dictionary_path() -> Path:
    """Locate the dictionary file without importing (and so without executing) the package."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"{DISTRIBUTION} is not installed; pip install {DISTRIBUTION}")
    for location in spec.submodule_search_locations:
        candidate = Path(location) / DICTIONARY_FILE
        if candidate.exists():
            return candidate
    raise SystemExit(f"{DICTIONARY_FILE} not found in {list(spec.submodule_search_locations)}")


def load_dictionary(path: Path) -> dict[str, Any]:
    """Unpickle the dictionary (our own installed dependency's data file, not user input)."""
    with bz2.open(path, "rb") as handle:
        data: dict[str, Any] = pickle.load(handle)
    return data


def parse_formula(text: str) -> tuple[Counter[str], int] | None:
    """Element counts and net charge of a formula, in any element order ("BH4-", "H4B-")."""
    match = re.fullmatch(r"((?:[A-Z][a-z]?\d*)+)([+-]\d*)?", text.strip())
    if match is None:
        return None
    counts: Counter[str] = Counter()
    for symbol, number in re.findall(r"([A-Z][a-z]?)(\d*)", match.group(1)):
        counts[symbol] += int(number) if number else 1
    sign = match.group(2) or ""
    charge = 0
    if sign:
        magnitude = int(sign[1:]) if len(sign) > 1 else 1
        charge = magnitude if sign[0] == "+" else -magnitude
    return counts, charge


def is_combination(drug: str) -> bool:
    return bool(COMBINATION.search(drug))


def promised_elements(names: list[str]) -> set[str]:
    """Elements promised by the chemical fragments of a drug's names.

    ``names[0]`` is the canonical name; of the others only systematic ones (with a
    locant digit) count, see ``ELEMENT_HINTS``.
    """
    promised: set[str] = set()
    for index, name in enumerate(names):
        text = name.lower()
        if HINT_EXCLUDE.search(text) or (index and not SYSTEMATIC.search(text)):
            continue
        tokens = [
            token
            for token in re.split(r"[\s,;()\[\]]+", text)
            if token and not SALT_TOKEN.search(token) and not NEGATION_TOKEN.search(token)
        ]
        for element, pattern in ELEMENT_HINTS:
            if any(pattern.search(token) for token in tokens):
                promised.add(element)
    return promised


def check_structure(chem: Any, drug: str, record: dict[str, Any], names: list[str]) -> Checked:
    """Cross-check one record's SMILES and return its trusted parent or the reason to drop it."""
    smiles = record.get("smiles")
    if not smiles:
        return Checked("none")
    if is_combination(drug):
        return Checked("combination-product")
    mol = chem.parse_mol(smiles)
    if isinstance(mol, chem.StructureError):
        return Checked("unparsable")
    # 1. The record's own formula must be the formula of its full SMILES.
    stated = parse_formula(record.get("formula") or "")
    actual = parse_formula(chem.formula(mol))
    if stated is None or actual is None or stated != actual:
        return Checked("formula-mismatch")
    elements = set(actual[0])
    # 2. Isotope labels: a labelled substance is not the drug; a labelled standard is.
    note = ""
    if chem.has_isotopes(mol) and not DEUTERATED_INN.search(drug):
        if ISOTOPE_NAME.search(drug):
            return Checked("isotope-labelled")
        mol, note = chem.without_isotopes(mol), "isotope-labels-removed"
    # 3. Metal complexes and metal salts have no meaningful organic neutral parent.
    if elements - NONMETALS - COUNTER_ION_METALS:
        return Checked("metal-containing")
    parts = chem.fragments(mol)
    kept = chem.drug_fragments(mol)
    if len(parts) > 1 and all(chem.is_counter_ion(part) for part in parts):
        # Only counter-ions (KCl, calcium gluconate, sodium citrate): the parent is the one
        # organic part, unless the name says the metal ion is the drug.
        kept = [part for part in parts if "C" in (parse_formula(chem.formula(part)) or ({},))[0]]
        identities = [chem.to_structure(chem.standardize(part)) for part in kept]
        skeletons = {getattr(item, "inchikey", "").split("-")[0] for item in identities}
        if len(skeletons) != 1 or "" in skeletons or NAMED_ION.search(drug):
            return Checked("salt-of-counter-ions")
    # 4. All non-counter-ion fragments must be one drug (a racemate drawn as two
    #    enantiomers is one drug without stereo; two different molecules are a mixture).
    parents = [chem.standardize(part) for part in kept]
    identities = [chem.to_structure(parent) for parent in parents]
    if any(isinstance(item, chem.StructureError) for item in identities):
        return Checked("no-inchikey")
    skeletons = {item.inchikey.split("-")[0] for item in identities}
    if len(skeletons) > 1:
        return Checked("mixture-of-different-parents")
    parent = parents[0]
    if len({item.inchikey for item in identities}) > 1:
        parent = chem.without_stereo(parent)
    structure = chem.to_structure(parent)
    if isinstance(structure, chem.StructureError):
        return Checked("no-inchikey")
    parent_formula = parse_formula(structure.formula)
    parent_elements = set(parent_formula[0]) if parent_formula else set()
    # A carbon-free parent is fine for a neutral molecule (oxygen, boric acid), but for a
    # salt, an ion or a metal, uncharging makes nonsense (hydroxide -> water, KCl -> HCl).
    if "C" not in parent_elements and (len(parts) > 1 or actual[1] != 0 or elements - NONMETALS):
        return Checked("inorganic-salt-or-ion")
    # 5. Name plausibility: the names must not promise an element the parent lacks.
    if promised_elements(names) - parent_elements or any(
        pattern.search(drug) and symbol not in elements for symbol, pattern in METAL_HINTS
    ):
        return Checked("name-structure-mismatch")
    # 6. The stored parent must be a fixed point of the runtime standardiser.
    again = chem.parse_structure(structure.smiles)
    if isinstance(again, chem.StructureError) or again.inchikey != structure.inchikey:
        return Checked("not-standardisable")
    if len({item.inchikey for item in identities}) > 1:
        note = "stereo-mixture-flattened"
    own_parts = [part for part in parts if chem.formula(part) != "H2O"]  # hydrates are the drug
    return Checked("trusted", structure.smiles, structure.inchikey, note, len(own_parts))


def build(out_dir: Path, second_source: Path | None = None) -> dict[str, Any]:
    """Write drugs.csv, names.csv and SOURCE.txt into ``out_dir`` and return the counts.

    ``second_source`` (DrugCentral's structures.smiles.tsv) regenerates ``crosscheck.csv``;
    without it the existing ``crosscheck.csv`` in ``out_dir`` decides which structures are trusted.
    """
    from pharmcheck import chem  # RDKit: build time only

    started = time.monotonic()
    path = dictionary_path()
    data = load_dictionary(path)
    canonical_to_data: dict[str, dict[str, Any]] = data["drug_canonical_to_data"]
    variant_to_canonical: dict[str, list[str]] = data["drug_variant_to_canonical"]
    variant_data: dict[str, dict[str, Any]] = data["drug_variant_to_variant_data"]

    def clean(text: str) -> str:
        return " ".join(str(text).split()).strip().lower()

    # Generic (non-brand) names of each canonical drug, for the name-plausibility check.
    generic_names: dict[str, list[str]] = {}
    for variant, canonicals in variant_to_canonical.items():
        if variant_data.get(variant, {}).get("is_brand"):
            continue
        for canonical in canonicals:
            generic_names.setdefault(clean(canonical), []).append(clean(variant))

    drug_rows: list[dict[str, str]] = []
    statuses: Counter[str] = Counter()
    row_notes: dict[str, str] = {}
    fragment_counts: dict[str, int] = {}
    for key, record in canonical_to_data.items():
        drug = clean(key)
        if not drug:
            continue
        names = [drug, *generic_names.get(drug, [])]
        checked = check_structure(chem, drug, record, names)
        statuses[checked.status] += 1
        row_notes[drug] = checked.note
        drug_rows.append(
            {
                "drug": drug,
                "label": " ".join(str(record.get("name") or key).split()),
                "drugbank_id": str(record.get("drugbank_id") or ""),
                "mesh_id": str(record.get("mesh_id") or ""),
                "medline_plus_id": str(record.get("medline_plus_id") or ""),
                "smiles": checked.smiles,
                "inchikey": checked.inchikey,
                "structure_status": checked.status,
                "source": SOURCE,
            }
        )
        fragment_counts[drug] = checked.fragments
    out_dir.mkdir(parents=True, exist_ok=True)
    crosscheck_path = out_dir / "crosscheck.csv"
    if second_source is not None:
        candidates = [
            (row["drug"], row["smiles"], generic_names.get(row["drug"], []))
            for row in drug_rows
            if row["structure_status"] == "trusted"
        ]
        extract = structure_crosscheck.extract(
            candidates, structure_crosscheck.read_second_source(second_source)
        )
        structure_crosscheck.write(crosscheck_path, extract)
    crosscheck = structure_crosscheck.read(crosscheck_path)
    found = _apply_second_source(chem, drug_rows, crosscheck, statuses, row_notes)
    _drop_unrelated_shared_parents(drug_rows, generic_names, fragment_counts, statuses)
    drug_rows.sort(key=lambda row: row["drug"])
    notes = Counter(
        row_notes[row["drug"]]
        for row in drug_rows
        if row["structure_status"] == "trusted" and row_notes.get(row["drug"])
    )
    known_drugs = {row["drug"] for row in drug_rows}

    name_rows: set[tuple[str, str, str, str]] = set()
    kinds: Counter[str] = Counter()
    skipped_names = 0
    for variant, canonicals in variant_to_canonical.items():
        name = clean(variant.replace("[[", "").replace("]]", ""))
        # Wikipedia residue ("tradename \t= sirturo", "&lt;ref&gt;{{cite web") is not a name.
        if not name or "\t" in variant or "\n" in variant or MARKUP.search(name):
            skipped_names += 1
            continue
        is_brand = bool(variant_data.get(variant, {}).get("is_brand"))
        for canonical in canonicals:
            drug = clean(canonical)
            if drug not in known_drugs:
                skipped_names += 1
                continue
            kind = "brand" if is_brand else "generic" if name == drug else "synonym"
            name_rows.add((name, drug, kind, SOURCE))
    for row in name_rows:
        kinds[row[2]] += 1

    _write_csv(
        out_dir / "drugs.csv", DRUG_COLUMNS, [[row[c] for c in DRUG_COLUMNS] for row in drug_rows]
    )
    _write_csv(out_dir / "names.csv", NAME_COLUMNS, sorted(name_rows))

    version = importlib.metadata.version(DISTRIBUTION)
    dropped = {status: n for status, n in statuses.items() if status not in ("trusted", "none")}
    names_by_kind = dict(sorted(kinds.items()))
    dropped_by_count = dict(sorted(dropped.items(), key=lambda item: (-item[1], item[0])))
    repaired = dict(sorted(notes.items()))
    counts: dict[str, Any] = {
        "drugs": len(drug_rows),
        "names": len(name_rows),
        "names_by_kind": names_by_kind,
        "names_skipped": skipped_names,
        "with_smiles": sum(n for status, n in statuses.items() if status != "none"),
        "trusted": statuses["trusted"],
        "none": statuses["none"],
        "dropped": dropped_by_count,
        "repaired": repaired,
        "seconds": round(time.monotonic() - started, 1),
    }
    lines = [
        f"package: {DISTRIBUTION}",
        f"version: {version}",
        "licence: MIT License, Copyright (c) 2023 Fast Data Science Ltd (https://fastdatascience.com)",
        f"file: {DICTIONARY_FILE}",
        f"date: {dt.date.today().isoformat()}",
        "tool: python -m pharmcheck.kb.vocabulary_import",
        f"drugs: {counts['drugs']}",
        f"names: {counts['names']} ("
        + ", ".join(f"{kind} {n}" for kind, n in names_by_kind.items())
        + ")",
        f"names skipped: {skipped_names} (wiki markup residue or unknown canonical)",
        f"records with smiles: {counts['with_smiles']}",
        f"trusted structures: {counts['trusted']}"
        + "".join(f", {note} {n}" for note, n in repaired.items()),
        f"no structure given: {counts['none']}",
        f"structures dropped: {sum(dropped.values())}",
        *(f"  dropped {reason}: {n}" for reason, n in dropped_by_count.items()),
        *_second_source_report(found),
    ]
    (out_dir / "SOURCE.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return counts | {"log": lines}


STEM_NOISE = re.compile(
    r"\b(?:sodium|potassium|calcium|magnesium|trolamine|dextro|levo|acid|"
    r"salts?|hydrochloride|meglumine|tromethamine)\b|(?:ates?|ic|es|s)\b"
)


def _stem(name: str) -> str:
    words = STEM_NOISE.sub(" ", name).split()
    return words[0][:6] if words and len(words[0]) >= 4 else name


def _drop_unrelated_shared_parents(
    rows: list[dict[str, str]],
    generic_names: dict[str, list[str]],
    fragment_counts: dict[str, int],
    statuses: Counter[str],
) -> None:
    """Two unrelated drugs with one parent: one record carries the other's structure.

    Class and salt records share a parent with their drug legitimately (benzoates,
    caffeine citrate), recognised by a shared name or a common name stem. An unrelated
    record keeps the structure only if it is the one member given as that single
    molecule (theophylline, not bufylline, its salt under another name); anything else
    (clobenzorex carrying propranolol, two single-molecule records such as anthranilic
    acid and 4-aminobenzoic acid) cannot be told apart, so the structure is not trusted.
    """
    by_key: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        if row["structure_status"] == "trusted":
            by_key.setdefault(row["inchikey"], []).append(row)
    for group in by_key.values():
        if len(group) < 2:
            continue
        names = {row["drug"]: {row["drug"], *generic_names.get(row["drug"], [])} for row in group}
        stems = {row["drug"]: _stem(row["drug"]) for row in group}
        singles = [row for row in group if fragment_counts.get(row["drug"]) == 1]
        doomed = []
        for row in group:
            related = any(
                names[row["drug"]] & names[other["drug"]]
                or stems[row["drug"]] in other["drug"]
                or stems[other["drug"]] in row["drug"]
                for other in group
                if other is not row
            )
            if not related and singles != [row]:
                doomed.append(row)
        for row in doomed:
            row.update(smiles="", inchikey="", structure_status="parent-shared-with-unrelated-drug")
            statuses["trusted"] -= 1
            statuses["parent-shared-with-unrelated-drug"] += 1


SECOND_SOURCE_DROPS = {
    "disagrees": "second-source-disagrees",
    "missing": "not-in-second-source",
    None: "not-cross-checked",
}


def _apply_second_source(
    chem: Any,
    rows: list[dict[str, str]],
    crosscheck: dict[str, dict[str, Any]],
    statuses: Counter[str],
    row_notes: dict[str, str],
) -> dict[str, list[str]]:
    """Keep a structure only when the second source confirms its compound; return drugs by outcome.

    A confirmed compound whose stereo the second source does not confirm keeps its connectivity
    only (see :mod:`pharmcheck.kb.structure_crosscheck`).
    """
    outcomes: dict[str, list[str]] = {}
    for row in rows:
        if row["structure_status"] != "trusted":
            continue
        entry = crosscheck.get(row["drug"])
        outcome = structure_crosscheck.agreement(entry)
        if entry and entry["vocabulary_inchikey"] != row["inchikey"]:
            outcome = None  # the extract was made for another structure of this drug
        outcomes.setdefault(outcome or "not-cross-checked", []).append(row["drug"])
        if outcome == "stereo-differs":
            flat_mol = chem.without_stereo(chem.mol_from_parent_smiles(row["smiles"]))
            flat = chem.to_structure(flat_mol)
            again = chem.parse_structure(getattr(flat, "smiles", ""))
            if isinstance(again, chem.Structure) and again.inchikey == flat.inchikey:
                row.update(smiles=flat.smiles, inchikey=flat.inchikey)
                row_notes[row["drug"]] = "second-source-stereo-removed"
                continue
            outcome = "disagrees"  # cannot be made stereo-free: not trusted
        if outcome in structure_crosscheck.CONFIRMED:
            continue
        status = SECOND_SOURCE_DROPS[outcome]
        row.update(smiles="", inchikey="", structure_status=status)
        statuses["trusted"] -= 1
        statuses[status] += 1
    return outcomes


def _second_source_report(found: dict[str, list[str]]) -> list[str]:
    """SOURCE.txt lines: second source, agreement rate and the names it contradicts."""
    agree, stereo = len(found.get("agrees", [])), len(found.get("stereo-differs", []))
    disagree, missing = found.get("disagrees", []), len(found.get("missing", []))
    compared = agree + stereo + len(disagree)
    rate = f"{100 * (agree + stereo) / compared:.1f}%" if compared else "n/a"
    return [
        (
            f"second source: {structure_crosscheck.SOURCE} structures.smiles.tsv "
            f"({structure_crosscheck.VERSION}), licence {structure_crosscheck.LICENCE}"
        ),
        f"second source url: {structure_crosscheck.URL}",
        (
            "second source extract: crosscheck.csv, a row per structure that passed the checks "
            "above "
            f"(licence {structure_crosscheck.LICENCE}, as its source)"
        ),
        f"cross-checked structures: {compared + missing + len(found.get('not-cross-checked', []))}",
        (
            f"  found in the second source: {compared}; agreement rate {rate} ({agree} identical, "
            f"{stereo} same compound with stereo removed, {len(disagree)} another compound)"
        ),
        f"  not in the second source: {missing} (dropped; listed in crosscheck.csv as missing)",
        f"  not cross-checked: {len(found.get('not-cross-checked', []))}",
        f"second source disagrees ({len(disagree)}): " + "; ".join(sorted(disagree)),
    ]


def _write_csv(path: Path, header: tuple[str, ...], rows: list[Any]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def main(argv: list[str] | None = None) -> int:
    from pharmcheck.paths import sources_dir

    parser = argparse.ArgumentParser(prog="python -m pharmcheck.kb.vocabulary_import")
    parser.add_argument("out_dir", nargs="?", type=Path, default=sources_dir() / "vocabulary")
    parser.add_argument(
        "--second-source",
        type=Path,
        default=None,
        help="DrugCentral structures.smiles.tsv; rewrites crosscheck.csv",
    )
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    out_dir = args.out_dir
    counts = build(out_dir, args.second_source)
    for line in counts["log"]:
        print(line)
    print(f"wrote {out_dir} in {counts['seconds']} s")
    if out_dir.resolve() == (sources_dir() / "vocabulary").resolve():
        from pharmcheck.kb import derived

        derived.main([str(sources_dir())])  # db/structures/ follows the vocabulary's structures
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
