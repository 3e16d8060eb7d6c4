"""The medication status vocabulary: what each status a medication may carry means to the checker.

Closed: FHIR R4's MedicationRequest and MedicationStatement status codes
(hl7.org/fhir/R4/valueset-medicationrequest-status.html, valueset-medication-statement-status.html)
and common ward abbreviations. Any other status is refused, never taken as active.
"""

from __future__ import annotations

import re

ACTIVE, STOPPED, VOID = "active", "stopped", "void"

#: Status as written (lower case, spaces and underscores as hyphens) -> its meaning.
STATUS_MEANINGS: dict[str, str] = {
    # Given now, or about to be: checking a draft or intended drug is the point of a check.
    "active": ACTIVE,
    "intended": ACTIVE,
    "draft": ACTIVE,
    "current": ACTIVE,
    "ongoing": ACTIVE,
    # "unknown": screened as active for safety, with a note saying so.
    "unknown": ACTIVE,
    # No longer given: the withdrawal rules read these. "completed" is a course that ended (it was
    # taken).
    "stopped": STOPPED,
    "discontinued": STOPPED,
    "completed": STOPPED,
    "ceased": STOPPED,
    "d/c": STOPPED,
    "dc": STOPPED,
    "dc'd": STOPPED,
    "d/c'd": STOPPED,
    "d/ced": STOPPED,
    # Held: not given now, may resume. Counted as stopped: a hold is an abrupt stop for withdrawal.
    "on-hold": STOPPED,
    "held": STOPPED,
    "hold": STOPPED,
    "suspended": STOPPED,
    "paused": STOPPED,
    # Never given (cancelled before any administration, not taken) or a void record: no rule reads
    # them.
    "entered-in-error": VOID,
    "not-taken": VOID,
    "cancelled": VOID,
    "canceled": VOID,
}
UNKNOWN_STATUS = "unknown"
ALLOWED = ", ".join(STATUS_MEANINGS)


def status_key(status: str) -> str:
    """A status as the vocabulary spells it: lower case, spaces and underscores as hyphens."""
    return re.sub(r"[\s_]+", "-", status.strip().lower())


def status_meaning(status: str | None) -> str | None:
    """ACTIVE, STOPPED or VOID for a status in the vocabulary (a blank one is not given: ACTIVE);
    None for any other status, which callers must refuse."""
    if status is None or not status.strip():
        return ACTIVE
    return STATUS_MEANINGS.get(status_key(status))


def status_problem(status: object) -> str | None:
    """Why a status cannot be read (None when it can): names the allowed values."""
    if status is not None and not isinstance(status, str):
        return f"status must be a text, not {type(status).__name__}"
    if status_meaning(status) is not None:
        return None
    return f"unknown status {status!r}; use one of: {ALLOWED}"


def status_note(name: str, status: str | None) -> str | None:
    """The note a report carries for a status the checker does not simply follow, else None."""
    meaning = status_meaning(status)
    if meaning == VOID:
        return (
            f"'{name}': status {status!r}: not screened "
            "(no rule reads a void or untaken medication)"
        )
    if status is not None and status_key(status) == UNKNOWN_STATUS:
        return f"'{name}': status unknown: screened as active"
    return None
