"""Reading and validating the reviewable KB sources in ``db/``.

Each table is a folder of CSV files (see ``db/README.md``). This module knows
their columns and controlled values, computes the KB version (a content hash)
and reports every problem it finds with its file and line, so that a curator
can fix the source rather than the build.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

SEVERITIES = ("info", "minor", "moderate", "major", "contraindicated")
EVIDENCE = ("A", "MR", "FR", "M")
GRADES = ("known", "probable", "possible", "conditional")
REFERENCE_KINDS = (
    "systematic-review",
    "review",
    "label",
    "guideline",
    "case-series",
    "case-report",
    "cohort-study",
    "experimental",
    "scale",
    "database",
    "secondary",
)
NAME_KINDS = ("brand", "synonym", "salt", "misspelling", "abbreviation")
PROPERTIES = (
    "acb_score",
    "mme_factor",
    "serotonergic_role",
    "lowers_seizure_threshold",
    "cns_depressant",
    "fraction_renal",
    "high_dose_threshold",
)
INTERACTION_EFFECTS = (
    "level-raised",
    "level-lowered",
    "additive-neurotoxicity",
    "additive-toxicity",
    "loss-of-effect",
)
RENAL_ACTIONS = ("adjust", "avoid", "contraindicated", "caution")
CODE_SYSTEMS = ("ICD-10-CM", "SNOMED CT")
DIALYSIS = ("", "hemodialysis", "peritoneal", "any")
#: Routes as the sig parser names them; ``parenteral`` is any of intravenous, intramuscular,
#: subcutaneous.
DOSE_ROUTES = ("oral", "intravenous", "intramuscular", "subcutaneous", "parenteral", "any")
FORMULATIONS = ("", "immediate-release", "extended-release")
RENAL_ROUTES = ("", "oral", "intravenous")


@dataclass(frozen=True)
class TableSpec:
    columns: tuple[str, ...]
    required: tuple[str, ...]
    choices: dict[str, tuple[str, ...]] = field(default_factory=dict)


TABLES: dict[str, TableSpec] = {
    "references": TableSpec(
        ("ref_id", "kind", "citation", "pmid", "doi", "url", "verified_via", "notes"),
        ("ref_id", "kind", "citation"),
        {"kind": REFERENCE_KINDS},
    ),
    "conditions": TableSpec(
        ("condition", "label", "category", "synonyms"), ("condition", "label", "category")
    ),
    "condition_codes": TableSpec(
        ("condition", "system", "code", "title", "ref_id"),
        ("condition", "system", "code", "title", "ref_id"),
        {"system": CODE_SYSTEMS},
    ),
    "condition_parents": TableSpec(("condition", "parent", "ref_id"), ("condition", "parent")),
    "confused_names": TableSpec(
        ("a", "b", "listed_as", "ref_ids"), ("a", "b", "listed_as", "ref_ids")
    ),
    "never_suppress": TableSpec(
        ("rule", "subject", "other", "reason", "ref_ids"), ("rule", "subject", "reason", "ref_ids")
    ),
    "classes": TableSpec(
        ("class", "label", "kind", "duplicate_therapy", "description"),
        ("class", "label", "kind"),
        {
            "kind": ("pharmacological", "chemical", "mechanistic"),
            "duplicate_therapy": ("yes", "no", ""),
        },
    ),
    "drugs": TableSpec(
        ("drug", "smiles", "drugbank_id", "atc_codes", "rxnorm_cui", "structure_source"),
        ("drug", "structure_source"),
    ),
    "names": TableSpec(
        ("name", "drug", "kind", "source"), ("name", "drug", "kind"), {"kind": NAME_KINDS}
    ),
    "combinations": TableSpec(("product", "ingredients", "source"), ("product", "ingredients")),
    "class_members": TableSpec(("drug", "class", "ref_id"), ("drug", "class", "ref_id")),
    "properties": TableSpec(
        ("drug", "property", "value", "unit", "ref_id", "notes"),
        ("drug", "property", "value", "ref_id"),
        {"property": PROPERTIES},
    ),
    "risks": TableSpec(
        (
            "subject",
            "grade",
            "evidence",
            "severity",
            "dose_dependent",
            "worsening_conditions",
            "mechanism",
            "summary",
            "ref_ids",
        ),
        ("subject", "grade", "evidence", "severity", "summary", "ref_ids"),
        {
            "grade": GRADES,
            "evidence": EVIDENCE,
            "severity": SEVERITIES,
            "dose_dependent": ("yes", "no", "unknown", ""),
        },
    ),
    "indications": TableSpec(
        ("indication", "label", "synonyms", "inferred_from", "subjects", "ref_id", "notes"),
        ("indication", "label"),
    ),
    "dose_limits": TableSpec(
        (
            "drug",
            "route",
            "formulation",
            "indication",
            "population",
            "max_daily_dose",
            "unit",
            "ref_id",
            "notes",
        ),
        ("drug", "route", "population", "max_daily_dose", "unit", "ref_id"),
        {"route": DOSE_ROUTES, "formulation": FORMULATIONS},
    ),
    "renal": TableSpec(
        (
            "drug",
            "lower",
            "upper",
            "dialysis",
            "route",
            "max_daily_dose",
            "unit",
            "fraction",
            "interval_hours",
            "action",
            "band_text",
            "persistent",
            "ref_id",
        ),
        ("drug", "action", "band_text", "ref_id"),
        {
            "action": RENAL_ACTIONS,
            "dialysis": DIALYSIS,
            "route": RENAL_ROUTES,
            "persistent": ("yes", "no", ""),
        },
    ),
    "hepatic": TableSpec(
        ("drug", "impairment", "action", "text", "ref_id"),
        ("drug", "impairment", "action", "text", "ref_id"),
        {"impairment": ("mild", "moderate", "severe", "any")},
    ),
    "condition_rules": TableSpec(
        (
            "subject",
            "condition",
            "kind",
            "severity",
            "evidence",
            "route",
            "mechanism",
            "management",
            "ref_ids",
        ),
        ("subject", "condition", "kind", "severity", "evidence", "management", "ref_ids"),
        {
            "kind": ("paradoxical", "contraindication", "caution"),
            "severity": SEVERITIES,
            "evidence": EVIDENCE,
        },
    ),
    "interactions": TableSpec(
        (
            "a",
            "b",
            "severity",
            "evidence",
            "affected",
            "effect",
            "mechanism",
            "management",
            "ref_ids",
        ),
        (
            "a",
            "b",
            "severity",
            "evidence",
            "affected",
            "effect",
            "mechanism",
            "management",
            "ref_ids",
        ),
        {
            "severity": SEVERITIES,
            "evidence": EVIDENCE,
            "affected": ("a", "b", "both"),
            "effect": INTERACTION_EFFECTS,
        },
    ),
    "smarts": TableSpec(
        ("class", "smarts", "ref_id", "positives", "negatives"),
        ("class", "smarts", "ref_id", "positives"),
    ),
    "treatments": TableSpec(
        (
            "drug",
            "myoclonus_types",
            "role",
            "tolerance",
            "tolerance_days",
            "tolerance_text",
            "withdrawal_risk",
            "withdrawal_text",
            "ref_ids",
        ),
        ("drug", "ref_ids"),
        {
            "tolerance": ("yes", "no", "unknown", ""),
            "withdrawal_risk": ("none", "low", "moderate", "high", "unknown", ""),
        },
    ),
}

VOCABULARY_DRUG_COLUMNS = (
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
VOCABULARY_NAME_COLUMNS = ("name", "drug", "kind", "source")


@dataclass(frozen=True)
class Row:
    """One source row and where it came from, for error messages."""

    values: dict[str, str]
    file: str
    line: int

    def __getitem__(self, column: str) -> str:
        return self.values.get(column, "")

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass
class SourceBundle:
    """Every row of every table, plus the problems found while reading them."""

    root: Path
    tables: dict[str, list[Row]]
    vocabulary_drugs: list[Row]
    vocabulary_names: list[Row]
    vocabulary_source: str
    version: str
    problems: list[str]


def _csv_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.csv")) if folder.is_dir() else []


def _read_csv(
    path: Path, root: Path, columns: tuple[str, ...], problems: list[str]
) -> Iterator[Row]:
    rel = str(path.relative_to(root))
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            return
        header = [h.strip() for h in header]
        if tuple(header) != columns:
            problems.append(f"{rel}:1: header {header} differs from the expected {list(columns)}")
            return
        for line, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(columns):
                problems.append(f"{rel}:{line}: {len(cells)} cells, expected {len(columns)}")
                continue
            yield Row({c: v.strip() for c, v in zip(columns, cells, strict=True)}, rel, line)


def content_version(root: Path) -> str:
    """SHA-256 over every CSV under ``root`` (relative path and bytes), in sorted order."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.csv")):
        digest.update(str(path.relative_to(root).as_posix()).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def read_sources(root: Path) -> SourceBundle:
    """Read every table under ``root`` and check columns and controlled values."""
    problems: list[str] = []
    tables: dict[str, list[Row]] = {}
    for table, spec in TABLES.items():
        rows: list[Row] = []
        for path in _csv_files(root / table):
            for row in _read_csv(path, root, spec.columns, problems):
                for column in spec.required:
                    if not row[column]:
                        problems.append(f"{row.where}: {table}.{column} is empty")
                for column, allowed in spec.choices.items():
                    if row[column] not in allowed and (row[column] or column in spec.required):
                        problems.append(
                            f"{row.where}: {table}.{column}={row[column]!r} is not one of "
                            f"{list(allowed)}"
                        )
                rows.append(row)
        tables[table] = rows
    problems.extend(grade_evidence_problems(tables["risks"]))
    problems.extend(level_a_source_problems(tables))
    vocab = root / "vocabulary"
    vocabulary_drugs = list(
        _read_vocab(vocab / "drugs.csv", root, VOCABULARY_DRUG_COLUMNS, problems)
    )
    vocabulary_names = list(
        _read_vocab(vocab / "names.csv", root, VOCABULARY_NAME_COLUMNS, problems)
    )
    source_txt = vocab / "SOURCE.txt"
    vocabulary_source = source_txt.read_text(encoding="utf-8") if source_txt.exists() else ""
    return SourceBundle(
        root,
        tables,
        vocabulary_drugs,
        vocabulary_names,
        vocabulary_source,
        content_version(root),
        problems,
    )


def _read_vocab(
    path: Path, root: Path, columns: tuple[str, ...], problems: list[str]
) -> Iterator[Row]:
    if path.exists():
        yield from _read_csv(path, root, columns, problems)


def split_list(cell: str) -> list[str]:
    """Split a ``;``-separated cell into its non-empty, stripped items."""
    return [item.strip() for item in cell.split(";") if item.strip()]


#: The evidence codes each myoclonus-risk grade may rest on (db/README.md, "Controlled values"):
#: known needs level A, probable many reports (MR), possible few reports or mechanism only;
#: conditional describes when the risk arises, so it may rest on any evidence.
GRADE_EVIDENCE: dict[str, tuple[str, ...]] = {
    "known": ("A",),
    "probable": ("MR",),
    "possible": ("FR", "M"),
    "conditional": EVIDENCE,
}


def grade_evidence_problems(risks: list[Row]) -> list[str]:
    """Each risk row whose grade claims more, or less, than its evidence code supports."""
    return [
        f"{row.where}: risks grade {row['grade']!r} needs evidence "
        f"{' or '.join(GRADE_EVIDENCE[row['grade']])}, not {row['evidence']!r}"
        for row in risks
        if row["grade"] in GRADE_EVIDENCE
        and row["evidence"] in EVIDENCE
        and row["evidence"] not in GRADE_EVIDENCE[row["grade"]]
    ]


#: Evidence A is level A in a systematic review, or a label or guideline statement read in the
#: source.
LEVEL_A_KINDS = ("systematic-review", "label", "guideline")
#: The graded tables whose evidence A must rest on one such reference.
LEVEL_A_TABLES = ("risks", "condition_rules", "interactions")


def level_a_source_problems(tables: dict[str, list[Row]]) -> list[str]:
    """Each evidence-A row citing no systematic review, label or guideline (secondary copies are
    not)."""
    kinds = {row["ref_id"]: row["kind"] for row in tables["references"]}
    return [
        f"{row.where}: evidence 'A' needs a cited reference of kind {' or '.join(LEVEL_A_KINDS)}"
        for table in LEVEL_A_TABLES
        for row in tables[table]
        if row["evidence"] == "A"
        and not any(kinds.get(ref) in LEVEL_A_KINDS for ref in split_list(row["ref_ids"]))
    ]


def condition_hierarchy_problems(rows: list[Row], conditions: set[str]) -> list[str]:
    """Edges of ``condition_parents`` naming an unknown condition or parent, or closing a cycle."""
    problems: list[str] = []
    parents: dict[str, set[str]] = {}
    for row in rows:
        for column in ("condition", "parent"):
            if row[column] and row[column] not in conditions:
                problems.append(f"{row.where}: unknown {column} {row[column]!r}")
        parents.setdefault(row["condition"], set()).add(row["parent"])
    for row in rows:
        if row["condition"] in _ancestors(row["parent"], parents):
            problems.append(
                f"{row.where}: {row['condition']!r} is-a {row['parent']!r} closes a cycle"
            )
    return problems


def _ancestors(name: str, parents: dict[str, set[str]]) -> set[str]:
    """``name`` and every condition above it."""
    seen, todo = set(), [name]
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo.extend(parents.get(current, ()))
    return seen
