"""Type checks for what a library caller passes: every misuse is an :class:`InputError`.

Python would otherwise accept ``Patient(pregnant="no")`` (a non-empty text is true) or
``check("tramadol")`` (a text is an iterable of letters) and check something else than
what was meant, or fail deep inside with a ``TypeError``. The CLI and the document reader
build these objects themselves, so only an embedding program can trip these checks. A Patient's
checks are in :mod:`pharmcheck.inputs.patient`, with the reading of its fields.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date, datetime
from numbers import Real
from typing import Any

from pharmcheck.domain import DoseChange, Medication, Quantity, Severity
from pharmcheck.errors import InputError

_MEDICATION_TEXTS = (
    "dose",
    "frequency",
    "route",
    "status",
    "smiles",
    "concentration",
    "indication",
)


def _kind(value: Any) -> str:
    return type(value).__name__


def sequence_of_texts(value: Any, what: str) -> tuple[Any, ...]:
    """A list or tuple given where one is expected; a bare text is refused, not split into
    letters."""
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise InputError(f"{what} must be a list, not {_kind(value)} {value!r:.60}")
    return tuple(value)


def medication_list(medications: Any) -> list[Medication]:
    """The caller's medications as :class:`Medication` values (a text is a whole sig string)."""
    items = sequence_of_texts(medications, "medications")
    out = []
    for number, item in enumerate(items, 1):
        if isinstance(item, Medication):
            out.append(item)
        elif isinstance(item, str):
            out.append(Medication(name=item))
        else:
            raise InputError(
                f"medication {number} must be a text or a Medication, not {_kind(item)}"
            )
    return out


def check_medication(med: Medication, number: int) -> Medication:
    """Every field of a :class:`Medication` is of its declared type; a history list becomes a
    tuple."""
    where = f"medication {number}"
    if not isinstance(med.name, str):
        raise InputError(f"{where}: name must be a text, not {_kind(med.name)}")
    for field in _MEDICATION_TEXTS:
        value = getattr(med, field)
        if value is not None and not isinstance(value, str):
            raise InputError(
                f"{where} ({med.name!r:.60}): {field} must be a text, not {_kind(value)}"
            )
    for field in ("start", "stop"):
        _date_or_none(getattr(med, field), f"{where} ({med.name!r:.60}): {field}")
    history = sequence_of_texts(med.history, f"{where} ({med.name!r:.60}): history")
    for change in history:
        if not isinstance(change, DoseChange):
            raise InputError(
                f"{where} ({med.name!r:.60}): history holds {_kind(change)}, not DoseChange"
            )
        _date_or_none(change.date, f"{where} ({med.name!r:.60}): history date")
        dose = change.daily_dose
        if (
            not isinstance(dose, Quantity)
            or not _is_number(dose.value)
            or not isinstance(dose.unit, str)
        ):
            raise InputError(
                f"{where} ({med.name!r:.60}): a history daily_dose must be a Quantity "
                "with a numeric value"
            )
    return med if isinstance(med.history, tuple) else replace(med, history=history)


def check_as_of(as_of: Any) -> date | None:
    """The check date; a datetime is read as its date (comparing the two would fail)."""
    if as_of is None or (isinstance(as_of, date) and not isinstance(as_of, datetime)):
        return as_of
    if isinstance(as_of, datetime):
        return as_of.date()
    raise InputError(f"as_of must be a date, not {_kind(as_of)} {as_of!r:.60}")


def check_severity(value: Any, what: str) -> Severity:
    if isinstance(value, Severity):
        return value
    if isinstance(value, str):
        try:
            return Severity.parse(value)
        except ValueError as exc:
            raise InputError(f"{what}: {exc}") from None
    raise InputError(f"{what} must be a Severity, not {_kind(value)}")


def check_selectors(value: Any, what: str) -> tuple[str, ...]:
    selectors = sequence_of_texts(value, what)
    if not all(isinstance(s, str) for s in selectors):
        raise InputError(f"{what} must be a list of rule codes or names")
    return selectors


def _is_number(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def _date_or_none(value: Any, what: str) -> None:
    if value is not None and (not isinstance(value, date) or isinstance(value, datetime)):
        raise InputError(f"{what} must be a date, not {_kind(value)} {value!r:.60}")
