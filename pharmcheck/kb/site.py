"""The site store: local overrides, their append-only audit trail and CDS Hooks feedback.

These tables live in the KB's database beside the shared facts, on SQLite or PostgreSQL, and
survive a KB rebuild. Every write is one transaction: an override change and its audit row
commit together or not at all.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
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
        if sqlite_file(url) is not None:
            return create_engine(url, connect_args={"timeout": 30})
        return create_engine(url, pool_size=10, max_overflow=40, pool_pre_ping=True)
    except (ArgumentError, ImportError, ValueError) as exc:  # a malformed URL, a missing driver
        raise KnowledgeBaseError(
            hide_password(f"cannot use the database URL {url!r}: {exc}")
        ) from None


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
    try:
        with engine.begin() as conn:
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            if revision != SCHEMA_HEAD:
                raise KnowledgeBaseError(
                    f"the knowledge base {hide_password(url)} is at schema revision {revision}, "
                    f"the site tables need {SCHEMA_HEAD}; run `pharmcheck db upgrade`"
                )
            yield conn
    except SQLAlchemyError as exc:
        message = f"site store {url}: {exc.__class__.__name__}: {str(exc).splitlines()[0]}"
        raise KnowledgeBaseError(hide_password(message)) from None


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
    key = "service_id = :service_id AND card_id = :card_id AND outcome = :outcome AND outcome_at = :outcome_at"
    find = text(f"SELECT {_FEEDBACK_COLUMNS} FROM site_feedback WHERE {key}")
    try:
        with transaction(db_url) as conn:
            existing = conn.execute(find, row).first()
            if existing is not None:
                return _feedback(existing)
            columns = ", ".join(row)
            conn.execute(
                text(
                    f"INSERT INTO site_feedback ({columns}) VALUES ({', '.join(':' + c for c in row)})"
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
