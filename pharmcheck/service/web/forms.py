"""Reading the check page's form: the pasted list, each line's corrections, the patient context."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pharmcheck.domain import Patient
from pharmcheck.engine import estimated_crcl_note
from pharmcheck.inputs.document import parse_date
from pharmcheck.inputs.pasted import (
    CONTINUATION,
    LineFields,
    PastedLine,
    edited,
    fields_of,
    read_pasted,
)
from pharmcheck.inputs.patient import patient_from_fields

FIELDS = ("drug", "dose", "frequency", "route", "status")
#: The patient fields of the form, read as a PATIENTS table's cells are (yes/no, numbers as text).
PATIENT_FIELDS = (
    "age",
    "sex",
    "weight_kg",
    "crcl",
    "egfr",
    "dialysis",
    "hepatic_impairment",
    "pregnant",
    "childbearing_potential",
    "myoclonus",
)


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
    """The form's request; an unusable value is an InputError naming the field (the patient's
    fields are read by the library's patient reader, with its messages)."""
    names = (*PATIENT_FIELDS, "creatinine", "creatinine_unit", "as_of")
    values: dict[str, Any] = {key: str(form.get(key, "")).strip() for key in names}
    values["medications"] = str(form.get("medications", ""))
    values["conditions"] = [c.strip() for c in conditions if c.strip()]
    raw = read_pasted(values["medications"])
    lines, edits, stale = _corrected(raw, form)
    data: dict[str, Any] = {key: values[key] for key in PATIENT_FIELDS}
    data["conditions"] = values["conditions"]
    if values["creatinine"]:
        data["serum_creatinine"] = f"{values['creatinine']} {values['creatinine_unit'] or 'mg/dL'}"
    patient = patient_from_fields(data)
    as_of = parse_date(values["as_of"], "check date") if values["as_of"] else None
    return CheckForm(lines, patient, as_of, estimated_crcl_note(patient), values, raw, edits, stale)


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
