"""The medication rows of a ward: each distinct medication resolved once, and the screened rows
as columns (``Rows``) from which the ward's entries (``Ward``) are built."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from pharmcheck.batch.patients import People
from pharmcheck.batch.tables import natural_key
from pharmcheck.domain import Medication, Patient, ResolvedMedication, Unrecognized
from pharmcheck.engine import Checker, ResolveRequest, needs_weight
from pharmcheck.errors import InputError
from pharmcheck.inputs.status import (
    STOPPED,
    UNKNOWN_STATUS,
    VOID,
    status_key,
    status_meaning,
    status_problem,
)
from pharmcheck.rules.ward import Ward, distinct_rows

Template = tuple[list[ResolvedMedication], list[Unrecognized], list[str], list[Any]]


MedicationKey = tuple[
    str, str, str, str, str, str
]  # name, dose, frequency, route, smiles, indication


def distinct_medications(table: pd.DataFrame) -> tuple[np.ndarray, list[MedicationKey]]:
    """Each row's id of its distinct (name, dose, frequency, route, smiles, indication), and
    those."""
    columns = ("name", "dose", "frequency", "route", "smiles", "indication")
    given = [
        c for c in columns if c == "name" or (table[c] != "").any()
    ]  # a blank column adds nothing
    first, key = distinct_rows(*(pd.factorize(table[c])[0] for c in given))
    return key, list(zip(*(table[c].take(first).tolist() for c in columns), strict=True))


def resolve_each(
    runner: Checker,
    medications: list[MedicationKey],
    weight_kg: float | None = None,
) -> list[Template | str]:
    """Per medication the resolved templates (for a patient of this weight), or why it cannot be
    screened."""
    runner.prefetch({name for name, *_ in medications if name})
    templates: list[Template | str] = []
    for name, dose, frequency, route, smiles, indication in medications:
        if not name:
            templates.append("missing medication name")
            continue
        medication = Medication(
            name=name,
            dose=dose or None,
            frequency=frequency or None,
            route=route or None,
            smiles=smiles or None,
            indication=indication or None,
        )
        try:
            found = runner.resolve(ResolveRequest(medication, weight_kg=weight_kg))
            templates.append(
                (
                    list(found.medications),
                    list(found.unrecognized),
                    list(found.notes),
                    list(found.structures),  # matching no KB drug: screened by the PC8xx rules
                )
            )
        except InputError as exc:
            templates.append(str(exc).split(": ", 1)[-1])
    return templates


def by_weight(
    runner: Checker,
    key: np.ndarray,
    medications: list[MedicationKey],
    templates: list[Template | str],
    patient_ids: pd.Series,
    people: People,
) -> tuple[np.ndarray, list[Template | str]]:
    """Medications that may be dosed per kg, resolved again for each weight they are given at,
    as ``check`` resolves them with the patient's weight: the rows' keys then point to those."""
    per_kg = [k for k, (name, dose, *_) in enumerate(medications) if needs_weight(name, dose)]
    rows = np.flatnonzero(np.isin(key, per_kg)) if per_kg else np.zeros(0, dtype=np.int64)
    if not len(rows):
        return key, templates
    key, templates, made = key.copy(), list(templates), {}
    for row, pid in zip(rows.tolist(), patient_ids.take(rows).tolist(), strict=True):
        weight = people[pid][0].weight_kg if pid in people else None
        if weight is None:
            continue  # resolved without a weight already
        distinct = (int(key[row]), weight)
        if distinct not in made:
            made[distinct] = len(templates)
            templates.extend(resolve_each(runner, [medications[distinct[0]]], weight))
        key[row] = made[distinct]
    return key, templates


@dataclass(frozen=True)
class Rows:
    """The screened rows, ordered by patient and then position in the patient's list."""

    patient_ids: list[str]
    patient_keys: list[tuple[tuple[Any, ...], str]]  # each id's natural_key, in the same order
    patient: np.ndarray
    position: np.ndarray
    key: np.ndarray
    row: np.ndarray
    start: np.ndarray
    stop: np.ndarray
    status: np.ndarray
    void: np.ndarray  # the row's status is void (pharmcheck.inputs.status): no rule reads it
    templates: list[Any]


def build_ward(
    runner: Checker,
    today: date,
    table: pd.DataFrame,
    good: np.ndarray,
    key: np.ndarray,
    templates: list[Any],
    dates: dict[str, pd.Series],
    statuses: Statuses,
    people: People,
) -> tuple[Ward, Rows]:
    """The screened (``good``) rows ordered by patient, and the ward: one entry per resolved drug
    of each row (a combination product gives several)."""
    patient_codes, distinct_ids = pd.factorize(table["patient_id"][good])
    ids = distinct_ids.tolist()
    keys = list(map(natural_key, ids))
    natural = sorted(range(len(ids)), key=keys.__getitem__)  # P2 before P10
    rank = np.empty(len(ids), dtype=np.int64)
    rank[natural] = np.arange(len(ids))
    patient_codes, patient_ids = rank[patient_codes], [ids[i] for i in natural]
    order = np.argsort(patient_codes, kind="stable")
    patient = patient_codes[order]
    starts = (
        np.flatnonzero(np.r_[True, patient[1:] != patient[:-1]])
        if len(patient)
        else np.zeros(0, dtype=np.int64)
    )
    sizes = np.diff(np.r_[starts, len(patient)])
    status_column = table["status"].str.lower()
    status = status_column.to_numpy(dtype=object)[good][order]
    stopped_status, void = statuses.stopped[good][order], statuses.void[good][order]
    rows = Rows(
        patient_ids=patient_ids,
        patient_keys=[keys[i] for i in natural],
        patient=patient,
        position=np.arange(len(patient)) - np.repeat(starts, sizes),
        key=key[good][order],
        row=table["row"].to_numpy()[good][order],
        start=dates["start"].to_numpy(dtype="datetime64[D]")[good][order],
        stop=dates["stop"].to_numpy(dtype="datetime64[D]")[good][order],
        # A blank status is "not given" (None), never pandas' NA, which breaks truth tests later.
        status=np.asarray(np.where(status == "", None, status)),
        void=void,
        templates=templates,
    )
    meds: list[ResolvedMedication] = []
    offset = np.zeros(len(templates) + 1, dtype=np.int64)
    for k, template in enumerate(templates):
        found = template[0] if not isinstance(template, str) else []
        meds.extend(found)
        offset[k + 1] = offset[k] + len(found)
    count = np.diff(offset)[rows.key] * ~void  # a void row gives no entry: no rule reads it
    entry_row = np.repeat(np.arange(len(rows.key)), count)
    within = np.arange(len(entry_row)) - np.repeat(np.cumsum(count) - count, count)
    structures = np.array(
        [bool(t[3]) if not isinstance(t, str) else False for t in templates], dtype=bool
    )
    has_structures = np.zeros(len(patient_ids), dtype=bool)
    has_structures[rows.patient[structures[rows.key] & ~void]] = True
    patients = [people[p][0] if p in people else Patient(id=str(p)) for p in rows.patient_ids]
    ward = Ward(
        kb=runner.kb,
        today=today,
        patients=patients,
        condition_ids=[runner.conditions_of(p).ids for p in patients],
        meds=meds,
        entry_patient=rows.patient[entry_row],
        entry_position=rows.position[entry_row],
        entry_med=offset[rows.key][entry_row] + within,
        entry_stopped=(stopped_status | ~np.isnat(rows.stop))[
            entry_row
        ],  # void rows have no entries
        entry_started=~np.isnat(rows.start)[entry_row],
        has_structures=has_structures,
    )
    return ward, rows


@dataclass(frozen=True)
class Statuses:
    """Per row, what its status means (pharmcheck.inputs.status), each distinct status read once."""

    stopped: np.ndarray
    void: np.ndarray  # no rule reads the row
    unknown: np.ndarray  # screened as active, with a note
    problem: np.ndarray  # why the status cannot be read ("" where it can)

    @classmethod
    def of(cls, status: pd.Series) -> Statuses:
        codes, distinct = pd.factorize(status)
        values = [*distinct.tolist(), ""]  # code -1, a missing value: not given

        def per_row(read: Any, dtype: Any) -> np.ndarray:
            return np.array([read(v) for v in values], dtype=dtype)[codes]

        return cls(
            per_row(lambda v: status_meaning(v) == STOPPED, bool),
            per_row(lambda v: status_meaning(v) == VOID, bool),
            per_row(lambda v: status_key(v) == UNKNOWN_STATUS, bool),
            per_row(lambda v: status_problem(v) or "", object),
        )


def row_date(day: np.datetime64) -> date | None:
    return None if np.isnat(day) else day.astype(object)


def for_row(
    template: ResolvedMedication,
    index: int,
    start: date | None,
    stop: date | None,
    status: str | None,
) -> ResolvedMedication:
    """A resolved template with this row's position and dates (dataclasses.replace is slow)."""
    med = object.__new__(ResolvedMedication)
    med.__dict__.update(template.__dict__, index=index, start=start, stop=stop, status=status)
    return med
