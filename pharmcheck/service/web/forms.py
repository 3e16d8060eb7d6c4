"""Reading the check page's form: the pasted list, each line's corrections, the patient context."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pharmcheck.domain import Patient
from pharmcheck.engine import estimated_crcl_note
from pharmcheck.errors import InputError
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
    unit: str | None = None  # the unit whose site overrides apply (None: site-wide ones only)


def read_form(form: Mapping[str, str], conditions: Sequence[str]) -> CheckForm:
    """The form's request; an unusable value is an InputError naming the field (the patient's
    fields are read by the library's patient reader, with its messages)."""
    names = (*PATIENT_FIELDS, "creatinine", "creatinine_unit", "as_of", "unit")
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
    note = estimated_crcl_note(patient)
    unit = values["unit"] or None
    return CheckForm(lines, patient, as_of, note, values, raw, edits, stale, unit)


def read_override(form: Mapping[str, str]) -> dict[str, Any]:
    """The override asked for by the finding whose button was pressed (``override`` names it), as
    the keyword arguments of :func:`pharmcheck.overrides.add_override`, which checks them."""
    prefix = f"override-{form.get('override', '')}-"
    drugs: list[str] = []
    while f"{prefix}drug-{len(drugs)}" in form:
        drugs.append(str(form[f"{prefix}drug-{len(drugs)}"]))
    scope = str(form.get(f"{prefix}scope", ""))
    if scope == "pair" and len(drugs) == 2:
        drug, other = drugs
    elif scope.isdigit() and int(scope) < len(drugs):
        drug, other = drugs[int(scope)], None
    elif scope == "rule" and not drugs:
        drug, other = None, None
    else:
        raise InputError("choose which drug or pair of the finding the override is for")
    action = str(form.get(f"{prefix}kind", ""))
    return {
        "action": action,
        "rule_code": str(form.get(f"{prefix}rule", "")),
        "drug": drug,
        "other_drug": other,
        "unit": str(form.get(f"{prefix}unit", "")),
        "severity": str(form.get(f"{prefix}severity", "")) if action == "severity" else None,
        "reason": str(form.get(f"{prefix}reason", "")),
        "author": str(form.get(f"{prefix}author", "")),
    }


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
