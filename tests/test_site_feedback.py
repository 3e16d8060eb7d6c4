"""CDS Hooks feedback in the site store (SQLite here; tests/test_postgres.py runs PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pharmcheck.errors import InputError
from pharmcheck.kb.site import list_feedback, record_feedback


def overridden(db: str, card: str = "card-1", at: str = "2026-12-02T21:00:00Z") -> object:
    return record_feedback(
        db,
        author="Practitioner/123",
        service_id="pharmcheck-order-sign",
        card_id=card,
        rule_code="PC201",
        outcome="overridden",
        outcome_at=at,
        reason_system="http://terminology.hl7.org/CodeSystem/non-adherence-reason-codes",
        reason_code="risk-benefit-ratio",
        reason_display="Risk-benefit ratio favours the order",
        user_comment="on ECG monitoring",
    )


def test_feedback_round_trip(private_kb_url: str) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    stored = overridden(private_kb_url)
    accepted = record_feedback(
        private_kb_url,
        author="Practitioner/9",
        service_id="pharmcheck-order-sign",
        card_id="card-2",
        outcome="accepted",
        outcome_at=datetime(2026, 12, 2, 22, 30, tzinfo=UTC),
        accepted_suggestions=["sugg-1"],
    )
    listed = list_feedback(private_kb_url)
    assert listed == [stored, accepted]
    first = listed[0].to_dict()
    assert first["outcome"] == "overridden"
    assert first["rule_code"] == "PC201"
    assert first["override_reason"]["code"] == "risk-benefit-ratio"
    assert first["override_reason"]["display"] == "Risk-benefit ratio favours the order"
    assert first["author"] == "Practitioner/123"
    assert first["outcome_at"] == "2026-12-02T21:00:00.000000Z"
    assert listed[1].accepted_suggestions == ("sugg-1",)
    assert listed[1].to_dict()["override_reason"] is None
    assert list_feedback(private_kb_url, since=before) == listed
    assert list_feedback(private_kb_url, since=datetime.now(UTC) + timedelta(minutes=1)) == []


def test_feedback_sent_twice_is_stored_once(private_kb_url: str) -> None:
    first = overridden(private_kb_url)
    again = overridden(private_kb_url)
    later = overridden(private_kb_url, at="2026-12-02T21:05:00+00:00")
    assert again == first
    assert later != first
    assert len(list_feedback(private_kb_url)) == 2


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("outcome", "ignored", "outcome 'ignored' is not one of accepted, overridden"),
        ("author", " ", "feedback author is required"),
        ("card_id", "", "feedback card id is required"),
        ("outcome_at", "yesterday", "outcomeTimestamp 'yesterday' is not an RFC 3339 time"),
        ("outcome_at", datetime(2026, 12, 2), "has no time zone"),
    ],
)
def test_bad_feedback_is_one_line_input_error(
    private_kb_url: str, field: str, value: object, message: str
) -> None:
    values: dict[str, object] = {
        "author": "Practitioner/1",
        "service_id": "svc",
        "card_id": "c",
        "outcome": "accepted",
        "outcome_at": "2026-12-02T21:00:00Z",
        field: value,
    }
    with pytest.raises(InputError, match=message):
        record_feedback(private_kb_url, **values)  # type: ignore[arg-type]
    assert list_feedback(private_kb_url) == []
