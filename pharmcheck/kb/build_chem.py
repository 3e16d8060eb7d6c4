"""Build-time chemistry: class SMARTS over every trusted structure, and Morgan fingerprints.

Called from :func:`pharmcheck.kb.build._load` once the curated records are in the
database. It reads RDKit's results from :mod:`pharmcheck.kb.derived` (``db/structures/``), so
it needs no RDKit. It

* checks every pattern in ``db/smarts/`` (it compiles, its class and reference exist, each
  listed positive drug matches and each negative does not) and stores it;
* runs the patterns over every drug with a stored parent structure (the curated drugs'
  and the vocabulary's *trusted* ones) and inserts an **inferred** class membership,
  ``basis='inferred'``, ``source='smarts:<class>'``, with the pattern's reference, for each
  drug that matches but is not curated as a member;
* stores a Morgan fingerprint (its on-bits) for every drug with a structure, so a query
  structure can be compared with all of them at run time in one ``BulkTanimotoSimilarity`` call.

A problem in the patterns stops the build like any other source problem.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, insert

from pharmcheck.errors import KnowledgeBaseError
from pharmcheck.kb import derived, models
from pharmcheck.kb.sources import split_list
from pharmcheck.names import lower_key

Log = Callable[[str], None]


def load(
    conn: Connection, plan: Any, records: dict[Any, list[dict[str, Any]]], log: Log
) -> dict[str, int]:
    """Insert patterns, inferred memberships and fingerprints; return counts for the build
    report."""
    results: derived.Derived = plan.structures
    class_ids = {str(row["name"]): int(row["id"]) for row in records[models.DrugClass]}
    ref_ids = {str(row["ref_id"]): int(row["id"]) for row in records[models.Reference]}
    parents: dict[int, derived.ParentStructure] = {}
    for drug in plan.drugs:
        parent = results.parents.get(str(drug.get("smiles") or ""))
        if parent is not None and parent.parses:
            parents[int(drug["id"])] = parent

    problems: list[str] = []
    patterns: list[dict[str, Any]] = []
    compiled: list[tuple[str, str, int]] = []
    for row in plan.bundle.tables.get("smarts", []):
        class_id, ref_id = class_ids.get(row["class"]), ref_ids.get(row["ref_id"])
        smarts = str(row["smarts"])
        if class_id is None:
            problems.append(f"{row.where}: unknown class {row['class']!r}")
        if ref_id is None:
            problems.append(f"{row.where}: unknown reference {row['ref_id']!r}")
        if not results.smarts_compiles.get(smarts, False):
            problems.append(f"{row.where}: SMARTS for {row['class']} does not parse")
            continue
        for name, expected in [(n, True) for n in split_list(row["positives"])] + [
            (n, False) for n in split_list(row["negatives"])
        ]:
            drug_id = plan.find_drug(lower_key(name))
            if drug_id is None or drug_id not in parents:
                problems.append(
                    f"{row.where}: {'positive' if expected else 'negative'} {name!r} "
                    "is not a drug with a structure in the KB"
                )
            elif results.matches_pattern(smarts, parents[drug_id].smiles) is not expected:
                problems.append(
                    f"{row.where}: the {row['class']} SMARTS "
                    f"{'does not match' if expected else 'matches'} {name}"
                )
        if class_id is not None and ref_id is not None:
            patterns.append(
                {
                    "class_id": class_id,
                    "smarts": row["smarts"],
                    "reference_id": ref_id,
                    "positives": row["positives"],
                    "negatives": row["negatives"] or None,
                }
            )
            compiled.append((row["class"], smarts, ref_id))
    if problems:
        shown = "; ".join(problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise KnowledgeBaseError(f"{len(problems)} problem(s) in db/smarts: {shown}{more}")

    members = {(int(m["drug_id"]), int(m["class_id"])) for m in records[models.ClassMembership]}
    inferred: list[dict[str, Any]] = []
    per_class: Counter[str] = Counter()
    for drug_id, parent in parents.items():
        for class_name, smarts, ref_id in compiled:
            key = (drug_id, class_ids[class_name])
            if key in members or not results.matches_pattern(smarts, parent.smiles):
                continue
            members.add(key)
            per_class[class_name] += 1
            inferred.append(
                {
                    "drug_id": drug_id,
                    "class_id": key[1],
                    "basis": "inferred",
                    "reference_id": ref_id,
                    "source": f"smarts:{class_name}",
                }
            )
    fingerprints = [
        {"drug_id": drug_id, "morgan": derived.pack_on_bits(parent.morgan_on_bits)}
        for drug_id, parent in parents.items()
    ]
    for model, rows in (
        (models.StructurePattern, patterns),
        (models.ClassMembership, inferred),
        (models.DrugFingerprint, fingerprints),
    ):
        if rows:
            conn.execute(insert(model), rows)
    detail = ", ".join(f"{name} {count}" for name, count in sorted(per_class.items()))
    log(
        f"structures: {len(patterns)} class SMARTS over {len(parents)} structures; "
        f"{len(inferred)} inferred class memberships ({detail or 'none'}); "
        f"{len(fingerprints)} fingerprints"
    )
    return {"inferred_memberships": len(inferred), "fingerprints": len(fingerprints)}
