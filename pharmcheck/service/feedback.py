"""The feedback endpoint's library side: reading CDS Hooks feedback and storing it append-only.

The EHR reports a card by its ``uuid`` only, so the service remembers which rule each card it
sent reports (the most recent :data:`REMEMBERED_CARDS`); feedback on a card it no longer
remembers is stored with the rule unknown, never dropped.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pharmcheck.errors import InputError

REMEMBERED_CARDS = 200_000
OUTCOMES = ("accepted", "overridden")
MAX_ITEMS = 500


@dataclass(frozen=True)
class FeedbackItem:
    card: str
    outcome: str
    outcome_at: datetime
    accepted_suggestions: tuple[str, ...] = ()
    reason_system: str | None = None
    reason_code: str | None = None
    reason_display: str | None = None
    user_comment: str | None = None


class CardLog:
    """Which rule each recently sent card reports, by card uuid (thread-safe, bounded)."""

    def __init__(self, limit: int = REMEMBERED_CARDS):
        self._rules: OrderedDict[str, str | None] = OrderedDict()
        self._limit = limit
        self._lock = threading.Lock()

    def add(self, card_uuid: str, rule_code: str | None) -> None:
        with self._lock:
            self._rules[card_uuid] = rule_code
            self._rules.move_to_end(card_uuid)
            while len(self._rules) > self._limit:
                self._rules.popitem(last=False)

    def rule_of(self, card_uuid: str) -> str | None:
        with self._lock:
            return self._rules.get(card_uuid)


def parse_feedback(body: Any) -> list[FeedbackItem]:
    """The items of a feedback request; InputError with a one-line reason."""
    items = body.get("feedback") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise InputError("feedback must be a non-empty list")
    if len(items) > MAX_ITEMS:
        raise InputError(f"at most {MAX_ITEMS} feedback items per request")
    return [_item(item, number) for number, item in enumerate(items, 1)]


def _item(item: Any, number: int) -> FeedbackItem:
    where = f"feedback item {number}"
    if not isinstance(item, dict):
        raise InputError(f"{where} must be an object")
    card, outcome, when = item.get("card"), item.get("outcome"), item.get("outcomeTimestamp")
    if not isinstance(card, str) or not card.strip() or len(card) > 200:
        raise InputError(f"{where}: card must be the card's uuid")
    if outcome not in OUTCOMES:
        raise InputError(f"{where}: outcome must be accepted or overridden")
    if not isinstance(when, str):
        raise InputError(f"{where}: outcomeTimestamp must be an RFC 3339 time")
    try:
        outcome_at = datetime.fromisoformat(when)
    except ValueError:
        raise InputError(
            f"{where}: outcomeTimestamp {when[:40]!r} is not an RFC 3339 time"
        ) from None
    if outcome_at.tzinfo is None:
        raise InputError(f"{where}: outcomeTimestamp needs a time zone (Z for UTC)")
    accepted = item.get("acceptedSuggestions", [])
    if not isinstance(accepted, list) or not all(
        isinstance(s, dict) and isinstance(s.get("id"), str) and s["id"] for s in accepted
    ):
        raise InputError(f"{where}: acceptedSuggestions must be a list of {{id}}")
    if outcome == "accepted" and "overrideReason" in item:
        raise InputError(f"{where}: an accepted card has no overrideReason")
    reason = item.get("overrideReason", {})
    coding = reason.get("reason", {}) if isinstance(reason, dict) else None
    comment = reason.get("userComment") if isinstance(reason, dict) else None
    if not isinstance(coding, dict) or not all(
        isinstance(coding.get(k), str | None) for k in ("system", "code", "display")
    ):
        raise InputError(f"{where}: overrideReason.reason must be a Coding")
    if comment is not None and not isinstance(comment, str):
        raise InputError(f"{where}: overrideReason.userComment must be text")
    return FeedbackItem(
        card=card,
        outcome=outcome,
        outcome_at=outcome_at,
        accepted_suggestions=tuple(s["id"] for s in accepted),
        reason_system=coding.get("system"),
        reason_code=coding.get("code"),
        reason_display=coding.get("display"),
        user_comment=comment,
    )


def store_feedback(
    db_url: str | None, service_id: str, author: str, items: list[FeedbackItem], cards: CardLog
) -> int:
    """Append each item to the KB's feedback table; returns how many were stored."""
    from pharmcheck.kb.site import record_feedback

    for item in items:
        record_feedback(
            db_url,
            author=author,
            service_id=service_id,
            card_id=item.card,
            outcome=item.outcome,
            outcome_at=item.outcome_at,
            rule_code=cards.rule_of(item.card),
            reason_system=item.reason_system,
            reason_code=item.reason_code,
            reason_display=item.reason_display,
            user_comment=item.user_comment,
            accepted_suggestions=item.accepted_suggestions,
        )
    return len(items)
