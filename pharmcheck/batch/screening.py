"""Screening a ward: validate the rows column-wise, resolve each distinct medication once,
compute the rules over the whole ward, and lay out one row per finding.

Rules with a frame form (in ``pharmcheck/rules/<family>/batch.py``) are computed for every
patient at
once; the others run per patient through :meth:`Checker.evaluate`, the same code as
``pharmcheck check``, on the patients they can flag. Either way a patient screened in a
batch gets exactly the findings ``check`` gives.

Nothing is lost: every input row is either screened or reported, with its row number
(the header is row 1) and the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from pharmcheck.batch.medications import (
    Rows,
    Statuses,
    build_ward,
    by_weight,
    distinct_medications,
    for_row,
    resolve_each,
    row_date,
)
from pharmcheck.batch.patients import People, read_patients
from pharmcheck.batch.results import (
    Found,
    ScreenResult,
    lay_out,
    read_notes,
    rows_by_note,
    status_notes,
    template_notes,
)
from pharmcheck.batch.tables import (
    MED_COLUMNS,
    PATIENT_COLUMNS,
    canonical_name,
    cell_of,
    normalise_columns,
    read_dates,
    row_numbers,
    text_cells,
)
from pharmcheck.domain import ResolvedMedication, Severity, Unrecognized
from pharmcheck.engine import Checker, EvaluateRequest, unused_egfr_note
from pharmcheck.engine import checker as default_checker
from pharmcheck.errors import InputError
from pharmcheck.overrides import site_rules
from pharmcheck.rules import Rule, select_rules
from pharmcheck.rules.ward import Emitted, Ward, batch_forms

FRAMES, FILTERS = batch_forms()
Progress = Callable[[str, int, int], None]
"""Told before each step of a screen: what the step does, how many steps are done, how many in
all."""


class _Steps:
    """Reports each step to ``progress``, when there is one, before the step runs."""

    def __init__(self, progress: Progress | None, total: int):
        self._progress, self._total, self._done = progress, total, 0

    def __call__(self, what: str) -> None:
        if self._progress:
            self._progress(what, self._done, self._total)
        self._done += 1


def screen(
    meds: pd.DataFrame,
    patients: pd.DataFrame | None = None,
    *,
    runner: Checker | None = None,
    db_url: str | None = None,
    as_of: date | None = None,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    min_severity: Severity = Severity.INFO,
    progress: Progress | None = None,
    unit: str | None = None,
) -> ScreenResult:
    """Screen every patient in ``meds`` (long format, one row per medication); the site overrides
    in force for ``unit`` apply as in ``check`` (suppressed rows are counted, not written)."""
    runner = runner or default_checker(db_url)
    site = site_rules(runner.kb, unit)
    today = as_of or date.today()
    try:
        rules = select_rules(select, ignore)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    table, notes = normalise_columns(meds, MED_COLUMNS, ("patient_id", "name"), "medications")
    table = table.reset_index(drop=True)
    for column in MED_COLUMNS:
        table[column] = text_cells(table[column]) if column in table else ""
    table["row"] = row_numbers(meds)
    problems = [
        (cell_of(cells, meds.columns, "patient_id", MED_COLUMNS), row, reason)
        for row, reason, cells in meds.attrs.get("rejected_rows", [])
    ]
    key, medications = distinct_medications(table)
    statuses = Statuses.of(table["status"])
    frames = [r.code for r in rules if r.code in FRAMES]
    per_patient = [r for r in rules if r.code not in FRAMES]
    step = _Steps(progress, 4 + len(frames))  # resolve, ward, each frame, per patient, lay out
    step(
        f"resolving {len(medications):,} distinct medications"
        + (" and reading the patients" if patients is not None else "")
    )

    people, patient_problems, patient_notes = read_patients(patients, today)
    checked = _validate(table, statuses, people, patient_problems, today)
    templates = resolve_each(runner, medications)
    notes += patient_notes
    key, templates = by_weight(
        runner, key, medications, templates, table["patient_id"], people or {}
    )
    reject, reasons, dates, stops_later = checked
    unusable = np.array(
        [isinstance(t, str) for t in templates], dtype=bool
    )  # why, instead of templates
    fresh = unusable[key] & ~reject.to_numpy()
    if fresh.any():
        reasons[fresh] = [templates[k] for k in key[fresh].tolist()]
        reject |= fresh
    bad = reject.to_numpy()
    for pid, row, reason in zip(
        table["patient_id"][bad].tolist(),
        table["row"].to_numpy()[bad].tolist(),
        reasons[bad].tolist(),
        strict=True,
    ):  # the rejected rows only, never all as objects
        problems.append((str(pid), int(row), str(reason)))

    good = ~bad
    unknown = table["row"].to_numpy()[good & statuses.unknown].tolist()
    void = table["row"].to_numpy()[good & statuses.void].tolist()
    still_given = table["row"].to_numpy()[good & stops_later].tolist()
    # How each row was read, as check says it (a unit assumed, a fuzzy name): never silent.
    said = [template_notes(t) for t in templates]
    with_notes = np.array([bool(n) for n in said] or [False], dtype=bool)[key] & good
    read = rows_by_note(said, key, table["row"].to_numpy(), with_notes & ~statuses.void)
    patient_read = _patient_notes(runner, patients, people or {})
    notes += (
        status_notes(unknown, void, still_given)
        + read_notes(read)
        + read_notes(patient_read, "patients ")
    )
    step(f"building the ward ({int(good.sum()):,} rows)")
    ward, rows = build_ward(
        runner, today, table, good, key, templates, dates, statuses, people or {}
    )
    emitted: list[Emitted] = []
    for code in frames:
        step(f"rule {code}")
        emitted += FRAMES[code](ward)
    step("rules read per patient")
    emitted += _per_patient(runner, ward, rows, per_patient, people or {}, today)
    found = Found.of(ward.found, runner.kb.version, site=site)
    problems.sort(key=lambda problem: problem[1])  # malformed and unscreenable rows, in row order
    step("laying out the finding rows")
    conditions = _unrecognized_conditions(runner, patients, people or {})
    result = lay_out(
        runner,
        rows,
        found,
        emitted,
        min_severity,
        problems,
        people or {},
        patient_problems,
        notes,
        int(good.sum()),
        conditions,
    )
    return replace(
        result,
        unknown_status_rows=unknown,
        void_status_rows=void,
        still_given_rows=still_given,
        read_rows=read,
        patient_read_rows=patient_read,
        rejected_rows=[row for _, row, _ in problems],
    )


def _patient_notes(
    runner: Checker, patients: pd.DataFrame | None, people: People
) -> dict[str, np.ndarray]:
    """How the patients table's rows were read, as ``check`` notes it (a condition read fuzzily
    or by its code, an eGFR not used), with the rows of the patients table read so."""
    said: dict[str, list[str]] = {}
    for pid, (patient, _) in people.items():
        found = runner.conditions_of(patient).notes if patient.conditions else ()
        for note in (*found, unused_egfr_note(patient)):
            if note:
                said.setdefault(note, []).append(pid)
    if not said or patients is None:
        return {}
    column = next(c for c in patients.columns if canonical_name(c, PATIENT_COLUMNS) == "patient_id")
    row_of = dict(
        zip(text_cells(patients[column]).tolist(), row_numbers(patients).tolist(), strict=True)
    )
    return {
        note: np.array([row_of[p] for p in pids], dtype=np.int64) for note, pids in said.items()
    }


def _unrecognized_conditions(
    runner: Checker, patients: pd.DataFrame | None, people: People
) -> list[tuple[str, int, Unrecognized]]:
    """Each condition of the patients table that is not recognised: (patient id, its row in the
    patients table, why), in patient order; ``check`` reports them as not checked too."""
    missing = {
        pid: runner.conditions_of(patient).unrecognized
        for pid, (patient, _) in people.items()
        if patient.conditions
    }
    missing = {pid: found for pid, found in missing.items() if found}
    if not missing or patients is None:
        return []
    column = next(c for c in patients.columns if canonical_name(c, PATIENT_COLUMNS) == "patient_id")
    ids = text_cells(patients[column]).tolist()
    row_of = dict(zip(ids, row_numbers(patients).tolist(), strict=True))
    return [(pid, int(row_of[pid]), u) for pid in sorted(missing) for u in missing[pid]]


def _unparsable_dates(why: np.ndarray, column: str, rows: np.ndarray) -> list[str]:
    return [f"unparsable {column} date {w}" for w in why[rows]]


def _folded(pid: str) -> str:
    return "".join(pid.split()).casefold()


def _not_listed(pid: str, folded: dict[str, str]) -> str:
    """Why a row's patient is not screened: not in the patients table, with the id there that
    differs only in case or spaces, if one does (a likely typo, never matched silently)."""
    near = folded.get(_folded(pid))
    hint = f" (it has {near!r}: ids must match exactly)" if near is not None else ""
    return f"patient_id {pid} is not in the patients table{hint}"


def _validate(
    table: pd.DataFrame,
    statuses: Statuses,
    people: People | None,
    patient_problems: dict[str, str],
    today: date,
) -> tuple[pd.Series, pd.Series, dict[str, pd.Series], np.ndarray]:
    """Rows that cannot be screened, with the first reason for each, the parsed dates, and the
    rows whose stop date is after the screening date (read as no stop date)."""
    reject = pd.Series(False, index=table.index)
    reasons = pd.Series("", index=table.index, dtype="string")

    def mark(mask: pd.Series | np.ndarray, reason: str | Callable[[np.ndarray], Any]) -> None:
        fresh = np.asarray(mask, dtype=bool) & ~reject.to_numpy()
        if fresh.any():
            reasons[fresh] = reason if isinstance(reason, str) else reason(fresh)
            reject[fresh] = True

    pid = table["patient_id"]
    mark(pid == "", "missing patient_id")
    mark(table["name"] == "", "missing medication name")
    mark(statuses.problem != "", lambda rows: statuses.problem[rows])
    if people is not None:
        codes, distinct = pd.factorize(pid)  # each distinct id looked up once
        ids = np.array(distinct.tolist(), dtype=object)
        listed = np.array([p in people for p in ids], dtype=bool)[codes]
        troubled = np.array([p in patient_problems for p in ids], dtype=bool)[codes]
        unlisted = ~listed & ~troubled
        if unlisted.any():
            folded = {_folded(p): p for p in people}  # once: a ward may have 100,000 patients
            mark(unlisted, lambda rows: [_not_listed(p, folded) for p in ids[codes[rows]]])
        mark(troubled, lambda rows: [patient_problems[p] for p in ids[codes[rows]]])
    dates = {}
    for column in ("start", "stop"):
        parsed, why = read_dates(table[column])
        mark(why != "", partial(_unparsable_dates, why, column))
        dates[column] = parsed
    mark(
        dates["stop"].notna() & dates["start"].notna() & (dates["stop"] < dates["start"]),
        "stop date before start date",
    )
    row_as_of: Any = pd.Timestamp(today)
    if people:
        dated = {p: when for p, (_, when) in people.items() if when != today}
        if dated:
            per_row = pid.astype(object).map(dated)
            row_as_of = pd.to_datetime(per_row.where(per_row.notna(), today).astype(str))
    mark(
        dates["start"].notna() & (dates["start"] > row_as_of), "start date after the screening date"
    )
    # A planned end (as ``check`` reads one): given on the screening date, so no stop date.
    later = (dates["stop"].notna() & (dates["stop"] > row_as_of)).to_numpy() & ~statuses.void
    dates["stop"] = dates["stop"].mask(later)
    return reject, reasons, dates, later


def _per_patient(
    runner: Checker, ward: Ward, rows: Rows, rules: list[Rule], people: People, today: date
) -> list[Emitted]:
    """The rules without a frame form, through the engine, on the patients they can flag."""
    if not rules:
        return []
    masks = [FILTERS[r.code](ward) for r in rules]  # every rule declares its batch form
    first_row = np.searchsorted(rows.patient, np.arange(len(ward.patients) + 1))
    chosen, results = [], []
    for p in np.flatnonzero(np.logical_or.reduce(masks)).tolist():
        resolved: list[ResolvedMedication] = []
        structures: list[Any] = []
        at = slice(first_row[p], first_row[p + 1])
        for key, void, position, start, stop, status in zip(
            rows.key[at].tolist(),
            rows.void[at].tolist(),
            rows.position[at].tolist(),
            rows.start[at],
            rows.stop[at],
            rows.status[at].tolist(),
            strict=True,
        ):
            found, _, _, med_structures = rows.templates[key]
            structures.extend([] if void else med_structures)
            start, stop = row_date(start), row_date(stop)  # only here: few rows need dates
            resolved.extend(for_row(t, position, start, stop, status) for t in found)
        patient, when = people.get(rows.patient_ids[p], (ward.patients[p], today))
        applicable = [r for r, mask in zip(rules, masks, strict=True) if mask[p]]
        report = runner.evaluate(
            EvaluateRequest(
                patient, tuple(resolved), when, tuple(applicable), structures=tuple(structures)
            )
        )
        chosen.append(p)
        results.append(report.findings)
    return [ward.emit(np.array(chosen, dtype=np.int64), np.arange(len(chosen)), results)]


def screen_frame(
    meds: pd.DataFrame, patients: pd.DataFrame | None = None, **options: Any
) -> pd.DataFrame:
    """The findings of :func:`screen` as a DataFrame with the OUT columns."""
    return screen(meds, patients, **options).findings
