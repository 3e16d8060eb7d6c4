"""Opening a built KB for checks, with the standard library only.

A check must start in a fraction of a second, so this module reads SQLite with
:mod:`sqlite3` and imports SQLAlchemy only for other database URLs. It refuses a
missing file other than the default KB, a KB at another schema revision, a file that
is not SQLite and a corrupt file, each with a one-line :class:`KnowledgeBaseError`;
it never overwrites anything. An opened KB keeps its file open, so every process of
one screen reads that file even after `db build` replaces it.
"""

from __future__ import annotations

import os
import re
import sqlite3
import sys
import threading
import weakref
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, TypeVarTuple, cast
from urllib.parse import quote

from pharmcheck._version import __version__
from pharmcheck.errors import KnowledgeBaseError, SchemaRevisionError
from pharmcheck.kb.dose_scope import parse_fraction, parse_population
from pharmcheck.kb.schema import SCHEMA_HEAD
from pharmcheck.paths import DEFAULT_DB_GLOB, data_home, default_db_url, sources_dir
from pharmcheck.units import MG_PER_UNIT

if TYPE_CHECKING:
    from sqlalchemy import Engine

Query = Callable[[str, Mapping[str, Any]], tuple[list[str], list[tuple[Any, ...]]]]
_SQLITE_MAGIC = b"SQLite format 3\x00"
_MISSING = object()
_MEMO_LIMIT = 500_000
T = TypeVar("T")
Ts = TypeVarTuple("Ts")
_KEEP_DEFAULT_KBS = 3  # default KBs of other source states kept, for checkouts used side by side
# user:password@ in a URL; greedy to the last '@', so a password holding '@', '/' or '?' is hidden.
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][\w+.-]*://[^:/@\s]*):[^\s]*@")
_QUERY_PASSWORD = re.compile(r"(?i)(?P<head>[?&](?:password|passwd|pwd)=)[^&\s'\"`]*")


@dataclass(frozen=True)
class Reference:
    ref_id: str
    kind: str
    citation: str
    pmid: str | None
    doi: str | None
    url: str | None

    def cite(self) -> str:
        """One line: key, kind, citation and the best identifier."""
        return self._citation

    @cached_property
    def _citation(self) -> str:  # rules cite the same references for many findings
        ident = (
            f"PMID {self.pmid}" if self.pmid else f"doi:{self.doi}" if self.doi else self.url or ""
        )
        return f"{self.ref_id} [{self.kind}] {self.citation} {ident}".strip()


@dataclass(frozen=True)
class NameHit:
    drug_id: int
    drug: str
    kind: str


@dataclass(frozen=True)
class Membership:
    class_name: str
    basis: str  # curated | inferred
    source: str


@dataclass(frozen=True)
class NeverSuppressEntry:
    """A finding no site override may hide or lower (db/never_suppress)."""

    rule_code: str
    subject: str  # a drug, or class:NAME
    other: str | None  # a drug, class:NAME or condition:NAME
    reason: str
    references: tuple[Reference, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule_code,
            "subject": self.subject,
            "other": self.other,
            "reason": self.reason,
            "references": [ref.cite() for ref in self.references],
        }


@dataclass(frozen=True)
class Fact:
    """A row of a fact table, as a mapping of column to value plus its references."""

    values: Mapping[str, Any]
    references: tuple[Reference, ...]

    def __getitem__(self, key: str) -> Any:
        return self.values[key]


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _with_columns(fact: Fact, **derived: Any) -> Fact:
    """The fact with columns derived from its row added (computed once, when the KB loads)."""
    return Fact({**fact.values, **derived}, fact.references)


def _max_daily_mg(fact: Fact) -> float | None:
    """A limit's maximum daily dose in mg: sources keep the label's unit (piracetam in g)."""
    factor = MG_PER_UNIT.get(str(fact["unit"] or "mg").lower())
    dose = fact["max_daily_dose"]
    return dose * factor if dose is not None and factor is not None else None


def _by_drug(facts: list[Fact]) -> dict[int, list[Fact]]:
    grouped: dict[int, list[Fact]] = defaultdict(list)
    for fact in facts:
        grouped[int(fact["drug_id"])].append(fact)
    return grouped


def resolve_url(url: str | None, sources: Path | None = None) -> str:
    """``--db`` beats ``$PHARMCHECK_DB``, which beats the embedded default (for ``sources``)."""
    return url or os.environ.get("PHARMCHECK_DB") or default_db_url(sources)


def hide_password(text: str) -> str:
    """``text`` with the password of every database URL in it replaced by ``***``."""
    return _QUERY_PASSWORD.sub(r"\g<head>***", _URL_PASSWORD.sub(r"\g<head>:***@", text))


def sqlite_file(url: str) -> Path | None:
    """The file behind a ``sqlite:///PATH`` URL; None for anything else."""
    for prefix in ("sqlite:///", "sqlite+pysqlite:///"):
        if url.startswith(prefix):
            path = url[len(prefix) :].split("?", 1)[0]
            return Path(path) if path and path != ":memory:" else None
    return None


def open_kb(url: str | None = None, *, build_if_missing: bool = True) -> KnowledgeBase:
    """Open the KB at ``url`` (or the configured default).

    Only the embedded default KB is built on first use (once, however many processes start
    together); any other SQLite file that does not exist is an error naming `pharmcheck db build`.
    """
    url = resolve_url(url)
    path = sqlite_file(url)
    if path is None:
        return KnowledgeBase(_sqlalchemy_query(url), url)
    if not path.exists():
        if not build_if_missing or url != default_db_url():
            raise KnowledgeBaseError(
                f"no knowledge base at {path}; build one with `pharmcheck db build --db {url}`"
            )
        _build_default(path)
    return KnowledgeBase(_open_sqlite(path), url)


def _build_default(path: Path) -> None:
    from pharmcheck.kb.build import build_if_missing

    def announce() -> None:
        print(
            f"pharmcheck: building the knowledge base from {sources_dir()} at {path} "
            "(first use of these sources) ...",
            file=sys.stderr,
        )

    def wait() -> None:
        print(
            f"pharmcheck: waiting for the knowledge base at {path}, which another pharmcheck "
            "is making ...",
            file=sys.stderr,
        )

    if build_if_missing(path, announce, wait):
        _prune_default_kbs(keep=path)


def _prune_default_kbs(keep: Path) -> None:
    """Default KBs of earlier source states are never read again once newer ones exist."""

    def age(kb: Path) -> float:
        try:
            return -kb.stat().st_mtime
        except OSError:
            return 0.0

    others = sorted((kb for kb in data_home().glob(DEFAULT_DB_GLOB) if kb != keep), key=age)
    for stale in others[_KEEP_DEFAULT_KBS - 1 :]:
        stale.unlink(missing_ok=True)


class _HeldFile:
    """A KB file held open: it stays readable after `db build` replaces its path."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self._fd = os.open(path, os.O_RDONLY)
        except OSError as exc:
            message = f"cannot read the knowledge base {path}: {exc.strerror}"
            raise KnowledgeBaseError(message) from None
        weakref.finalize(self, os.close, self._fd)
        self.magic = os.read(self._fd, len(_SQLITE_MAGIC))

    def is_at_path(self) -> bool:
        """Whether ``path`` still names this file (not yet replaced by a rebuild)."""
        held = os.fstat(self._fd)
        try:
            named = os.stat(self.path)
        except OSError:
            return False
        return (held.st_dev, held.st_ino) == (named.st_dev, named.st_ino)


def _open_sqlite(path: Path) -> Query:
    """A query on the KB file at ``path``, held open so a rebuild cannot swap it mid-use."""
    if path.is_dir():
        raise KnowledgeBaseError(f"{path} is a directory, not a knowledge-base file")
    for _ in range(3):
        held = _HeldFile(path)
        if held.magic != _SQLITE_MAGIC:
            raise KnowledgeBaseError(
                f"{path} is not an SQLite knowledge base (left untouched); rebuild it with "
                f"`pharmcheck db build --db sqlite:///OTHER_PATH` or remove it"
            )
        conn = _connect(path)
        if held.is_at_path():  # the connection opened the file held, not one a rebuild put there
            return _sqlite_query(conn, held)
        conn.close()
    raise KnowledgeBaseError(
        f"the knowledge base {path} was replaced three times while opening it; try again"
    )


def _connect(path: Path) -> sqlite3.Connection:
    # Read-only, so a KB on a read-only file or directory still serves checks.
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    try:
        return sqlite3.connect(uri, uri=True, check_same_thread=False)
    except sqlite3.Error as exc:
        raise KnowledgeBaseError(f"cannot open the knowledge base {path}: {exc}") from None


def _sqlite_query(conn: sqlite3.Connection, held: _HeldFile) -> Query:
    def query(sql: str, params: Mapping[str, Any]) -> tuple[list[str], list[tuple[Any, ...]]]:
        try:
            cursor = conn.execute(sql, dict(params))
            return [c[0] for c in cursor.description or ()], cursor.fetchall()
        except sqlite3.DatabaseError as exc:
            message = f"the knowledge base {held.path} is unreadable or corrupt: {exc}"
            raise KnowledgeBaseError(message) from None

    return query  # which keeps ``held``, and so its descriptor, open as long as it is used


def sqlalchemy_engine(url: str, **options: Any) -> Engine:
    """An SQLAlchemy engine for ``url``; an unusable URL or a missing driver is a one-line error."""
    from sqlalchemy import create_engine

    try:
        return create_engine(url, **options)
    except Exception as exc:  # noqa: BLE001 - a parse error, a port that is not a number, a driver not installed
        message = f"cannot use the database URL {url!r}: {exc}"
        raise KnowledgeBaseError(hide_password(message)) from None


def _sqlalchemy_query(url: str) -> Query:
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    # A shared KB serves many threads at once (`serve`): enough connections that none waits long.
    pooled = {} if url.startswith("sqlite") else {"pool_size": 10, "max_overflow": 40}
    engine = sqlalchemy_engine(url, pool_pre_ping=True, **pooled)

    def query(sql: str, params: Mapping[str, Any]) -> tuple[list[str], list[tuple[Any, ...]]]:
        try:
            with engine.connect() as conn:
                result = conn.execute(text(sql), dict(params))
                return list(result.keys()), [tuple(row) for row in result]
        except SQLAlchemyError as exc:
            first_line = str(exc).splitlines()[0] if str(exc) else ""
            raise KnowledgeBaseError(
                hide_password(
                    f"knowledge-base query on {url} failed: {exc.__class__.__name__}: {first_line}"
                )
            ) from None

    weakref.finalize(query, engine.dispose)  # close pooled connections once the KB is dropped
    return query


def schema_revision_error(
    location: str, revision: str | None, built_by: str | None
) -> SchemaRevisionError:
    """Why a KB at ``revision`` cannot be read: too old (upgrade it) or newer than this code."""
    from pharmcheck.kb import migrate  # Alembic, on this error path only

    if revision is not None and not migrate.is_known_revision(revision):
        by, needed = (
            (f"pharmcheck {built_by}", f"pharmcheck {built_by} or later")
            if built_by
            else ("a newer pharmcheck", "the newer pharmcheck that built it")
        )
        return SchemaRevisionError(
            f"the knowledge base {location} was built by {by} at schema revision {revision}, "
            f"newer than this pharmcheck {__version__} reads ({SCHEMA_HEAD}); open it with "
            f"{needed}, or build a KB for this version with `pharmcheck db build --db OTHER_URL`"
        )
    return SchemaRevisionError(
        f"the knowledge base is at schema revision {revision or 'none'}, this pharmcheck "
        f"needs {SCHEMA_HEAD}; run `pharmcheck db upgrade` (or `pharmcheck db build`)"
    )


class KnowledgeBase:
    """Read access to a built KB: name lookup, drugs, classes and every curated fact."""

    def __init__(self, query: Query, url: str):
        self.url = url
        self.location = hide_password(url)
        self._query = query
        self._query_lock = threading.Lock()  # one SQLite connection, shared by every thread
        self._memo_lock = threading.Lock()
        self._check_revision()
        self.meta = dict(self._q("SELECT key, value FROM kb_metadata", {}))
        self._fuzzy: tuple[list[str], list[list[int]]] | None = None
        self._memo: dict[Any, Any] = {}
        self._load_facts()

    def _q(self, sql: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        return self._rows(sql, params)[1]

    def _rows(self, sql: str, params: Mapping[str, Any]) -> tuple[list[str], list[tuple[Any, ...]]]:
        with self._query_lock:
            return self._query(sql, params)

    def memo(self, key: tuple[Any, ...], make: Callable[[*Ts], T], *args: *Ts) -> T:
        """``make(*args)``, computed once per KB: ``key`` must hold every input the result depends
        on besides the KB itself (a batch sees the same drugs and regimens over and over).

        Safe for concurrent threads: ``make`` runs outside the lock (it may memoise too), and
        when two threads make the same key, both get the first value stored."""
        cached = self._memo.get(key, _MISSING)
        if cached is _MISSING:
            made = make(*args)
            with self._memo_lock:
                if len(self._memo) > _MEMO_LIMIT:
                    self._memo.clear()  # a long-lived embedding process must not grow without bound
                cached = self._memo.setdefault(key, made)
        return cast(T, cached)  # the memo holds each key's own type

    # --- identity -------------------------------------------------------------------------

    @property
    def version(self) -> str:
        return str(self.meta.get("kb_version", "unknown"))

    @property
    def schema_revision(self) -> str:
        return str(self.revision)  # _check_revision refused a KB without one

    def _check_revision(self) -> None:
        try:
            rows = self._q("SELECT version_num FROM alembic_version", {})
        except KnowledgeBaseError as exc:
            if "no such table" in str(exc) or "does not exist" in str(exc):
                raise KnowledgeBaseError(
                    f"{self.location} is not a pharmcheck knowledge base (no schema revision); "
                    "build one with `pharmcheck db build`"
                ) from None
            raise
        self.revision = rows[0][0] if rows else None
        if self.revision != SCHEMA_HEAD:
            raise schema_revision_error(self.location, self.revision, self._built_by())

    def _built_by(self) -> str | None:
        try:
            rows = self._q("SELECT value FROM kb_metadata WHERE key = 'pharmcheck_version'", {})
        except KnowledgeBaseError:  # a KB too old or too new to have this table as we know it
            return None
        return str(rows[0][0]) if rows else None

    # --- names ----------------------------------------------------------------------------

    def names_by_lower_key(self, key: str) -> list[NameHit]:
        return self._name_hits("lower_key", key)

    def names_by_loose_key(self, key: str) -> list[NameHit]:
        return self._name_hits("loose_key", key)

    def _name_hits(self, column: str, key: str) -> list[NameHit]:
        rows = self._q(
            f"SELECT n.drug_id, d.name, n.kind FROM drug_names n JOIN drugs d ON d.id = n.drug_id "
            f"WHERE n.{column} = :key ORDER BY n.id",
            {"key": key},
        )
        return [NameHit(int(r[0]), str(r[1]), str(r[2])) for r in rows]

    def fuzzy_choices(self) -> tuple[list[str], list[list[int]]]:
        """Every distinct loose key and the drugs it names, loaded once for fuzzy matching."""
        if self._fuzzy is None:
            self._fuzzy = self.memo(("fuzzy-choices",), self._fuzzy_choices)
        return self._fuzzy

    def _fuzzy_choices(self) -> tuple[list[str], list[list[int]]]:
        grouped: dict[str, list[int]] = defaultdict(list)
        # Misspellings are of names people write: generics, brands and curated names, not the
        # vocabulary's long chemical synonyms (which would also make each lookup 5x slower).
        for key, drug_id in self._q(
            "SELECT n.loose_key, n.drug_id FROM drug_names n JOIN drugs d ON d.id = n.drug_id "
            "WHERE (n.kind != 'synonym' OR d.curated) AND length(n.loose_key) <= 40 ORDER BY n.id",
            {},
        ):
            if drug_id not in grouped[key]:
                grouped[key].append(drug_id)
        return list(grouped), list(grouped.values())

    def search_names(self, text: str, limit: int = 50) -> list[tuple[str, str, str]]:
        """(name, drug, kind) for names containing ``text``, shortest first."""
        rows = self._q(
            "SELECT n.name, d.name, n.kind FROM drug_names n JOIN drugs d ON d.id = n.drug_id "
            "WHERE n.lower_key LIKE :pattern ESCAPE '\\' ORDER BY length(n.lower_key), n.lower_key "
            "LIMIT :limit",
            {
                "pattern": "%"
                + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                + "%",
                "limit": limit,
            },
        )
        return [(str(a), str(b), str(c)) for a, b, c in rows]

    def names_of(self, drug_id: int) -> list[tuple[str, str]]:
        rows = self._q(
            "SELECT name, kind FROM drug_names WHERE drug_id = :id ORDER BY kind, lower_key",
            {"id": drug_id},
        )
        return [(str(a), str(b)) for a, b in rows]

    # --- drugs ----------------------------------------------------------------------------

    def drug_row(self, drug_id: int) -> dict[str, Any]:
        rows = self._q(
            "SELECT id, name, label, curated, drugbank_id, atc_codes, rxnorm_cui, mesh_id, smiles, "
            "inchikey, structure_source, source FROM drugs WHERE id = :id",
            {"id": drug_id},
        )
        keys = (
            "id",
            "name",
            "label",
            "curated",
            "drugbank_id",
            "atc_codes",
            "rxnorm_cui",
            "mesh_id",
            "smiles",
            "inchikey",
            "structure_source",
            "source",
        )
        return dict(zip(keys, rows[0], strict=True)) if rows else {}

    def drugs_by_code(self, system: str, code: str) -> tuple[str, ...]:
        """The drugs a code names: ``system`` "ATC" or "RxNorm", the systems the KB carries for
        drugs (any other names none)."""
        return self.memo(("drug-codes",), self._drug_codes).get((system, code.strip().upper()), ())

    def _drug_codes(self) -> dict[tuple[str, str], tuple[str, ...]]:
        found: dict[tuple[str, str], list[str]] = defaultdict(list)
        rows = self._q(
            "SELECT name, atc_codes, rxnorm_cui FROM drugs "
            "WHERE atc_codes IS NOT NULL OR rxnorm_cui IS NOT NULL ORDER BY id",
            {},
        )
        for name, atc, rxnorm in rows:
            for system, codes in (("ATC", atc), ("RxNorm", rxnorm)):
                for code in re.split(r"[;,\s]+", codes or ""):
                    if code and name not in found[(system, code.upper())]:
                        found[(system, code.upper())].append(str(name))
        return {key: tuple(names) for key, names in found.items()}

    def drug_by_inchikey(self, inchikey: str) -> tuple[int, str] | None:
        rows = self._q(
            "SELECT id, name FROM drugs WHERE inchikey = :key ORDER BY curated DESC, id LIMIT 1",
            {"key": inchikey},
        )
        return (int(rows[0][0]), str(rows[0][1])) if rows else None

    # --- structures (read by pharmcheck.structures, which caches them per KB) ---------------

    def structure_patterns(self) -> list[tuple[str, str, str]]:
        """(class name, SMARTS, reference key) of every class-defining substructure pattern."""
        rows = self._q(
            "SELECT c.name, p.smarts, r.ref_id FROM structure_patterns p "
            "JOIN classes c ON c.id = p.class_id "
            'JOIN "references" r ON r.id = p.reference_id ORDER BY p.id',
            {},
        )
        return [(str(a), str(b), str(c)) for a, b, c in rows]

    def fingerprints(self) -> tuple[list[int], list[bytes]]:
        """Drug ids and their stored Morgan fingerprints (packed on-bits), in drug-id order."""
        rows = self._q("SELECT drug_id, morgan FROM drug_fingerprints ORDER BY drug_id", {})
        return [int(r[0]) for r in rows], [bytes(r[1]) for r in rows]

    def drug_name(self, drug_id: int) -> str:
        name = self.drug_names.get(drug_id)
        if name is None:
            rows = self._q("SELECT name FROM drugs WHERE id = :id", {"id": drug_id})
            name = self.drug_names.setdefault(
                drug_id, str(rows[0][0]) if rows else f"drug-{drug_id}"
            )
        return name

    def classes_of(self, drug_id: int) -> list[Membership]:
        return self.memberships.get(drug_id, [])

    def class_members(self, class_name: str) -> list[int]:
        return [
            d for d, ms in self.memberships.items() if any(m.class_name == class_name for m in ms)
        ]

    # --- facts ----------------------------------------------------------------------------

    def _load_facts(self) -> None:
        q = self._q
        self.references = {
            int(pk): Reference(str(ref_id), str(kind), str(citation), *map(_text, (pmid, doi, url)))
            for pk, ref_id, kind, citation, pmid, doi, url in q(
                'SELECT id, ref_id, kind, citation, pmid, doi, url FROM "references"', {}
            )
        }
        self.reference_by_key = {ref.ref_id: ref for ref in self.references.values()}
        self.classes = {
            int(r[0]): (str(r[1]), str(r[2]), bool(r[3]))
            for r in q("SELECT id, name, label, duplicate_therapy FROM classes", {})
        }
        self.class_ids = {name: cid for cid, (name, _, _) in self.classes.items()}
        self.memberships: dict[int, list[Membership]] = defaultdict(list)
        for drug_id, class_id, basis, source in q(
            "SELECT drug_id, class_id, basis, source FROM class_memberships ORDER BY id", {}
        ):
            self.memberships[int(drug_id)].append(
                Membership(self.classes[int(class_id)][0], str(basis), str(source))
            )
        self.conditions = {
            int(r[0]): (str(r[1]), str(r[2]))
            for r in q("SELECT id, name, label FROM conditions", {})
        }
        self.condition_keys = {
            str(key): int(cid)
            for cid, key in q("SELECT condition_id, lower_key FROM condition_synonyms", {})
        }
        self.condition_codes = {
            (str(system), str(code)): int(cid)
            for cid, system, code in q(
                "SELECT condition_id, system, code FROM condition_codes ORDER BY id", {}
            )
        }
        parents: dict[int, set[int]] = defaultdict(set)
        for cid, parent in q(
            "SELECT condition_id, parent_id FROM condition_parents ORDER BY id", {}
        ):
            parents[int(cid)].add(int(parent))
        self.condition_parents = {cid: frozenset(parents[cid]) for cid in self.conditions}
        self.condition_ancestors = {cid: _above(cid, parents) for cid in self.conditions}
        below: dict[int, set[int]] = defaultdict(set)
        for cid, above in self.condition_ancestors.items():
            for ancestor in above:
                below[ancestor].add(cid)
        self.condition_descendants = {cid: frozenset(below[cid]) for cid in self.conditions}
        self.never_suppress = [
            NeverSuppressEntry(
                str(rule),
                str(subject),
                str(other) if other else None,
                str(reason),
                tuple(
                    self.reference_by_key[key]
                    for key in str(refs).split(";")
                    if key in self.reference_by_key
                ),
            )
            for rule, subject, other, reason, refs in q(
                "SELECT rule_code, subject, other, reason, ref_ids FROM never_suppress ORDER BY id",
                {},
            )
        ]
        self.confused_names = self._facts("confused_name_pairs", "confused_name_pairs_references")
        self.confused_with: dict[int, set[int]] = defaultdict(set)
        for pair in self.confused_names:
            self.confused_with[int(pair["a_drug_id"])].add(int(pair["b_drug_id"]))
            self.confused_with[int(pair["b_drug_id"])].add(int(pair["a_drug_id"]))
        self.risks = self._facts("risk_assertions", "risk_assertions_references")
        self.condition_rules = self._facts("condition_rules", "condition_rules_references")
        self.interactions = self._facts("interaction_rules", "interaction_rules_references")
        self.treatments = self._facts("treatments", "treatments_references")
        self.properties = self._facts("drug_properties", None)
        self.dose_limits = [
            _with_columns(
                fact,
                max_daily_mg=_max_daily_mg(fact),
                scope_population=parse_population(str(fact["population"] or "adult")),
            )
            for fact in self._facts("dose_limits", None)
        ]
        self.renal_bands = [
            _with_columns(
                fact,
                max_daily_mg=_max_daily_mg(fact),
                fraction_of_usual=parse_fraction(str(fact["fraction"]))
                if fact["fraction"]
                else None,
            )
            for fact in self._facts("renal_bands", None)
        ]
        self.hepatic = self._facts("hepatic_cautions", None)
        self.indications = {str(f["name"]): f for f in self._facts("indications", None)}
        self.properties_by_drug: dict[int, list[Fact]] = defaultdict(list)
        for fact in self.properties:
            self.properties_by_drug[int(fact["drug_id"])].append(fact)
        self.renal_by_drug = _by_drug(self.renal_bands)
        self.dose_limits_by_drug = _by_drug(self.dose_limits)
        self.hepatic_by_drug = _by_drug(self.hepatic)
        self.treatments_by_drug = _by_drug(self.treatments)
        self.condition_by_name = {name: cid for cid, (name, _) in self.conditions.items()}
        fact_drugs = {
            f[col]
            for facts in (
                self.risks,
                self.condition_rules,
                self.treatments,
                self.properties,
                self.dose_limits,
                self.renal_bands,
                self.hepatic,
                self.interactions,
            )
            for f in facts
            for col in ("drug_id", "a_drug_id", "b_drug_id")
            if col in f.values and f[col]
        }
        self.drug_names: dict[int, str] = {}
        if fact_drugs:
            for drug_id, name in q(
                "SELECT id, name FROM drugs WHERE id IN "
                f"({','.join(str(int(d)) for d in fact_drugs)})",
                {},
            ):
                self.drug_names[int(drug_id)] = str(name)

    def _facts(self, table: str, link_table: str | None) -> list[Fact]:
        columns, cursor_rows = self._rows(f"SELECT * FROM {table} ORDER BY id", {})
        links: dict[int, list[Reference]] = defaultdict(list)
        if link_table:
            for fact_id, ref in self._q(
                f"SELECT fact_id, reference_id FROM {link_table} ORDER BY fact_id, reference_id", {}
            ):
                links[int(fact_id)].append(self.references[int(ref)])
        facts = []
        for row in cursor_rows:
            values = dict(zip(columns, row, strict=True))
            refs = links.get(int(values["id"]), [])
            if values.get("reference_id") is not None:
                refs = [self.references[int(values["reference_id"])]]
            facts.append(Fact(values, tuple(refs)))
        return facts

    def condition_vocabulary(self) -> list[dict[str, Any]]:
        """Every condition with its category, synonyms, codes and parents (is-a), by name."""
        synonyms: dict[int, list[str]] = defaultdict(list)
        for cid, synonym in self._q(
            "SELECT condition_id, synonym FROM condition_synonyms ORDER BY id", {}
        ):
            synonyms[int(cid)].append(str(synonym))
        codes: dict[int, list[dict[str, str]]] = defaultdict(list)
        for cid, system, code, title in self._q(
            "SELECT condition_id, system, code, title FROM condition_codes ORDER BY id", {}
        ):
            codes[int(cid)].append({"system": str(system), "code": str(code), "title": str(title)})
        rows = self._q("SELECT id, name, label, category FROM conditions ORDER BY name", {})
        return [
            {
                "condition": str(name),
                "label": str(label),
                "category": str(category),
                "synonyms": [
                    s
                    for s in synonyms[int(cid)]
                    if s.lower() not in (str(name), str(label).lower())
                ],
                "codes": codes[int(cid)],
                "is_a": sorted(self.conditions[p][0] for p in self.condition_parents[int(cid)]),
            }
            for cid, name, label, category in rows
        ]

    def counts(self) -> dict[str, int]:
        def one(sql: str) -> int:
            return int(self._q(sql, {})[0][0])

        return {
            "drugs": one("SELECT count(*) FROM drugs"),
            "curated_drugs": one("SELECT count(*) FROM drugs WHERE curated"),
            "names": one("SELECT count(*) FROM drug_names"),
            "classes": one("SELECT count(*) FROM classes"),
            "class_memberships": one("SELECT count(*) FROM class_memberships"),
            "references": one('SELECT count(*) FROM "references"'),
            "risk_assertions": len(self.risks),
            "interaction_rules": len(self.interactions),
            "condition_rules": len(self.condition_rules),
            "renal_bands": len(self.renal_bands),
            "treatments": len(self.treatments),
            "conditions": len(self.conditions),
            "condition_codes": len(self.condition_codes),
            "confused_name_pairs": len(self.confused_names),
        }

    def site_override_rows(self) -> list[dict[str, Any]]:
        """The active site overrides as stored (read on every check: other users change them)."""
        columns, rows = self._rows(
            "SELECT * FROM site_overrides WHERE state = 'active' ORDER BY id", {}
        )
        return [dict(zip(columns, row, strict=True)) for row in rows]

    def sources(self) -> list[dict[str, str]]:
        return [
            {"name": str(n), "version": str(v), "licence": str(lic or ""), "detail": str(d or "")}
            for n, v, lic, d in self._q(
                "SELECT name, version, licence, detail FROM kb_sources ORDER BY id", {}
            )
        ]


def _above(condition_id: int, parents: dict[int, set[int]]) -> frozenset[int]:
    """Every condition above this one in the is-a hierarchy (the build rejects cycles)."""
    seen: set[int] = set()
    todo = list(parents.get(condition_id, ()))
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo.extend(parents.get(current, ()))
    return frozenset(seen)
