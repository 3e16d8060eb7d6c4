"""The PATIENTS table: one Patient per row, read as ``check`` reads a document's patient.

Each column's distinct cells are read once by the field readers of
:mod:`pharmcheck.inputs.patient`; a row with a value they refuse is reported, with the message
``check`` would give, instead of screened.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from pharmcheck.batch.tables import (
    PATIENT_COLUMNS,
    cell_of,
    normalise_columns,
    row_numbers,
    text_cells,
)
from pharmcheck.domain import Patient
from pharmcheck.errors import InputError
from pharmcheck.inputs.document import parse_date
from pharmcheck.inputs.patient import FIELDS, READERS

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
    # as_of first, then the Patient's fields in order: a row's message names its first wrong value.
    columns = [c for c in ("as_of", *FIELDS) if c in table and c not in ("id", "patient_id")]
    values: dict[str, list[Any]] = {}
    errors = np.full(len(table), "", dtype=object)
    for column in columns:
        read, why = _read_column(text[column], _reader(column, today))
        values[column] = read
        errors = np.where(errors == "", why, errors)

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
    id_list, row_list = ids.tolist(), rows.tolist()
    for i in np.flatnonzero(plain & (errors != "")).tolist():
        problems[id_list[i]] = f"patients row {row_list[i]}: {errors[i]}"
    fields = [c for c in columns if c != "as_of"]
    dates = values.get("as_of", [today] * len(id_list))
    for i in np.flatnonzero(plain & (errors == "")).tolist():
        patient = Patient(id=id_list[i], **{f: values[f][i] for f in fields})
        people[id_list[i]] = (patient, dates[i])
    return people, problems, notes


def _reader(column: str, today: date) -> Callable[[str], Any]:
    if column == "as_of":
        return lambda cell: parse_date(cell, "as_of") if cell else today
    read = READERS[column]
    return lambda cell: read(column, cell)


def _read_column(cells: pd.Series, read: Callable[[str], Any]) -> tuple[list[Any], np.ndarray]:
    """Each cell's value and, where it cannot be read, why ("" where it can): each distinct
    cell read once."""
    codes, distinct = pd.factorize(cells)
    read_values: list[Any] = []
    reasons: list[str] = []
    for cell in distinct.tolist():
        try:
            read_values.append(read(cell))
            reasons.append("")
        except InputError as exc:
            read_values.append(None)
            reasons.append(str(exc))
    picked = np.array(read_values + [None], dtype=object)[codes]  # codes are -1 for no value
    return picked.tolist(), np.array(reasons + [""], dtype=object)[codes]
