"""The release formulation an entry's text names: modified release is written out by convention
("tramadol ER", "Nucynta ER", "MR", "XL"); a text that names none is unknown, never immediate."""

from __future__ import annotations

import re

_EXTENDED = re.compile(
    r"\b(er|xr|xl|sr|cr|mr|la|retard|m/r|s/r|(?:extended|modified|prolonged|sustained|controlled|slow)"
    r"[- ]release)\b",
    re.IGNORECASE,
)
_IMMEDIATE = re.compile(r"\b(ir|immediate[- ]release)\b", re.IGNORECASE)


def formulation_of(text: str) -> str | None:
    """``extended-release``, ``immediate-release``, or None when the text does not say."""
    if _EXTENDED.search(text):
        return "extended-release"
    if _IMMEDIATE.search(text):
        return "immediate-release"
    return None
