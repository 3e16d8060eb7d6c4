"""``pharmcheck db verify``: integrity checks that any KB, however it was built, must pass."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from pharmcheck.errors import KnowledgeBaseError
from pharmcheck.extras import install_hint, missing_modules
from pharmcheck.kb import models
from pharmcheck.kb.schema import SCHEMA_HEAD
from pharmcheck.kb.sources import CODE_SYSTEMS, EVIDENCE, GRADES, SEVERITIES, content_version
from pharmcheck.kb.store import hide_password, sqlalchemy_engine
from pharmcheck.paths import sources_dir

_FACT_TABLES = tuple(models.FACT_REFERENCE_TABLES)


def verify(url: str, allow_other_sources: bool = False) -> dict[str, Any]:
    """Run every check; returns ``{"ok", "complete", "kb_version", "checks": [{"name", "problems",
    "not_checked"}], "review"}``. Without RDKit the structure checks are not run: ``not_checked``
    says why and ``complete`` is false, so "not checked" never reads as "clean".

    ``review`` lists items for a curator that do not fail verification: every disagreement
    between the curated class memberships and the class SMARTS. Such disagreements are
    expected (a pharmacological class is not a substructure: clobazam is a 1,5-benzodiazepine,
    primidone a deoxybarbiturate, and the vocabulary holds members nobody curated), so they
    are reported for review rather than counted as integrity problems.
    """
    engine = sqlalchemy_engine(url)
    try:
        with engine.connect() as conn:

            def rows(sql: str) -> list[Any]:
                return list(conn.execute(text(sql)))

            try:
                revision = rows("SELECT version_num FROM alembic_version")
                meta = dict(rows("SELECT key, value FROM kb_metadata"))
            except Exception as exc:  # noqa: BLE001 - any driver error: not a readable KB
                raise KnowledgeBaseError(
                    f"{hide_password(url)} is not a readable pharmcheck KB: "
                    f"{exc.__class__.__name__}"
                ) from None
            no_rdkit = missing_modules("chem")
            not_run = f"needs RDKit, not installed: {install_hint('chem')}" if no_rdkit else None
            checks = [
                ("schema revision", _revision(revision)),
                ("foreign keys", _foreign_keys(rows)),
                ("facts have references", _fact_references(rows)),
                ("controlled values", _controlled_values(rows)),
                ("structures", [] if no_rdkit else _structures(rows)),
                ("sources match this pharmcheck", [] if allow_other_sources else _sources(meta)),
            ]
            review = [
                {
                    "name": "curated classes agree with SMARTS",
                    "items": [] if no_rdkit else _class_smarts_review(rows),
                    "not_checked": not_run,
                }
            ]
    except SQLAlchemyError as exc:  # no server, refused login: one line naming the KB
        first_line = str(exc).splitlines()[0] if str(exc) else ""
        message = f"cannot read the KB at {url}: {exc.__class__.__name__}: {first_line}"
        raise KnowledgeBaseError(hide_password(message)) from None
    finally:
        engine.dispose()
    return {
        "ok": not any(problems for _, problems in checks),
        "complete": not_run is None,
        "kb_version": meta.get("kb_version", "unknown"),
        "checks": [
            {
                "name": name,
                "problems": problems,
                "not_checked": not_run if name == "structures" else None,
            }
            for name, problems in checks
        ],
        "review": review,
    }


def _revision(rows: list[Any]) -> list[str]:
    found = rows[0][0] if rows else None
    return [] if found == SCHEMA_HEAD else [f"schema revision {found}, expected {SCHEMA_HEAD}"]


def _foreign_keys(rows: Any) -> list[str]:
    problems = []
    for table in models.Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            child, parent = fk.parent, fk.column
            orphans = rows(
                f'SELECT count(*) FROM "{table.name}" c LEFT JOIN "{parent.table.name}" p '
                f'ON c."{child.name}" = p."{parent.name}" '
                f'WHERE c."{child.name}" IS NOT NULL AND p."{parent.name}" IS NULL'
            )[0][0]
            if orphans:
                problems.append(
                    f"{table.name}.{child.name}: {orphans} row(s) point to no {parent.table.name}"
                )
    return problems


def _fact_references(rows: Any) -> list[str]:
    problems = []
    for table in _FACT_TABLES:
        missing = rows(
            f"SELECT f.id FROM {table} f LEFT JOIN {table}_references r ON r.fact_id = f.id "
            f"WHERE r.fact_id IS NULL"
        )
        problems += [f"{table} #{row[0]} has no reference" for row in missing]
    return problems


def _controlled_values(rows: Any) -> list[str]:
    problems = []
    for (value,) in rows("SELECT DISTINCT grade FROM risk_assertions"):
        if value not in GRADES:
            problems.append(f"risk grade {value!r}")
    for table in ("risk_assertions", "condition_rules", "interaction_rules"):
        for severity, evidence in rows(f"SELECT DISTINCT severity, evidence FROM {table}"):
            if severity not in SEVERITIES or evidence not in EVIDENCE:
                problems.append(f"{table}: severity {severity!r} / evidence {evidence!r}")
    for drug, value in rows(
        "SELECT d.name, p.value FROM drug_properties p JOIN drugs d ON d.id = p.drug_id "
        "WHERE p.property = 'acb_score'"
    ):
        if value not in ("0", "1", "2", "3"):
            problems.append(f"{drug}: ACB score {value!r} is not 0-3")
    for drug, value in rows(
        "SELECT d.name, p.value FROM drug_properties p JOIN drugs d ON d.id = p.drug_id "
        "WHERE p.property = 'mme_factor'"
    ):
        try:
            ok = float(value) > 0
        except ValueError:
            ok = False
        if not ok:
            problems.append(f"{drug}: MME factor {value!r} is not a positive number")
    for system, code in rows("SELECT DISTINCT system, code FROM condition_codes"):
        if system not in CODE_SYSTEMS:
            problems.append(f"condition code {code!r}: system {system!r}")
    problems += [
        f"confused-name pair #{pair_id} names one drug twice"
        for (pair_id,) in rows("SELECT id FROM confused_name_pairs WHERE a_drug_id = b_drug_id")
    ]
    uncovered = rows(
        "SELECT d.name FROM drugs d WHERE d.curated AND NOT EXISTS "
        "(SELECT 1 FROM risk_assertions r WHERE r.drug_id = d.id)"
    )
    problems += [f"curated drug {name} has no myoclonus-risk assertion" for (name,) in uncovered]
    return problems


def _structures(rows: Any) -> list[str]:
    from pharmcheck import chem  # structure checks are the one place verify needs RDKit

    problems = []
    for name, smiles, inchikey in rows(
        "SELECT name, smiles, inchikey FROM drugs WHERE smiles IS NOT NULL ORDER BY name"
    ):
        structure = chem.parse_structure(smiles)
        if isinstance(structure, chem.StructureError):
            problems.append(f"{name}: stored SMILES does not parse ({structure.reason})")
            continue
        if structure.fragments > 1 or structure.smiles != smiles:
            problems.append(f"{name}: stored SMILES is not a standardised neutral parent")
        if structure.inchikey != inchikey:
            problems.append(
                f"{name}: stored InChIKey {inchikey} differs from the recomputed "
                f"{structure.inchikey}"
            )
    missing = rows(
        "SELECT name FROM drugs WHERE curated AND (smiles IS NULL OR inchikey IS NULL) "
        "AND structure_source NOT LIKE 'mixture%'"
    )
    problems += [f"curated drug {name} has no parent structure" for (name,) in missing]
    return problems


def _class_smarts_review(rows: Any) -> list[str]:
    """Every disagreement between curated memberships and the SMARTS of the same class.

    Classes with no curated member are defined by their SMARTS alone and are skipped.
    """
    from pharmcheck import chem

    patterns: dict[str, list[Any]] = {}
    for class_name, smarts in rows(
        "SELECT c.name, p.smarts FROM structure_patterns p JOIN classes c ON c.id = p.class_id "
        "ORDER BY p.id"
    ):
        pattern = chem.compile_smarts(smarts)
        if not isinstance(pattern, chem.StructureError):
            patterns.setdefault(class_name, []).append(pattern)
    if not patterns:
        return []
    curated: dict[str, set[str]] = {}
    for class_name, drug in rows(
        "SELECT c.name, d.name FROM class_memberships m JOIN classes c ON c.id = m.class_id "
        "JOIN drugs d ON d.id = m.drug_id WHERE m.basis = 'curated'"
    ):
        curated.setdefault(class_name, set()).add(drug)
    matched: dict[str, set[str]] = {name: set() for name in patterns}
    structures: dict[str, str] = {}
    for drug, smiles in rows(
        "SELECT name, smiles FROM drugs WHERE smiles IS NOT NULL ORDER BY name"
    ):
        structures[drug] = smiles
        mol = chem.mol_from_parent_smiles(smiles)
        if mol is None:
            continue
        for class_name, compiled in patterns.items():
            if any(chem.has_substructure(mol, p) for p in compiled):
                matched[class_name].add(drug)
    items = []
    for class_name in sorted(patterns):
        members = curated.get(class_name, set())
        if not members:
            continue  # a purely structural class (morphinan ...): the SMARTS is its definition
        for drug in sorted(members - matched[class_name]):
            why = (
                "does not match the class SMARTS"
                if drug in structures
                else "has no structure to match"
            )
            items.append(f"{class_name}: curated member {drug} {why}")
        for drug in sorted(matched[class_name] - members):
            items.append(
                f"{class_name}: {drug} matches the class SMARTS but is not a curated member "
                "(membership inferred)"
            )
    return items


def _sources(meta: dict[str, str]) -> list[str]:
    expected = content_version(sources_dir())
    found = meta.get("kb_version")
    if found == expected:
        return []
    return [
        (
            f"KB built from sources {found}, this pharmcheck's db/ is {expected}; rebuild with "
            "`pharmcheck db build`"
        )
    ]
