"""``pharmcheck db build``: migrate an empty database to head and load ``db/`` into it.

A SQLite build is written to a temporary file beside the target and moved into
place (:func:`pharmcheck.files.replacing_path`), so readers see either the old KB or the new one,
never a half-built one, and a build killed partway leaves the old KB intact.
Builds of one file take turns on a lock file beside it, and a file that is not a
pharmcheck KB is never replaced. Other databases are built inside one transaction
on an empty database.
"""

from __future__ import annotations

import re
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

from sqlalchemy import Connection, Engine, create_engine, insert, inspect, text
from sqlalchemy.exc import SQLAlchemyError

from pharmcheck._version import __version__
from pharmcheck.errors import KnowledgeBaseError
from pharmcheck.files import replacing_path
from pharmcheck.kb import build_chem, derived, migrate, models, structure_crosscheck
from pharmcheck.kb.dose_scope import REGIMENS, parse_fraction, parse_population
from pharmcheck.kb.schema import SCHEMA_HEAD
from pharmcheck.kb.site import site_write_lock
from pharmcheck.kb.sources import (
    Row,
    SourceBundle,
    condition_hierarchy_problems,
    read_sources,
    split_list,
)
from pharmcheck.kb.store import hide_password, sqlalchemy_engine, sqlite_file
from pharmcheck.names import loose_key, lower_key
from pharmcheck.paths import sources_dir

Log = Callable[[str], None]
_COMBINATION_SPLIT = re.compile(r"\s*(?:,\s*and\s+|,\s*|\s+and\s+|\s*/\s*|\s*\+\s*)\s*")


@dataclass
class BuildReport:
    kb_version: str
    counts: dict[str, int]
    log: list[str] = field(default_factory=list)


def build(url: str, sources: Path | None = None, log: Log = lambda _: None) -> BuildReport:
    """Build the KB at ``url`` from ``sources`` (default: the packaged ``db/``)."""
    target = sqlite_file(url)
    if target is None:
        engine = sqlalchemy_engine(url)  # an unusable URL fails before the sources are read
        return _build_in_transaction(engine, url, _checked_plan(sources), log)
    _refuse_other_files(target)  # before the lock, which would leave its file beside a refused one
    with _build_lock(target):
        return _build_sqlite_file(target, _checked_plan(sources), log)


def build_if_missing(
    target: Path,
    starting: Callable[[], None] = lambda: None,
    waiting: Callable[[], None] = lambda: None,
) -> bool:
    """Build the KB file ``target`` from the packaged sources unless it exists; True if built here.

    Processes starting together build it once: the others wait for the lock, then find it built.
    """
    with _build_lock(target, waiting):
        if target.exists():
            return False
        starting()
        _build_sqlite_file(target, _checked_plan(None), lambda _: None)
        return True


def _checked_plan(sources: Path | None) -> _Plan:
    bundle = read_sources(sources or sources_dir())
    plan = _plan(bundle)
    _raise_problems(bundle.problems + plan.problems)
    return plan


@contextmanager
def _build_lock(target: Path, waiting: Callable[[], None] = lambda: None) -> Iterator[None]:
    """An exclusive ``flock`` on ``.NAME.lock`` beside ``target``, held while building it;
    ``waiting()`` is called first if another process holds it."""
    try:
        import fcntl
    except ImportError:  # Windows: no flock; concurrent builds still each replace the file whole
        yield
        return
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle = (target.parent / f".{target.name}.lock").open("a")
    except OSError as exc:
        raise KnowledgeBaseError(f"cannot write the KB at {target}: {exc.strerror}") from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            waiting()
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _refuse_other_files(target: Path) -> None:
    """`db build` replaces a pharmcheck KB (even a corrupt one), never another file."""
    if not target.exists() or (target.is_file() and target.stat().st_size == 0):
        return
    if target.is_file():
        with target.open("rb") as handle:
            is_sqlite = handle.read(16) == b"SQLite format 3\x00"
        if is_sqlite and _may_be_a_kb(target):
            return
    raise KnowledgeBaseError(
        f"{target} exists and is not a pharmcheck knowledge base; `db build` replaces only a KB "
        "(choose another path, or remove the file yourself)"
    )


def _may_be_a_kb(path: Path) -> bool:
    """True for a pharmcheck KB, and for an SQLite file too damaged to tell (a KB to rebuild)."""
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    try:
        with closing(sqlite3.connect(uri, uri=True)) as conn:
            listed = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            tables = {row[0] for row in listed}
    except sqlite3.DatabaseError:
        return True
    return {"alembic_version", "kb_metadata"} <= tables


def _build_sqlite_file(target: Path, plan: _Plan, log: Log) -> BuildReport:
    target = target.resolve()
    _remove_stale_partial_builds(target)
    with ExitStack() as stack:
        try:  # readable by every user of the KB; the site tables are carried over at the move
            tmp = stack.enter_context(
                replacing_path(
                    target, mode=0o644, around_move=lambda new: _site_tables_carried(target, new)
                )
            )
        except OSError as exc:
            raise KnowledgeBaseError(f"cannot write the KB at {target}: {exc.strerror}") from None
        engine = create_engine(f"sqlite:///{tmp}")
        try:
            with engine.begin() as conn:
                migrate.upgrade(f"sqlite:///{tmp}", "head", connection=conn)
                report = _load(conn, plan, log)
        finally:
            engine.dispose()
        with sqlite3.connect(tmp) as check:
            check.execute("PRAGMA journal_mode=DELETE")
    return report


@contextmanager
def _site_tables_carried(old: Path, new: Path) -> Iterator[None]:
    """Copy the site tables (overrides, audit, feedback) of the KB at ``old`` into ``new`` and keep
    site writers out until the body (the rename) is done: no site write is lost."""
    with site_write_lock(old, exclusive=True):
        if old.exists() and _may_be_a_kb(old):
            _copy_site_tables(old, new)
        yield


def _copy_site_tables(old: Path, new: Path) -> None:
    with closing(sqlite3.connect(new, isolation_level=None)) as conn:
        try:
            conn.execute("ATTACH DATABASE ? AS old", (str(old),))
            tables = {r[0] for r in conn.execute("SELECT name FROM old.sqlite_master")}
        except sqlite3.DatabaseError:
            return  # a corrupt KB: nothing readable to carry
        conn.execute("BEGIN")
        for table in (t for t in models.SITE_TABLES if t in tables):
            old_columns = {r[1] for r in conn.execute(f"PRAGMA old.table_info({table})")}
            columns = ", ".join(
                r[1]
                for r in conn.execute(f"PRAGMA main.table_info({table})")
                if r[1] in old_columns
            )
            conn.execute(f"INSERT INTO main.{table} ({columns}) SELECT {columns} FROM old.{table}")
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE old")


def _remove_stale_partial_builds(target: Path, older_than_s: float = 3600) -> None:
    """A killed build leaves its temporary file; remove those old enough not to be a build in
    progress."""
    import time

    for partial in target.parent.glob(f".{target.name}.*.partial"):
        try:
            if time.time() - partial.stat().st_mtime > older_than_s:
                partial.unlink()
        except OSError:
            pass  # another process removed it, or the folder is read-only: nothing to clean


def _build_in_transaction(engine: Engine, url: str, plan: _Plan, log: Log) -> BuildReport:
    """Build into an empty database, or rebuild a pharmcheck KB in place keeping its site tables;
    readers see the old KB until the transaction commits."""
    try:
        with engine.begin() as conn:
            tables = set(inspect(conn).get_table_names())
            if tables and not {"alembic_version", "kb_metadata"} <= tables:
                raise KnowledgeBaseError(
                    "the target database is not empty and holds no pharmcheck KB; `db build` "
                    "builds into an empty database or rebuilds a pharmcheck KB"
                )
            migrate.upgrade(url, "head", connection=conn)
            if tables:
                _empty_fact_tables(conn)
                log("rebuilt in place: site overrides, audit trail and feedback kept")
            return _load(conn, plan, log)
    except SQLAlchemyError as exc:
        first_line = str(exc).splitlines()[0]
        message = f"cannot build the KB at {url}: {exc.__class__.__name__}: {first_line}"
        raise KnowledgeBaseError(hide_password(message)) from None
    finally:
        engine.dispose()


def _empty_fact_tables(conn: Connection) -> None:
    """Delete every KB fact, children first; one rebuild at a time, readers undisturbed."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("LOCK TABLE kb_metadata IN EXCLUSIVE MODE"))
    for table in reversed(models.Base.metadata.sorted_tables):
        if table.name not in models.SITE_TABLES:
            conn.execute(table.delete())


# --- planning: resolve every name in the sources to ids, in memory -------------------------


_DRUG_COLUMNS = (
    "label",
    "drugbank_id",
    "atc_codes",
    "rxnorm_cui",
    "mesh_id",
    "smiles",
    "inchikey",
    "structure_source",
)


@dataclass
class _Plan:
    bundle: SourceBundle
    structures: derived.Derived
    drugs: list[dict[str, object]] = field(default_factory=list)
    drug_ids: dict[str, int] = field(default_factory=dict)
    names: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    name_index: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    name_seen: set[tuple[str, int, bool]] = field(default_factory=set)

    def add_drug(self, **values: object) -> int:
        drug_id = len(self.drugs) + 1
        self.drugs.append({"id": drug_id, **dict.fromkeys(_DRUG_COLUMNS), **values})
        self.drug_ids[str(values["name"])] = drug_id
        self.add_name(str(values["name"]), drug_id, "generic", str(values["source"]))
        return drug_id

    def add_name(self, name: str, drug_id: int, kind: str, source: str) -> None:
        key = lower_key(name)
        # A product name may also be a brand of one ingredient ("Zosyn"): its combination row
        # must still be stored, or the product would resolve to that ingredient alone.
        marker = (key, drug_id, kind == "combination")
        if not key or marker in self.name_seen:
            return
        self.name_seen.add(marker)
        self.name_index[key].add(drug_id)
        self.names.append(
            {
                "name": name,
                "lower_key": key,
                "loose_key": loose_key(name),
                "drug_id": drug_id,
                "kind": kind,
                "source": source,
            }
        )

    def rename(self, drug_id: int, name: str, source: str) -> None:
        """Give a vocabulary drug its canonical (INN) name; the old name stays as a synonym."""
        drug = self.drugs[drug_id - 1]
        old = str(drug["name"])
        self.drug_ids.pop(old, None)
        drug["name"], drug["label"] = name, name
        self.drug_ids[name] = drug_id
        for entry in self.names:
            if entry["drug_id"] == drug_id and entry["kind"] == "generic":
                entry["kind"] = "synonym"
        self.add_name(name, drug_id, "generic", source)

    def find_drug(self, name: str) -> int | None:
        """A drug id by canonical name, else by a name that points to exactly one drug."""
        key = lower_key(name)
        if key in self.drug_ids:
            return self.drug_ids[key]
        candidates = self.name_index.get(key, set())
        return next(iter(candidates)) if len(candidates) == 1 else None


def _plan(bundle: SourceBundle) -> _Plan:
    log: list[str] = []
    problems: list[str] = []
    plan = _Plan(bundle, derived.for_sources(bundle, log.append, problems))
    plan.log += log
    plan.problems += problems
    tables = bundle.tables
    for row in tables["drugs"]:
        name = lower_key(row["drug"])
        if name in plan.drug_ids:
            plan.problems.append(f"{row.where}: drug {name!r} is listed twice")
            continue
        plan.add_drug(
            name=name,
            label=row["drug"],
            curated=True,
            drugbank_id=row["drugbank_id"] or None,
            atc_codes=row["atc_codes"] or None,
            rxnorm_cui=row["rxnorm_cui"] or None,
            smiles=row["smiles"],
            inchikey=None,
            structure_source=row["structure_source"],
            source=row.file,
        )
    _standardise_curated_structures(plan)
    for row in tables["names"]:
        drug_id = plan.drug_ids.get(lower_key(row["drug"]))
        if drug_id is not None:
            plan.add_name(row["name"], drug_id, row["kind"], row["source"] or row.file)
    _merge_vocabulary(plan)
    for row in tables["names"]:
        canonical = lower_key(row["drug"])
        drug_id = plan.drug_ids.get(canonical)
        if drug_id is None:
            # The `drug` column is the canonical (INN) name by definition: a vocabulary drug that
            # knows it only as a synonym ("paracetamol" for acetaminophen), or that this row names
            # ("benztropine" for benzatropine), takes it as its name.
            alias = plan.find_drug(canonical) or plan.find_drug(row["name"])
            if alias is not None and not plan.drugs[alias - 1]["curated"]:
                plan.rename(alias, canonical, row.file)
            drug_id = alias
        if drug_id is None:
            plan.problems.append(
                f"{row.where}: name {row['name']!r} points to unknown drug {row['drug']!r}"
            )
        else:
            plan.add_name(row["name"], drug_id, row["kind"], row["source"] or row.file)
    _plan_combinations(plan)
    return plan


def _standardise_curated_structures(plan: _Plan) -> None:
    """Curated SMILES must already be the neutral parent; the stored InChIKey is its parent's."""
    for drug in plan.drugs:
        given = str(drug["smiles"] or "")
        if not given and str(drug["structure_source"]).startswith("mixture"):
            drug["smiles"] = None  # e.g. gentamicin: a mixture of components has no single parent
            continue
        if not given:
            plan.problems.append(f"curated drug {drug['name']}: no SMILES (nor mixture: source)")
            continue
        structure = plan.structures.curated.get(given)
        if structure is None:
            continue  # not covered by db/structures/: already a problem of the plan
        if structure.error:
            plan.problems.append(
                f"curated drug {drug['name']}: SMILES does not parse ({structure.error})"
            )
            continue
        if structure.fragments > 1 or structure.drawn_smiles != structure.parent_smiles:
            plan.problems.append(
                f"curated drug {drug['name']}: SMILES is a salt, mixture or charged form; "
                f"store its neutral parent {structure.parent_smiles}"
            )
        drug["smiles"], drug["inchikey"] = structure.parent_smiles, structure.inchikey


def _trusted_vocabulary_structures(plan: _Plan) -> dict[str, str]:
    """Vocabulary drugs whose structure is trusted: marked so, and confirmed by the second source's
    extract (db/vocabulary/crosscheck.csv). A record marked trusted without that confirmation is a
    stale or hand-edited file, and a build problem. Returns the structure's provenance by drug."""
    extract = structure_crosscheck.read(plan.bundle.root / "vocabulary" / "crosscheck.csv")
    trusted = {}
    for row in plan.bundle.vocabulary_drugs:
        if row["structure_status"] != "trusted":
            continue
        second = extract.get(row["drug"])
        confirmed = structure_crosscheck.agreement(second) in structure_crosscheck.CONFIRMED
        if second is not None and confirmed:
            trusted[row["drug"]] = (
                f"{row['source']}, confirmed by {second['source']} {second['second_source_id']} "
                f"({second['second_source_name']}, {second['agreement']})"
            )
        else:
            plan.problems.append(
                f"{row.where}: structure of {row['drug']!r} is marked trusted but "
                "db/vocabulary/crosscheck.csv does not confirm it; rerun "
                "python -m pharmcheck.kb.vocabulary_import"
            )
    return trusted


def _merge_vocabulary(plan: _Plan) -> None:
    """Fold the broad vocabulary in: a vocabulary drug that is a curated drug (by name, synonym
    or parent InChIKey) adds its identifiers and names to it; any other becomes a plain drug.
    Only structures confirmed by the second source are used."""
    bundle = plan.bundle
    trusted_drugs = _trusted_vocabulary_structures(plan)
    curated_by_inchikey: dict[str, int] = {
        cast(str, drug["inchikey"]): cast(int, drug["id"])
        for drug in plan.drugs
        if drug["inchikey"]
    }
    vocab_target: dict[str, int] = {}
    merged = 0
    for row in bundle.vocabulary_drugs:
        name = lower_key(row["drug"])
        target = plan.find_drug(name)
        trusted = row["drug"] in trusted_drugs
        if target is None and row["inchikey"] and trusted:
            target = curated_by_inchikey.get(row["inchikey"])
        if target is not None and plan.drugs[target - 1]["curated"]:
            drug = plan.drugs[target - 1]
            for column in ("drugbank_id", "mesh_id"):
                drug[column] = drug.get(column) or row[column] or None
            if trusted and row["inchikey"] not in ("", drug["inchikey"]):
                plan.log.append(
                    f"structure check: curated {drug['name']} ({drug['inchikey']}) differs from "
                    "the "
                    f"vocabulary's {row['drug']} ({row['inchikey']}); the curated structure is kept"
                )
            plan.add_name(row["drug"], target, "synonym", row["source"])
            merged += 1
        elif target is None:
            target = plan.add_drug(
                name=name,
                label=row["label"] or row["drug"],
                curated=False,
                drugbank_id=row["drugbank_id"] or None,
                mesh_id=row["mesh_id"] or None,
                smiles=row["smiles"] if trusted else None,
                inchikey=row["inchikey"] if trusted else None,
                structure_source=trusted_drugs.get(row["drug"]),
                source=row["source"],
            )
        vocab_target[name] = target
    for row in bundle.vocabulary_names:
        target = vocab_target.get(lower_key(row["drug"]))
        if target is not None:
            plan.add_name(row["name"], target, row["kind"], row["source"])
    plan.log.append(
        f"vocabulary: {len(bundle.vocabulary_drugs)} drugs ({merged} merged into curated drugs), "
        f"{len(bundle.vocabulary_names)} names"
    )


def _known_drugs(plan: _Plan, names: list[str]) -> list[int] | None:
    """The drug ids of all the names, or None if any name is not a known drug."""
    ids = [plan.find_drug(name) for name in names]
    known = [drug_id for drug_id in ids if drug_id is not None]
    return known if len(known) == len(ids) else None


def _plan_combinations(plan: _Plan) -> None:
    for row in plan.bundle.tables["combinations"]:
        names = split_list(row["ingredients"])
        ingredients = _known_drugs(plan, names)
        if ingredients is None or len(ingredients) < 2:
            plan.problems.append(
                f"{row.where}: combination {row['product']!r} has an unknown ingredient"
            )
            continue
        for drug_id in ingredients:
            plan.add_name(row["product"], drug_id, "combination", row["source"] or row.file)
    # Vocabulary entries such as "hydrocodone and acetaminophen" become combinations too, when
    # every part is itself a known drug, and so do their brands ("Bactrim"), so that a product
    # name reaches every ingredient's facts.
    names_by_drug: dict[int, list[str]] = defaultdict(list)
    for entry in plan.names:
        names_by_drug[int(entry["drug_id"])].append(str(entry["name"]))
    split = 0
    for drug in list(plan.drugs):
        parts = [p for p in _COMBINATION_SPLIT.split(str(drug["name"])) if p]
        if len(parts) < 2:
            continue
        ingredients = _known_drugs(plan, parts)
        if ingredients is None:
            continue
        for name in names_by_drug[cast(int, drug["id"])]:
            for drug_id in ingredients:
                plan.add_name(name, drug_id, "combination", str(drug["source"]))
        split += 1
    plan.log.append(
        f"combinations: {len(plan.bundle.tables['combinations'])} curated, {split} from vocabulary "
        "names"
    )


# --- records: every table as rows of ids, computed before anything is written ---------------


class _Resolver:
    """Turns the names used in source rows into ids, recording every miss as a problem."""

    def __init__(self, plan: _Plan):
        self.plan = plan
        tables = plan.bundle.tables
        self.refs = _keyed(plan, tables["references"], "ref_id")
        self.classes = _keyed(plan, tables["classes"], "class")
        self.conditions = _keyed(plan, tables["conditions"], "condition")

    def _problem(self, row: Row, text: str) -> None:
        self.plan.problems.append(f"{row.where}: {text}")

    def drug(self, row: Row, column: str) -> int | None:
        drug_id = self.plan.find_drug(row[column])
        if drug_id is None:
            self._problem(row, f"unknown drug {row[column]!r} (not curated, not in the vocabulary)")
        return drug_id

    def klass(self, row: Row, column: str) -> int | None:
        class_id = self.classes.get(row[column].removeprefix("class:"))
        if class_id is None:
            self._problem(row, f"unknown class {row[column]!r}")
        return class_id

    def ref(self, row: Row, ref_id: str) -> int | None:
        ref = self.refs.get(ref_id)
        if ref is None:
            self._problem(row, f"unknown reference {ref_id!r}")
        return ref

    def refs_of(self, row: Row) -> list[int]:
        ids = split_list(row["ref_ids"])
        if not ids:
            self._problem(row, "no reference")
        return list(
            dict.fromkeys(ref for ref in (self.ref(row, i) for i in ids) if ref is not None)
        )

    def condition(self, row: Row) -> int | None:
        condition_id = self.conditions.get(row["condition"])
        if condition_id is None:
            self._problem(row, f"unknown condition {row['condition']!r}")
        return condition_id

    def subject(
        self, row: Row, column: str, drug_key: str, class_key: str
    ) -> dict[str, int | None]:
        if row[column].startswith("class:"):
            return {drug_key: None, class_key: self.klass(row, column)}
        return {drug_key: self.drug(row, column), class_key: None}

    def name_pair(self, row: Row) -> dict[str, Any]:
        pair = {
            "a_drug_id": self.drug(row, "a"),
            "b_drug_id": self.drug(row, "b"),
            "listed_as": row["listed_as"],
        }
        if pair["a_drug_id"] is not None and pair["a_drug_id"] == pair["b_drug_id"]:
            self._problem(row, f"{row['a']!r} and {row['b']!r} are one drug: not a confused pair")
        return pair

    def number(self, row: Row, column: str, integer: bool = False) -> float | None:
        text = row[column]
        if not text:
            return None
        try:
            return int(text) if integer else float(text)
        except ValueError:
            self._problem(row, f"{column}={text!r} is not a number")
            return None


def _known(r: _Resolver, row: Row, column: str, allowed: set[str]) -> str | None:
    if row[column] and row[column] not in allowed:
        r._problem(row, f"unknown {column} {row[column]!r} (see indications/)")
    return row[column] or None


def _population(r: _Resolver, row: Row) -> str:
    population = parse_population(row["population"])
    if population is None:
        r._problem(
            row,
            f"population {row['population']!r} is not adult, age>N, age>=N, with:<condition>, "
            f"{' or '.join(REGIMENS)}",
        )
    for condition in population.conditions if population is not None else ():
        if condition not in r.conditions:
            r._problem(row, f"unknown condition {condition!r} in population")
    return row["population"]


def _fraction(r: _Resolver, row: Row) -> str | None:
    if row["fraction"] and parse_fraction(row["fraction"]) is None:
        r._problem(row, f"fraction {row['fraction']!r} is not a proper fraction a/b")
    return row["fraction"] or None


def _inferred_from(r: _Resolver, row: Row) -> str | None:
    """Condition ids, or ``myoclonus`` (the patient's myoclonus is present, worsening or
    improving)."""
    for item in split_list(row["inferred_from"]):
        if item != "myoclonus" and item not in r.conditions:
            r._problem(row, f"unknown condition {item!r} in inferred_from")
    return row["inferred_from"] or None


def _indication_subjects(r: _Resolver, row: Row) -> str | None:
    for item in split_list(row["subjects"]):
        if item.startswith("class:"):
            r.klass(Row({"subject": item}, row.file, row.line), "subject")
        elif r.plan.find_drug(item) is None:
            r._problem(row, f"unknown drug {item!r} in subjects")
    if row["inferred_from"] and not row["subjects"]:
        r._problem(
            row, "an indication inferred from conditions needs the subjects it is inferred for"
        )
    return row["subjects"] or None


def _keyed(plan: _Plan, rows: list[Row], key: str) -> dict[str, int]:
    ids: dict[str, int] = {}
    for row in rows:
        if row[key] in ids:
            plan.problems.append(f"{row.where}: duplicate {key} {row[key]!r}")
        else:
            ids[row[key]] = len(ids) + 1
    return ids


def _first_per_key(rows: list[Row], key: str) -> list[Row]:
    seen: dict[str, Row] = {}
    for row in rows:
        seen.setdefault(row[key], row)
    return list(seen.values())


def _records(plan: _Plan) -> dict[Any, list[dict[str, Any]]]:
    tables = plan.bundle.tables
    r = _Resolver(plan)
    out: dict[Any, list[dict[str, Any]]] = {}
    out[models.Drug] = plan.drugs
    out[models.DrugName] = plan.names
    out[models.Reference] = [
        {
            "id": r.refs[row["ref_id"]],
            "ref_id": row["ref_id"],
            "kind": row["kind"],
            "citation": row["citation"],
            "pmid": row["pmid"] or None,
            "doi": row["doi"] or None,
            "url": row["url"] or None,
            "verified_via": row["verified_via"] or None,
            "notes": row["notes"] or None,
        }
        for row in _first_per_key(tables["references"], "ref_id")
    ]
    out[models.DrugClass] = [
        {
            "id": r.classes[row["class"]],
            "name": row["class"],
            "label": row["label"],
            "kind": row["kind"],
            "duplicate_therapy": row["duplicate_therapy"] == "yes",
            "description": row["description"] or None,
        }
        for row in _first_per_key(tables["classes"], "class")
    ]
    out[models.Condition] = [
        {
            "id": r.conditions[row["condition"]],
            "name": row["condition"],
            "label": row["label"],
            "category": row["category"],
        }
        for row in _first_per_key(tables["conditions"], "condition")
    ]
    synonyms: dict[tuple[int, str], dict[str, Any]] = {}
    for row in tables["conditions"]:
        condition_id = r.conditions[row["condition"]]
        for synonym in [row["condition"], row["label"], *split_list(row["synonyms"])]:
            key = lower_key(synonym)
            synonyms.setdefault(
                (condition_id, key),
                {"condition_id": condition_id, "synonym": synonym, "lower_key": key},
            )
    out[models.ConditionSynonym] = list(synonyms.values())
    out[models.ConditionCode] = _condition_codes(r, tables["condition_codes"])
    out[models.ConditionParent] = _condition_parents(r, tables["condition_parents"])

    memberships: dict[tuple[Any, Any], dict[str, Any]] = {}
    for row in tables["class_members"]:
        rec: dict[str, Any] = {
            "drug_id": r.drug(row, "drug"),
            "class_id": r.klass(row, "class"),
            "basis": "curated",
            "reference_id": r.ref(row, row["ref_id"]),
            "source": row["ref_id"],
        }
        memberships.setdefault((rec["drug_id"], rec["class_id"]), rec)
    out[models.ClassMembership] = list(memberships.values())

    # Keyed by (drug, property); a drug may have several serotonergic roles, keyed with the value.
    properties: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in tables["properties"]:
        rec = {
            "drug_id": r.drug(row, "drug"),
            "property": row["property"],
            "value": row["value"],
            "unit": row["unit"] or None,
            "reference_id": r.ref(row, row["ref_id"]),
            "notes": row["notes"] or None,
        }
        property_key = (rec["drug_id"], row["property"])
        if (
            property_key in properties
            and properties[property_key]["value"] != row["value"]
            and row["property"] != "serotonergic_role"
        ):
            r._problem(
                row,
                f"{row['drug']} {row['property']}={row['value']} conflicts with "
                f"{properties[property_key]['value']} given elsewhere",
            )
        properties.setdefault(
            property_key
            if row["property"] != "serotonergic_role"
            else (*property_key, row["value"]),
            rec,
        )
    out[models.DrugProperty] = list(properties.values())

    out[models.Indication] = [
        {
            "name": row["indication"],
            "label": row["label"],
            "synonyms": row["synonyms"] or None,
            "inferred_from": _inferred_from(r, row),
            "subjects": _indication_subjects(r, row),
            "reference_id": r.ref(row, row["ref_id"]) if row["ref_id"] else None,
            "notes": row["notes"] or None,
        }
        for row in _first_per_key(tables["indications"], "indication")
    ]
    indications = {row["indication"] for row in tables["indications"]}
    out[models.DoseLimit] = [
        {
            "drug_id": r.drug(row, "drug"),
            "route": row["route"],
            "formulation": row["formulation"] or None,
            "indication": _known(r, row, "indication", indications),
            "max_daily_dose": r.number(row, "max_daily_dose"),
            "unit": row["unit"],
            "population": _population(r, row),
            "reference_id": r.ref(row, row["ref_id"]),
            "notes": row["notes"] or None,
        }
        for row in tables["dose_limits"]
    ]
    out[models.RenalBand] = [
        {
            "drug_id": r.drug(row, "drug"),
            "lower": r.number(row, "lower"),
            "upper": r.number(row, "upper"),
            "dialysis": row["dialysis"] or None,
            "route": row["route"] or None,
            "max_daily_dose": r.number(row, "max_daily_dose"),
            "unit": row["unit"] or None,
            "fraction": _fraction(r, row),
            "interval_hours": r.number(row, "interval_hours"),
            "action": row["action"],
            "band_text": row["band_text"],
            "persistent": row["persistent"] == "yes",
            "reference_id": r.ref(row, row["ref_id"]),
        }
        for row in tables["renal"]
    ]
    out[models.HepaticCaution] = [
        {
            "drug_id": r.drug(row, "drug"),
            "impairment": row["impairment"],
            "action": row["action"],
            "text": row["text"],
            "reference_id": r.ref(row, row["ref_id"]),
        }
        for row in tables["hepatic"]
    ]
    facts: dict[str, tuple[type[models.Base], list[tuple[Row, dict[str, Any]]]]] = {
        "risk_assertions": (
            models.RiskAssertion,
            [
                (
                    row,
                    {
                        **r.subject(row, "subject", "drug_id", "class_id"),
                        "grade": row["grade"],
                        "evidence": row["evidence"],
                        "severity": row["severity"],
                        "dose_dependent": row["dose_dependent"] or "unknown",
                        "worsening_conditions": row["worsening_conditions"] or None,
                        "mechanism": row["mechanism"] or None,
                        "summary": row["summary"],
                    },
                )
                for row in tables["risks"]
            ],
        ),
        "condition_rules": (
            models.ConditionRule,
            [
                (
                    row,
                    {
                        **r.subject(row, "subject", "drug_id", "class_id"),
                        "condition_id": r.condition(row),
                        "kind": row["kind"],
                        "severity": row["severity"],
                        "evidence": row["evidence"],
                        "route": row["route"] or None,
                        "mechanism": row["mechanism"] or None,
                        "management": row["management"],
                    },
                )
                for row in tables["condition_rules"]
            ],
        ),
        "interaction_rules": (
            models.InteractionRule,
            [
                (
                    row,
                    {
                        **r.subject(row, "a", "a_drug_id", "a_class_id"),
                        **r.subject(row, "b", "b_drug_id", "b_class_id"),
                        "severity": row["severity"],
                        "evidence": row["evidence"],
                        "affected": row["affected"],
                        "effect": row["effect"],
                        "mechanism": row["mechanism"],
                        "management": row["management"],
                    },
                )
                for row in tables["interactions"]
            ],
        ),
        "treatments": (
            models.Treatment,
            [
                (
                    row,
                    {
                        "drug_id": r.drug(row, "drug"),
                        "myoclonus_types": row["myoclonus_types"] or None,
                        "role": row["role"] or None,
                        "tolerance": {"yes": True, "no": False}.get(row["tolerance"]),
                        "tolerance_days": r.number(row, "tolerance_days", integer=True),
                        "tolerance_text": row["tolerance_text"] or None,
                        "withdrawal_risk": row["withdrawal_risk"] or None,
                        "withdrawal_text": row["withdrawal_text"] or None,
                    },
                )
                for row in tables["treatments"]
            ],
        ),
        "confused_name_pairs": (
            models.ConfusedNamePair,
            [(row, r.name_pair(row)) for row in tables["confused_names"]],
        ),
    }
    out[models.NeverSuppress] = _never_suppress(r, tables["never_suppress"])
    for table, (model, rows) in facts.items():
        records: list[dict[str, Any]] = []
        links: list[dict[str, Any]] = []
        for row, values in rows:
            fact_id = len(records) + 1
            records.append({"id": fact_id, **values})
            links.extend({"fact_id": fact_id, "reference_id": ref} for ref in r.refs_of(row))
        out[model] = records
        out[models.FACT_REFERENCE_TABLES[table]] = links
    return out


_RULE_CODE = re.compile(r"PC\d{3}")


def _never_suppress(r: _Resolver, rows: list[Row]) -> list[dict[str, Any]]:
    """Each entry with its drugs and classes known and its references cited."""
    records: list[dict[str, Any]] = []
    for row in rows:
        if not _RULE_CODE.fullmatch(row["rule"]):
            r._problem(row, f"rule {row['rule']!r} is not a rule code (PCnnn)")
        other = row["other"]
        if other.startswith("condition:"):
            if other.removeprefix("condition:") not in r.conditions:
                r._problem(row, f"unknown condition {other!r}")
        elif other:
            other = _canonical_subject(r, row, "other")
        r.refs_of(row)
        records.append(
            {
                "id": len(records) + 1,
                "rule_code": row["rule"],
                "subject": _canonical_subject(r, row, "subject"),
                "other": other or None,
                "reason": row["reason"],
                "ref_ids": ";".join(split_list(row["ref_ids"])),
            }
        )
    return records


def _canonical_subject(r: _Resolver, row: Row, column: str) -> str:
    """``class:NAME`` as written, a drug by its canonical name (the name findings carry)."""
    found = r.subject(row, column, "drug", "class")
    drug_id = found["drug"]
    return row[column] if drug_id is None else str(r.plan.drugs[drug_id - 1]["name"])


def _condition_codes(r: _Resolver, rows: list[Row]) -> list[dict[str, Any]]:
    """One record per (system, code); a code may name only one condition."""
    records: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        key = (row["system"], row["code"].upper())
        condition_id = r.condition(row)
        if key in records and records[key]["condition_id"] != condition_id:
            r._problem(row, f"{row['system']} code {row['code']!r} is given to two conditions")
        records.setdefault(
            key,
            {
                "condition_id": condition_id,
                "system": row["system"],
                "code": key[1],
                "title": row["title"],
                "reference_id": r.ref(row, row["ref_id"]),
            },
        )
    return list(records.values())


def _condition_parents(r: _Resolver, rows: list[Row]) -> list[dict[str, Any]]:
    """One record per is-a edge; unknown names and cycles are problems."""
    r.plan.problems.extend(condition_hierarchy_problems(rows, set(r.conditions)))
    records: dict[tuple[int, int], dict[str, Any]] = {}
    for row in rows:
        condition_id, parent_id = (
            r.conditions.get(row["condition"]),
            r.conditions.get(row["parent"]),
        )
        if condition_id is not None and parent_id is not None:
            reference_id = r.ref(row, row["ref_id"]) if row["ref_id"] else None
            records.setdefault(
                (condition_id, parent_id),
                {
                    "condition_id": condition_id,
                    "parent_id": parent_id,
                    "reference_id": reference_id,
                },
            )
    return list(records.values())


def _load(conn: Connection, plan: _Plan, log: Log) -> BuildReport:
    records = _records(plan)
    _raise_problems(plan.problems)
    for target, rows in records.items():
        if rows:
            conn.execute(insert(target), rows)
    chem_counts = build_chem.load(conn, plan, records, log)
    bundle = plan.bundle
    built_at = datetime.now(UTC).replace(microsecond=0).isoformat()
    conn.execute(
        insert(models.KBMetadata),
        [
            {"key": "kb_version", "value": bundle.version},
            {"key": "schema_revision", "value": SCHEMA_HEAD},
            {"key": "built_at", "value": built_at},
            {"key": "pharmcheck_version", "value": __version__},
        ],
    )
    vocabulary_version = _field(bundle.vocabulary_source, "version") or "absent"
    conn.execute(
        insert(models.KBSource),
        [
            {
                "name": "pharmcheck curated tables (db/)",
                "version": bundle.version,
                "licence": "MIT",
                "detail": f"{len(records[models.Reference])} references",
            },
            {
                "name": "drug-named-entity-recognition",
                "version": vocabulary_version,
                "licence": "MIT",
                "detail": (
                    "broad drug vocabulary (names, brands, DrugBank and MeSH ids, structures); "
                    "build time only"
                ),
            },
            {
                "name": structure_crosscheck.SOURCE,
                "version": structure_crosscheck.VERSION,
                "licence": structure_crosscheck.LICENCE,
                "detail": (
                    "second source of vocabulary structures (db/vocabulary/crosscheck.csv); "
                    "build time only"
                ),
            },
        ],
    )
    for line in plan.log:
        log(line)
    counts = {
        "drugs": len(plan.drugs),
        "curated_drugs": sum(1 for d in plan.drugs if d["curated"]),
        "names": len(plan.names),
        "references": len(records[models.Reference]),
        **chem_counts,
    }
    return BuildReport(bundle.version, counts, plan.log)


def _raise_problems(problems: list[str]) -> None:
    if problems:
        shown = "; ".join(problems[:5])
        more = (
            f" (and {len(problems) - 5} more; `pharmcheck db check-sources` lists them all)"
            if len(problems) > 5
            else ""
        )
        raise KnowledgeBaseError(f"{len(problems)} problem(s) in the KB sources: {shown}{more}")


def check_sources(sources: Path | None = None) -> list[str]:
    """Every problem in the sources, without writing anything."""
    bundle = read_sources(sources or sources_dir())
    plan = _plan(bundle)
    _records(plan)
    return bundle.problems + plan.problems


def _field(text: str, key: str) -> str | None:
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name.strip().lower() == key:
            return value.strip()
    return None
