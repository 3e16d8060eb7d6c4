"""The site store: local overrides, their append-only audit trail and CDS Hooks feedback.

These tables live in the KB's database beside the shared facts, on SQLite or PostgreSQL, and
survive a KB rebuild. Every write is one transaction: an override change and its audit row
commit together or not at all.
"""

from __future__ import annotations

import atexit
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pharmcheck.errors import InputError, KnowledgeBaseError
from pharmcheck.kb.schema import SCHEMA_HEAD
from pharmcheck.kb.store import hide_password, open_kb, resolve_url, sqlite_file

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

FEEDBACK_OUTCOMES = ("accepted", "overridden")
_STAMP = "%Y-%m-%dT%H:%M:%S.%fZ"


def stamp(moment: datetime) -> str:
    """``moment`` as fixed-width UTC text, which sorts in time order on every engine."""
    if moment.tzinfo is None:
        raise InputError(
            f"time {moment.isoformat()} has no time zone; give it in UTC or with an offset"
        )
    return moment.astimezone(UTC).strftime(_STAMP)


def now_stamp() -> str:
    return stamp(datetime.now(UTC))


def parse_time(text: str | datetime, what: str) -> str:
    """An RFC 3339 time (``2026-12-02T21:40:00Z``) or an aware datetime, as stored text."""
    if isinstance(text, datetime):
        return stamp(text)
    if not isinstance(text, str):
        raise InputError(f"{what} must be an RFC 3339 time, not {type(text).__name__}")
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{what} {text!r} is not an RFC 3339 time") from None
    return stamp(moment)


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """One pooled engine per database URL; SQLite writers wait for each other's locks."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import ArgumentError

    try:
        engine = (
            _sqlite_engine(url)
            if sqlite_file(url) is not None
            else create_engine(url, pool_size=10, max_overflow=40, pool_pre_ping=True)
        )
    except (ArgumentError, ImportError, ValueError) as exc:  # a malformed URL, a missing driver
        raise KnowledgeBaseError(
            hide_password(f"cannot use the database URL {url!r}: {exc}")
        ) from None
    atexit.register(engine.dispose)  # pooled connections closed, not left to the collector
    return engine


def _sqlite_engine(url: str) -> Engine:
    """Each transaction on a fresh connection (a rebuild replaces the file: a pooled connection
    would keep writing to the old one) that takes the write lock at BEGIN, so writers queue."""
    from sqlalchemy import create_engine, event
    from sqlalchemy.pool import NullPool

    engine = create_engine(url, connect_args={"timeout": 30}, poolclass=NullPool)

    @event.listens_for(engine, "connect")
    def _manual_transactions(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _write_lock(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def site_url(db_url: str | None) -> str:
    """The database holding the site tables: the KB's own (the default KB is built if missing)."""
    url = resolve_url(db_url)
    path = sqlite_file(url)
    if path is not None and not path.exists():
        open_kb(url)  # builds the embedded default KB, or says how to build this one
    return url


@contextmanager
def transaction(db_url: str | None) -> Iterator[Connection]:
    """A write transaction on the site tables of the KB at ``db_url`` (checked to be at head)."""
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    url = site_url(db_url)
    engine = engine_for(url)
    path = sqlite_file(url)
    try:
        with site_write_lock(path, exclusive=False), engine.begin() as conn:
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            if revision != SCHEMA_HEAD:
                raise KnowledgeBaseError(
                    f"the knowledge base {hide_password(url)} is at schema revision "
                    f"{revision}, the site tables need {SCHEMA_HEAD}; run `pharmcheck db upgrade`"
                )
            yield conn
    except SQLAlchemyError as exc:
        message = f"site store {url}: {exc.__class__.__name__}: {str(exc).splitlines()[0]}"
        raise KnowledgeBaseError(hide_password(message)) from None


@contextmanager
def site_write_lock(path: Path | None, *, exclusive: bool) -> Iterator[None]:
    """For an SQLite KB file: site writers hold ``.NAME.site-lock`` shared while their connection
    is open; `db build` holds it exclusively to copy the site tables and rename the new KB into
    place, so no site write goes to a replaced file. Both pass ``.NAME.site-gate`` first (writers
    only for a moment), so a stream of writers cannot keep the build waiting. A server database
    needs none of this."""
    try:
        import fcntl
    except ImportError:  # Windows: no flock
        yield
        return
    if path is None:
        yield
        return
    try:
        gate = (path.parent / f".{path.name}.site-gate").open("a")
        lock = (path.parent / f".{path.name}.site-lock").open("a")
    except OSError as exc:
        raise KnowledgeBaseError(f"cannot write the KB at {path}: {exc.strerror}") from None
    with gate, lock:
        fcntl.flock(gate, fcntl.LOCK_EX)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        finally:
            if not exclusive:
                fcntl.flock(gate, fcntl.LOCK_UN)
        yield


def _required(value: object, what: str, limit: int = 200) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{what} is required (a non-empty text)")
    if len(value.strip()) > limit:
        raise InputError(f"{what} is longer than {limit} characters")
    return value.strip()


def _optional(value: object, what: str, limit: int | None = 200) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise InputError(f"{what} must be a text, not {type(value).__name__}")
    if limit is not None and len(value.strip()) > limit:
        raise InputError(f"{what} is longer than {limit} characters")
    return value.strip()


# --- CDS Hooks feedback ----------------------------------------------------------------------


@dataclass(frozen=True)
class Feedback:
    """One card's outcome as the EHR reported it."""

    id: int
    received_at: str
    outcome_at: str
    author: str
    service_id: str
    card_id: str
    rule_code: str | None
    outcome: str
    reason_system: str | None
    reason_code: str | None
    reason_display: str | None
    user_comment: str | None
    accepted_suggestions: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "received_at": self.received_at,
            "outcome_at": self.outcome_at,
            "author": self.author,
            "service_id": self.service_id,
            "card_id": self.card_id,
            "rule_code": self.rule_code,
            "outcome": self.outcome,
            "override_reason": {
                "system": self.reason_system,
                "code": self.reason_code,
                "display": self.reason_display,
            }
            if self.reason_code or self.reason_display
            else None,
            "user_comment": self.user_comment,
            "accepted_suggestions": list(self.accepted_suggestions),
        }


_FEEDBACK_COLUMNS = (
    "id, received_at, outcome_at, author, service_id, card_id, rule_code, outcome, "
    "reason_system, reason_code, reason_display, user_comment, accepted_suggestions"
)


def _feedback(row: Sequence[Any]) -> Feedback:
    values = list(row)
    values[-1] = tuple(json.loads(values[-1])) if values[-1] else ()
    return Feedback(*values)


def record_feedback(
    db_url: str | None,
    *,
    author: str,
    service_id: str,
    card_id: str,
    outcome: str,
    outcome_at: str | datetime,
    rule_code: str | None = None,
    reason_system: str | None = None,
    reason_code: str | None = None,
    reason_display: str | None = None,
    user_comment: str | None = None,
    accepted_suggestions: Sequence[str] = (),
) -> Feedback:
    """Store one feedback item and return it; the same card, outcome and time sent again returns
    the row stored the first time (CDS Hooks clients may repeat feedback)."""
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    if outcome not in FEEDBACK_OUTCOMES:
        raise InputError(
            f"feedback outcome {outcome!r} is not one of {', '.join(FEEDBACK_OUTCOMES)}"
        )
    if isinstance(accepted_suggestions, str) or not all(
        isinstance(s, str) and s for s in accepted_suggestions
    ):
        raise InputError("accepted_suggestions must be a list of suggestion ids")
    row = {
        "received_at": now_stamp(),
        "outcome_at": parse_time(outcome_at, "outcomeTimestamp"),
        "author": _required(author, "feedback author"),
        "service_id": _required(service_id, "feedback service id"),
        "card_id": _required(card_id, "feedback card id"),
        "rule_code": _optional(rule_code, "feedback rule code", 20),
        "outcome": outcome,
        "reason_system": _optional(reason_system, "override reason system", 300),
        "reason_code": _optional(reason_code, "override reason code"),
        "reason_display": _optional(reason_display, "override reason display", None),
        "user_comment": _optional(user_comment, "user comment", None),
        "accepted_suggestions": json.dumps(list(accepted_suggestions))
        if accepted_suggestions
        else None,
    }
    key = (
        "service_id = :service_id AND card_id = :card_id AND outcome = :outcome "
        "AND outcome_at = :outcome_at"
    )
    find = text(f"SELECT {_FEEDBACK_COLUMNS} FROM site_feedback WHERE {key}")
    try:
        with transaction(db_url) as conn:
            existing = conn.execute(find, row).first()
            if existing is not None:
                return _feedback(existing)
            columns = ", ".join(row)
            conn.execute(
                text(
                    f"INSERT INTO site_feedback ({columns}) "
                    f"VALUES ({', '.join(':' + c for c in row)})"
                ),
                row,
            )
            return _feedback(conn.execute(find, row).one())
    except KnowledgeBaseError as exc:
        if IntegrityError.__name__ not in str(exc):
            raise
    with transaction(db_url) as conn:  # a concurrent duplicate won the insert: return its row
        return _feedback(conn.execute(find, row).one())


def list_feedback(db_url: str | None, since: str | datetime | None = None) -> list[Feedback]:
    """Feedback received at or after ``since`` (all if None), oldest first."""
    from sqlalchemy import text

    where, params = "", {}
    if since is not None:
        where, params = " WHERE received_at >= :since", {"since": parse_time(since, "since")}
    with transaction(db_url) as conn:
        rows = conn.execute(
            text(f"SELECT {_FEEDBACK_COLUMNS} FROM site_feedback{where} ORDER BY received_at, id"),
            params,
        )
        return [_feedback(r) for r in rows]


# --- overrides and their audit trail ---------------------------------------------------------

OVERRIDE_COLUMNS = (
    "id",
    "action",
    "rule_code",
    "drug",
    "other_drug",
    "drug_class",
    "unit",
    "severity",
    "note",
    "reason",
    "author",
    "state",
    "revision",
    "kb_version",
    "fact_digest",
    "created_at",
    "changed_at",
)
AUDIT_COLUMNS = (
    "id",
    "override_id",
    "change",
    "actor",
    "at",
    "reason",
    "kb_version",
    "before",
    "after",
)


class StaleRevisionError(InputError):
    """The override changed since the revision the caller read (someone else changed it)."""


def _audit(
    conn: Connection,
    override_id: int,
    change: str,
    before: dict[str, Any] | None,
    after: dict[str, Any],
) -> None:
    from sqlalchemy import text

    conn.execute(
        text(
            "INSERT INTO site_audit "
            "(override_id, change, actor, at, reason, kb_version, before, after) "
            "VALUES (:override_id, :change, :actor, :at, :reason, :kb_version, :before, :after)"
        ),
        {
            "override_id": override_id,
            "change": change,
            "actor": after["author"],
            "at": after["changed_at"],
            "reason": after["reason"],
            "kb_version": after["kb_version"],
            "before": json.dumps(before, sort_keys=True) if before is not None else None,
            "after": json.dumps(after, sort_keys=True),
        },
    )


def _override_row(conn: Connection, override_id: int) -> dict[str, Any] | None:
    from sqlalchemy import text

    row = conn.execute(
        text(f"SELECT {', '.join(OVERRIDE_COLUMNS)} FROM site_overrides WHERE id = :id"),
        {"id": override_id},
    ).first()
    return dict(zip(OVERRIDE_COLUMNS, row, strict=True)) if row is not None else None


def insert_override(db_url: str | None, values: dict[str, Any]) -> dict[str, Any]:
    """Store a new active override (``values`` without id, state, revision or times) and its
    ``create`` audit row, in one transaction; returns the stored row."""
    from sqlalchemy import text

    moment = now_stamp()
    row = {**values, "state": "active", "revision": 1, "created_at": moment, "changed_at": moment}
    columns = [c for c in OVERRIDE_COLUMNS if c != "id"]
    with transaction(db_url) as conn:
        new_id = conn.execute(
            text(
                f"INSERT INTO site_overrides ({', '.join(columns)}) "
                f"VALUES ({', '.join(':' + c for c in columns)}) RETURNING id"
            ),
            row,
        ).scalar_one()
        stored = _override_row(conn, int(new_id))
        assert stored is not None
        _audit(conn, stored["id"], "create", None, stored)
        return stored


def update_override(
    db_url: str | None,
    override_id: int,
    change: str,
    make: Any,
    expected_revision: int | None = None,
) -> dict[str, Any]:
    """Apply ``make(current_row) -> changed fields`` to an active override and write the audit
    row with before and after, in one transaction. The update only lands on the revision it was
    made from: with ``expected_revision`` a later one is refused (StaleRevisionError), without it
    the change is made again on top of the newer revision."""
    from sqlalchemy import text

    for _attempt in range(50):
        with transaction(db_url) as conn:
            before = _override_row(conn, override_id)
            if before is None:
                raise InputError(f"no site override #{override_id}")
            if before["state"] != "active":
                raise InputError(f"site override #{override_id} is retired; add a new one instead")
            if expected_revision is not None and before["revision"] != expected_revision:
                raise StaleRevisionError(
                    f"site override #{override_id} is at revision {before['revision']}, not "
                    f"{expected_revision}: someone changed it since; read it again"
                )
            after = {
                **before,
                **make(before),
                "revision": before["revision"] + 1,
                "changed_at": now_stamp(),
            }
            sets = ", ".join(
                f"{c} = :{c}" for c in OVERRIDE_COLUMNS if c not in ("id", "created_at")
            )
            updated = conn.execute(
                text(f"UPDATE site_overrides SET {sets} WHERE id = :id AND revision = :was"),
                {**after, "was": before["revision"]},
            )
            if updated.rowcount == 1:
                _audit(conn, override_id, change, before, after)
                return after
        if expected_revision is not None:
            raise StaleRevisionError(
                f"site override #{override_id} changed while saving; read it again"
            )
    raise KnowledgeBaseError(
        f"site override #{override_id} kept changing under 50 attempts; try again"
    )


def select_overrides(db_url: str | None, *, include_retired: bool = False) -> list[dict[str, Any]]:
    from sqlalchemy import text

    where = "" if include_retired else " WHERE state = 'active'"
    with transaction(db_url) as conn:
        rows = conn.execute(
            text(f"SELECT {', '.join(OVERRIDE_COLUMNS)} FROM site_overrides{where} ORDER BY id")
        )
        return [dict(zip(OVERRIDE_COLUMNS, r, strict=True)) for r in rows]


def select_audit(db_url: str | None, override_id: int | None = None) -> list[dict[str, Any]]:
    """Audit rows, oldest first, with ``before`` and ``after`` decoded."""
    from sqlalchemy import text

    where, params = (
        ("", {}) if override_id is None else (" WHERE override_id = :id", {"id": override_id})
    )
    with transaction(db_url) as conn:
        rows = conn.execute(
            text(f"SELECT {', '.join(AUDIT_COLUMNS)} FROM site_audit{where} ORDER BY id"), params
        )
        out = []
        for r in rows:
            entry = dict(zip(AUDIT_COLUMNS, r, strict=True))
            entry["before"] = json.loads(entry["before"]) if entry["before"] else None
            entry["after"] = json.loads(entry["after"])
            out.append(entry)
        return out
