"""The PATIENTS table: one Patient per row, parsed column-wise.

Rows whose values all parse and pass the engine's plausibility limits are built straight
from the columns; any other row goes through the one-row parser, which raises the exact
message ``check`` would give, and the patient is reported instead of screened.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from pharmcheck.batch.tables import (
    PATIENT_COLUMNS,
    cell_of,
    normalise_columns,
    read_dates,
    row_numbers,
    text_cells,
)
from pharmcheck.domain import DIALYSIS_KINDS, HEPATIC_LEVELS, MYOCLONUS_STATES, Patient
from pharmcheck.engine import PLAUSIBLE_RANGES, validate_patient
from pharmcheck.errors import InputError
from pharmcheck.inputs.document import parse_date

_TRUE = {"true", "yes", "y", "1", "t"}
_FALSE = {"false", "no", "n", "0", "f"}
_NUMBERS = ("age", "weight_kg", "crcl", "egfr")
_FLAGS = ("pregnant", "childbearing_potential")
_CHOICES = {
    "dialysis": DIALYSIS_KINDS,
    "hepatic_impairment": HEPATIC_LEVELS,
    "myoclonus": MYOCLONUS_STATES,
}

People = dict[str, tuple[Patient, date]]


def read_patients(
    frame: pd.DataFrame | None, today: date
) -> tuple[People | None, dict[str, str], list[str]]:
    """(patient id -> (patient, screening date), patient id -> why it cannot be screened, notes)."""
    if frame is None:
        return None, {}, []
    table, notes = normalise_columns(frame, PATIENT_COLUMNS, ("patient_id",), "patients")
    text = {c: text_cells(table[c]) if c in table else None for c in PATIENT_COLUMNS}
    ids = text["patient_id"]
    assert ids is not None
    rows = row_numbers(frame)
    bad = np.zeros(len(table), dtype=bool)
    values: dict[str, Any] = {}
    for column in _NUMBERS:
        given = text[column]
        if given is None:
            continue
        number = pd.to_numeric(given.where(given != ""), errors="coerce").to_numpy(
            dtype="float64", na_value=np.nan
        )
        low, high = PLAUSIBLE_RANGES.get(column, (-np.inf, np.inf))
        bad |= (given != "").to_numpy() & ~((number >= low) & (number <= high))
        values[column] = number.astype(object)  # Python floats, as float() gives
        values[column][np.isnan(number)] = None
    for column in _FLAGS:
        given = text[column]
        if given is None:
            continue
        lowered = given.str.lower().to_numpy(dtype=object)
        bad |= (lowered != "") & ~np.isin(lowered, list(_TRUE | _FALSE))
        values[column] = np.full(len(lowered), None, dtype=object)
        values[column][np.isin(lowered, list(_TRUE))] = True
        values[column][np.isin(lowered, list(_FALSE))] = False
    for column in ("sex", *_CHOICES):
        given = text[column]
        if given is None:
            continue
        lowered = given.str.lower().to_numpy(dtype=object)
        if column in _CHOICES:
            bad |= (lowered != "") & ~np.isin(lowered, list(_CHOICES[column]))
        values[column] = np.where(lowered == "", None, lowered)
    when = pd.Series(pd.Timestamp(today), index=table.index)
    if text["as_of"] is not None:
        parsed, why = read_dates(text["as_of"])
        bad |= why != ""
        when = parsed.where(text["as_of"] != "", pd.Timestamp(today))
    conditions = text["conditions"]

    people: People = {}
    problems: dict[str, str] = {}
    for row, reason, cells in frame.attrs.get(
        "rejected_rows", []
    ):  # a malformed row: its medications are not screened
        pid = cell_of(cells, frame.columns, "patient_id", PATIENT_COLUMNS)
        if pid:
            problems[pid] = f"patients row {row}: {reason}"
        else:
            notes.append(f"patients row {row}: {reason}; row ignored")
    missing = (ids == "").to_numpy()
    notes += [
        f"patients row {row}: missing patient_id; row ignored" for row in rows[missing].tolist()
    ]
    duplicated = (ids.duplicated(keep=False) & (ids != "")).to_numpy()
    for pid, row in zip(ids[duplicated].tolist(), rows[duplicated].tolist(), strict=True):
        problems[pid] = (
            f"patient_id {pid} appears twice in the patients table (row {row})"  # the last row wins
        )
    plain = ~(missing | duplicated)
    slow = plain & bad
    for i in np.flatnonzero(slow).tolist():
        record = {c: str(t.iloc[i]) for c, t in text.items() if t is not None}
        try:
            people[record["patient_id"]] = _one_patient(record["patient_id"], record, today)
        except InputError as exc:
            problems[record["patient_id"]] = f"patients row {rows[i]}: {exc}"
    fast = np.flatnonzero(plain & ~slow)
    fields = list(values)
    condition_lists = conditions.iloc[fast].tolist() if conditions is not None else [""] * len(fast)
    parsed_conditions = {
        listed: tuple(c.strip() for c in listed.split(";") if c.strip())
        for listed in set(condition_lists)
    }
    dates = _distinct_dates(when.iloc[fast])
    for pid, listed, when_screened, *fields_values in zip(
        ids.iloc[fast].tolist(),
        condition_lists,
        dates,
        *(values[f][fast].tolist() for f in fields),
        strict=True,
    ):
        patient = Patient(
            id=pid,
            conditions=parsed_conditions[listed],
            **dict(zip(fields, fields_values, strict=True)),
        )
        people[pid] = (patient, when_screened)
    return people, problems, notes


def _distinct_dates(when: pd.Series) -> list[date]:
    """Each timestamp as a date, converting each distinct one once."""
    codes, distinct = pd.factorize(when)
    dates = [d.date() for d in distinct]
    return [dates[c] for c in codes.tolist()]


def _one_patient(pid: str, record: dict[str, str], today: date) -> tuple[Patient, date]:
    """One row, field by field: the message names the first value that is wrong."""

    def text(key: str) -> str | None:
        return record.get(key, "").strip() or None

    def number(key: str) -> float | None:
        value = text(key)
        if value is None:
            return None
        try:
            return float(value)
        except ValueError:
            raise InputError(f"{key} {value!r} is not a number") from None

    def flag(key: str) -> bool | None:
        value = text(key)
        if value is None:
            return None
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise InputError(f"{key} {value!r} is not yes/no")

    when = parse_date(text("as_of"), "as_of") if text("as_of") else today
    conditions = tuple(c.strip() for c in (text("conditions") or "").split(";") if c.strip())
    patient = Patient(
        id=pid,
        age=number("age"),
        sex=(text("sex") or "").lower() or None,
        weight_kg=number("weight_kg"),
        crcl=number("crcl"),
        egfr=number("egfr"),
        dialysis=(text("dialysis") or "").lower() or None,
        hepatic_impairment=(text("hepatic_impairment") or "").lower() or None,
        pregnant=flag("pregnant"),
        childbearing_potential=flag("childbearing_potential"),
        conditions=conditions,
        myoclonus=(text("myoclonus") or "").lower() or None,
    )
    return validate_patient(patient), when
