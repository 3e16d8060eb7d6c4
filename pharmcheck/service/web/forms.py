"""Reading the check page's form: the pasted list, each line's corrections, the patient context."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pharmcheck.domain import Patient
from pharmcheck.engine import estimated_crcl_note
from pharmcheck.errors import InputError
from pharmcheck.inputs.document import parse_date, patient_from_data
from pharmcheck.inputs.pasted import (
    CONTINUATION,
    LineFields,
    PastedLine,
    edited,
    fields_of,
    read_pasted,
)

FIELDS = ("drug", "dose", "frequency", "route", "status")
_NUMBERS = {"age": "age", "weight_kg": "weight", "crcl": "CrCl", "egfr": "eGFR"}
_FLAGS = ("pregnant", "childbearing_potential")
_CHOICES = ("sex", "dialysis", "hepatic_impairment", "myoclonus")


@dataclass(frozen=True)
class CheckForm:
    """What the form asked for, as read. ``values`` echoes every field back into the form."""

    lines: tuple[PastedLine, ...]
    patient: Patient
    as_of: date | None
    estimate: str | None  # the Cockcroft-Gault estimate and its inputs, or why there is none
    values: dict[str, Any]
    raw: tuple[PastedLine, ...] = ()  # the lines as the paste reads them, before corrections
    edits: Mapping[int, LineFields] = field(default_factory=dict)  # line number -> as corrected
    stale_edits: tuple[int, ...] = ()  # lines whose corrections no longer match the paste


def read_form(form: Mapping[str, str], conditions: Sequence[str]) -> CheckForm:
    """The form's request; an unusable value is an InputError naming the field."""
    values: dict[str, Any] = {key: str(form.get(key, "")).strip() for key in _field_names()}
    values["medications"] = str(form.get("medications", ""))
    values["conditions"] = [c.strip() for c in conditions if c.strip()]
    raw = read_pasted(values["medications"])
    lines, edits, stale = _corrected(raw, form)
    data: dict[str, Any] = {}
    for key, label in _NUMBERS.items():
        data[key] = _number(values[key], label)
    for key in _CHOICES:
        data[key] = values[key] or None
    for key in _FLAGS:
        data[key] = {"yes": True, "no": False, "": None}.get(values[key])
        if values[key] not in ("yes", "no", ""):
            raise InputError(f"{key.replace('_', ' ')} must be yes, no or unknown")
    data["conditions"] = values["conditions"]
    creatinine = _number(values["creatinine"], "serum creatinine")
    if creatinine is not None:
        unit = values["creatinine_unit"] or "mg/dL"
        data["serum_creatinine"] = {"value": creatinine, "unit": unit}
    patient = patient_from_data({k: v for k, v in data.items() if v is not None})
    as_of = parse_date(values["as_of"], "check date") if values["as_of"] else None
    estimate = estimated_crcl_note(patient)
    return CheckForm(lines, patient, as_of, estimate, values, raw, edits, stale)


def _field_names() -> tuple[str, ...]:
    return (*_NUMBERS, *_FLAGS, *_CHOICES, "creatinine", "creatinine_unit", "as_of")


def _number(text: str, label: str) -> float | None:
    if not text:
        return None
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        raise InputError(f"{label} must be a number, got {text!r}") from None
    return int(value) if value.is_integer() else value


def _corrected(
    lines: tuple[PastedLine, ...], form: Mapping[str, str]
) -> tuple[tuple[PastedLine, ...], dict[int, LineFields], tuple[int, ...]]:
    """Each line with the corrections made to it in the readings table, and those corrections.
    A correction applies only to the line it was made on: when the paste changed under it, the
    line is read as pasted and reported."""
    out, edits, stale = [], {}, []
    for line in lines:
        prefix = f"line-{line.number}-"
        if f"{prefix}drug" not in form or line.kind == CONTINUATION:
            out.append(line)
            continue
        read = fields_of(line)
        given = LineFields(*(str(form.get(f"{prefix}{name}-read", "")) for name in FIELDS))
        if form.get(f"{prefix}text") != line.text or given != read:
            stale.append(line.number)
            out.append(line)
            continue
        edit = LineFields(*(str(form.get(f"{prefix}{name}", "")).strip() for name in FIELDS))
        edits[line.number] = edit
        out.append(edited(line, read, edit))
    return tuple(out), edits, tuple(stale)
