"""Screening a ward: validate the rows column-wise, resolve each distinct medication once,
compute the rules over the whole ward, and lay out one row per finding.

Rules with a frame form (``pharmcheck.batch.frames``) are computed for every patient at
once; the others run per patient through :meth:`Checker.evaluate`, the same code as
``pharmcheck check``, on the patients they can flag. Either way a patient screened in a
batch gets exactly the findings ``check`` gives.

Nothing is lost: every input row is either screened or reported, with its row number
(the header is row 1) and the reason.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from pharmcheck.batch.output import FindingRows, csv_line
from pharmcheck.batch.parallel import Background, fork_available
from pharmcheck.batch.patients import People, read_patients
from pharmcheck.batch.tables import MED_COLUMNS, normalise_columns
from pharmcheck.batch.ward import Emitted, Ward, distinct_rows
from pharmcheck.domain import (
    Finding,
    Medication,
    Patient,
    ResolvedMedication,
    Severity,
    Unrecognized,
)
from pharmcheck.engine import Checker
from pharmcheck.engine import checker as default_checker
from pharmcheck.errors import InputError
from pharmcheck.rules import Rule, select_rules

Progress = Callable[[Iterable[Any]], Iterable[Any]]


@dataclass
class ScreenResult:
    """Finding rows (OUT schema), a per-patient summary, notes about the input, and counts over
    every finding row (``severities``: rows per severity label)."""

    rows: FindingRows
    summary: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    rows_screened: int = 0
    rows_reported: int = 0
    severities: Counter[str] = field(default_factory=Counter)
    unrecognized: int = 0
    kb_version: str = ""

    @cached_property
    def findings(self) -> pd.DataFrame:
        return self.rows.frame()


def _text(series: pd.Series) -> pd.Series:
    return series.astype("string").str.strip().fillna("")


def screen(meds: pd.DataFrame, patients: pd.DataFrame | None = None, *, runner: Checker | None = None,
           db_url: str | None = None, as_of: date | None = None, select: Sequence[str] = (),
           ignore: Sequence[str] = (), min_severity: Severity = Severity.INFO,
           progress: Progress | None = None) -> ScreenResult:
    """Screen every patient in ``meds`` (long format, one row per medication)."""
    runner = runner or default_checker(db_url)
    today = as_of or date.today()
    try:
        rules = select_rules(select, ignore)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    table, notes = normalise_columns(meds, MED_COLUMNS, ("patient_id", "name"), "medications")
    table = table.reset_index(drop=True)
    for column in MED_COLUMNS:
        table[column] = _text(table[column]) if column in table else ""
    table["row"] = meds.attrs.get("source_rows") or range(2, len(table) + 2)
    problems: list[tuple[str, int, str]] = [("", row, reason) for row, reason in meds.attrs.get("rejected_rows", [])]
    key, medications = _distinct_medications(table)
    parallel = _parallel(len(table))

    def read_and_check_patients() -> tuple[People | None, dict[str, str], list[str], Any]:
        people, patient_problems, patient_notes = read_patients(patients, today)
        return people, patient_problems, patient_notes, _validate(table, people, patient_problems, today)

    templates, (people, patient_problems, patient_notes, checked) = _resolve_all(
        runner, medications, parallel, read_and_check_patients)
    notes += patient_notes
    reject, reasons, dates = checked
    key_error = pd.Series([t if isinstance(t, str) else "" for t in templates], dtype="string")
    errors = pd.Series(key, index=table.index).map(key_error)
    fresh = (errors != "") & ~reject
    reasons[fresh] = errors[fresh]
    reject |= fresh
    for pid, row, reason in zip(table.loc[reject, "patient_id"], table.loc[reject, "row"], reasons[reject], strict=True):
        problems.append((str(pid), int(row), str(reason)))

    good = ~reject.to_numpy()
    ward, rows = _ward(runner, today, table, good, key, templates, dates, people or {})
    emitted, found = _findings(runner, ward, rows, rules, min_severity, people or {}, today, parallel, progress)
    return _result(runner, rows, found, emitted, min_severity, problems, people or {}, notes, int(good.sum()))


def _resolve_all(runner: Checker, medications: list[MedicationKey], parallel: bool,
                 meanwhile: Callable[[], Any]) -> tuple[list[Template | str], Any]:
    """Every distinct medication resolved, and what ``meanwhile()`` gives: with ``parallel``,
    a second process resolves three quarters of them while this one runs ``meanwhile`` and
    the rest (split by name, so each name is looked up on one side only)."""
    names = pd.factorize(np.array([m[0] for m in medications], dtype=object))[0]
    elsewhere = np.flatnonzero(names % 4 != 0) if parallel else np.zeros(0, dtype=np.int64)
    here = np.setdiff1d(np.arange(len(medications)), elsewhere)
    child = Background(runner.kb, _resolve, runner, [medications[i] for i in elsewhere]) if len(elsewhere) else None
    try:
        other = meanwhile()
        templates: list[Template | str] = [""] * len(medications)
        for i, template in zip(here.tolist(), _resolve(runner, [medications[i] for i in here]), strict=True):
            templates[i] = template
        for i, template in zip(elsewhere.tolist(), child.result() if child else [], strict=True):
            templates[i] = template
    finally:
        if child:
            child.close()
    return templates, other


def _findings(runner: Checker, ward: Ward, rows: _Rows, rules: list[Rule], min_severity: Severity, people: People,
              today: date, parallel: bool, progress: Progress | None) -> tuple[list[Emitted], Found]:
    """Every rule's rows: frames (some in a second process with ``parallel``), then the
    per-patient rules on the patients they can flag."""
    frames = [r.code for r in rules if r.code in _frames()]
    per_patient = [r for r in rules if r.code not in _frames()]
    elsewhere = [c for c in frames if c in _CHILD_FRAMES] if parallel else []
    child = None
    if elsewhere:
        ward.prepare()  # what both sides read, computed once before the fork
        child = Background(runner.kb, _run_frames, ward, elsewhere)
    try:
        emitted: list[Emitted] = []
        steps: list[str | None] = [c for c in frames if c not in elsewhere] + [None]
        for step in (progress(steps) if progress else steps):
            if step is None:
                emitted += _per_patient(runner, ward, rows, per_patient, min_severity, people, today)
            else:
                emitted += _frames()[step](ward)
        found = Found.of(ward.found)
        if child:
            their_rows, theirs = child.result()
            emitted += [(patient, index + len(found.items)) for patient, index in their_rows]
            found = found.extended(theirs)
    finally:
        if child:
            child.close()
    return emitted, found


PARALLEL_FROM_ROWS = 50_000  # below this a second process costs more than it saves
# Computed in the second process: about half the frames' time (PC101 and PC204 share their worsening states).
_CHILD_FRAMES = {"PC101", "PC204", "PC202", "PC203"}


def _parallel(rows: int) -> bool:
    return rows >= PARALLEL_FROM_ROWS and fork_available()


def _run_frames(ward: Ward, codes: list[str]) -> tuple[list[Emitted], Found]:
    """The frames' rows and their findings in the form :func:`_result` reads (cheap to send
    from another process: a tenth of pickling the findings)."""
    base = len(ward.found)
    emitted = [e for code in codes for e in _frames()[code](ward)]
    return [(patient, index - base) for patient, index in emitted], Found.of(ward.found[base:], render=True)


@dataclass(frozen=True)
class Found:
    """Findings as output rows need them: the OUT columns after patient_id, the severity, the code,
    and the order ``check`` sorts them in among findings of the same code."""

    items: list[tuple[str, ...]]
    severity: np.ndarray
    code: list[str]
    rank: np.ndarray
    lines: list[str | None]  # each item as CSV text, where it was rendered ahead (else None)

    @classmethod
    def of(cls, findings: list[Finding], render: bool = False) -> Found:
        """With ``render``, each item's CSV text too (the second process does it for its findings)."""
        rank = np.empty(len(findings), dtype=np.int64)
        rank[sorted(range(len(findings)), key=lambda i: findings[i].sort_key())] = np.arange(len(findings))
        items = [(f.code, f.name, f.category, f.severity.label, ";".join(f.drugs), f.title, f.message,
                  f.recommendation, f.evidence) for f in findings]
        return cls(items, np.fromiter((int(f.severity) for f in findings), dtype=np.int64, count=len(findings)),
                   [f.code for f in findings], rank, [csv_line(i) for i in items] if render else [None] * len(items))

    def extended(self, other: Found) -> Found:
        """Both; a code's findings must all come from one side, as each frame runs in one process."""
        return Found(self.items + other.items, np.concatenate([self.severity, other.severity]),
                     self.code + other.code, np.concatenate([self.rank, other.rank]), self.lines + other.lines)

    def order(self) -> np.ndarray:
        """Each finding's position in ``check``'s order (Finding.sort_key: severity, code, then the
        rest, which only findings of one code, and so of one side, need)."""
        codes = np.unique(np.array(self.code, dtype=object), return_inverse=True)[1].reshape(-1) if self.code \
            else np.zeros(0, dtype=np.int64)
        position = np.empty(len(self.items), dtype=np.int64)
        position[np.lexsort((self.rank, codes, -self.severity))] = np.arange(len(self.items))
        return position


def _frames() -> dict[str, Callable[[Ward], list[Emitted]]]:
    from pharmcheck.batch.frames import FRAMES

    return FRAMES


def _validate(table: pd.DataFrame, people: People | None, patient_problems: dict[str, str],
              today: date) -> tuple[pd.Series, pd.Series, dict[str, pd.Series]]:
    """Rows that cannot be screened, with the first reason for each, and the parsed dates."""
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
    if people is not None:
        codes, ids = pd.factorize(pid.to_numpy(dtype=object))  # each distinct id looked up once
        listed = np.array([p in people for p in ids], dtype=bool)[codes]
        troubled = np.array([p in patient_problems for p in ids], dtype=bool)[codes]
        values = pid.to_numpy(dtype=object)
        mark(~listed & ~troubled, lambda rows: [f"patient_id {p} is not in the patients table" for p in values[rows]])
        mark(troubled, lambda rows: [patient_problems[p] for p in values[rows]])
    dates = {}
    for column in ("start", "stop"):
        parsed = pd.to_datetime(table[column], errors="coerce", format="ISO8601")
        mark((table[column] != "") & parsed.isna(), f"unparsable {column} date")
        dates[column] = parsed
    mark(dates["stop"].notna() & dates["start"].notna() & (dates["stop"] < dates["start"]), "stop date before start date")
    row_as_of: Any = pd.Timestamp(today)
    if people:
        dated = {p: when for p, (_, when) in people.items() if when != today}
        if dated:
            per_row = pid.astype(object).map(dated)
            row_as_of = pd.to_datetime(per_row.where(per_row.notna(), today).astype(str))
    mark(dates["start"].notna() & (dates["start"] > row_as_of), "start date after the screening date")
    return reject, reasons, dates


Template = tuple[list[ResolvedMedication], list[Unrecognized], list[str], list[Any]]


MedicationKey = tuple[str, str, str, str, str]  # name, dose, frequency, route, smiles


def _distinct_medications(table: pd.DataFrame) -> tuple[np.ndarray, list[MedicationKey]]:
    """Each row's id of its distinct (name, dose, frequency, route, smiles), and those."""
    columns = ("name", "dose", "frequency", "route", "smiles")
    given = [c for c in columns if c == "name" or (table[c] != "").any()]  # a blank column adds nothing
    first, key = distinct_rows(*(pd.factorize(table[c])[0] for c in given))
    return key, list(zip(*(table[c].to_numpy(dtype=object)[first].tolist() for c in columns), strict=True))


def _resolve(runner: Checker, medications: list[MedicationKey]) -> list[Template | str]:
    """Per medication the resolved templates, or why it cannot be screened."""
    templates: list[Template | str] = []
    for name, dose, frequency, route, smiles in medications:
        if not name:
            templates.append("missing medication name")
            continue
        medication = Medication(name=name, dose=dose or None, frequency=frequency or None, route=route or None,
                                smiles=smiles or None)
        structures: list[Any] = []  # an unidentified structure: screened by the prediction rules
        try:
            templates.append((*runner.resolve_medication(medication, 0, structures), structures))
        except InputError as exc:
            templates.append(str(exc).split(": ", 1)[-1])
    return templates


@dataclass(frozen=True)
class _Rows:
    """The screened rows, ordered by patient and then position in the patient's list."""

    patient_ids: list[str]
    patient: np.ndarray
    position: np.ndarray
    key: np.ndarray
    row: np.ndarray
    start: np.ndarray
    stop: np.ndarray
    status: np.ndarray
    templates: list[Any]


def _ward(runner: Checker, today: date, table: pd.DataFrame, good: np.ndarray, key: np.ndarray, templates: list[Any],
          dates: dict[str, pd.Series], people: People) -> tuple[Ward, _Rows]:
    patient_codes, patient_ids = pd.factorize(table["patient_id"].to_numpy(dtype=object)[good], sort=True)
    order = np.argsort(patient_codes, kind="stable")
    patient = patient_codes[order]
    starts = np.flatnonzero(np.r_[True, patient[1:] != patient[:-1]]) if len(patient) else np.zeros(0, dtype=np.int64)
    sizes = np.diff(np.r_[starts, len(patient)])
    status = table["status"].str.lower().to_numpy(dtype=object)[good][order]
    rows = _Rows(
        patient_ids=list(patient_ids), patient=patient, position=np.arange(len(patient)) - np.repeat(starts, sizes),
        key=key[good][order], row=table["row"].to_numpy()[good][order],
        start=dates["start"].to_numpy(dtype="datetime64[D]")[good][order],
        stop=dates["stop"].to_numpy(dtype="datetime64[D]")[good][order],
        # A blank status is "not given" (None), never pandas' NA, which breaks truth tests later.
        status=np.where(status == "", None, status), templates=templates,
    )
    meds: list[ResolvedMedication] = []
    offset = np.zeros(len(templates) + 1, dtype=np.int64)
    for k, template in enumerate(templates):
        found = template[0] if not isinstance(template, str) else []
        meds.extend(found)
        offset[k + 1] = offset[k] + len(found)
    count = np.diff(offset)[rows.key]
    entry_row = np.repeat(np.arange(len(rows.key)), count)
    within = np.arange(len(entry_row)) - np.repeat(np.cumsum(count) - count, count)
    stopped_status = np.isin(rows.status.astype(str), ["stopped", "discontinued", "held"])
    structures = np.array([bool(t[3]) if not isinstance(t, str) else False for t in templates], dtype=bool)
    has_structures = np.zeros(len(patient_ids), dtype=bool)
    has_structures[rows.patient[structures[rows.key]]] = True
    patients = [people[p][0] if p in people else Patient(id=str(p)) for p in rows.patient_ids]
    ward = Ward(
        kb=runner.kb, today=today, patients=patients,
        condition_ids=[runner.conditions_of(p)[0] for p in patients], meds=meds, entry_patient=rows.patient[entry_row], entry_position=rows.position[entry_row],
        entry_med=offset[rows.key][entry_row] + within,
        entry_stopped=(stopped_status | ~np.isnat(rows.stop))[entry_row],
        entry_started=~np.isnat(rows.start)[entry_row], has_structures=has_structures,
    )
    return ward, rows


def _date(day: np.datetime64) -> date | None:
    return None if np.isnat(day) else day.astype(object)  # type: ignore[no-any-return]


def _per_patient(runner: Checker, ward: Ward, rows: _Rows, rules: list[Rule], min_severity: Severity,
                 people: People, today: date) -> list[Emitted]:
    """The rules without a frame form, through the engine, on the patients they can flag."""
    from pharmcheck.batch.frames import FILTERS

    if not rules:
        return []
    everyone = np.ones(len(ward.patients), dtype=bool)
    masks = [FILTERS[r.code](ward) if r.code in FILTERS else everyone for r in rules]
    first_row = np.searchsorted(rows.patient, np.arange(len(ward.patients) + 1))
    chosen, results = [], []
    for p in np.flatnonzero(np.logical_or.reduce(masks)).tolist():
        resolved: list[ResolvedMedication] = []
        structures: list[Any] = []
        for i in range(first_row[p], first_row[p + 1]):
            found, _, _, med_structures = rows.templates[rows.key[i]]
            structures.extend(med_structures)
            start, stop = _date(rows.start[i]), _date(rows.stop[i])  # only here: few rows need dates
            resolved.extend(_for_row(t, int(rows.position[i]), start, stop, rows.status[i]) for t in found)
        patient, when = people.get(rows.patient_ids[p], (ward.patients[p], today))
        applicable = [r for r, mask in zip(rules, masks, strict=True) if mask[p]]
        report = runner.evaluate(patient, resolved, [], [], when, applicable, min_severity, structures)
        chosen.append(p)
        results.append(report.findings)
    return [ward.emit(np.array(chosen, dtype=np.int64), np.arange(len(chosen)), results)]


def _for_row(template: ResolvedMedication, index: int, start: date | None, stop: date | None,
             status: str | None) -> ResolvedMedication:
    """A resolved template with this row's position and dates (dataclasses.replace is slow)."""
    med = object.__new__(ResolvedMedication)
    med.__dict__.update(template.__dict__, index=index, start=start, stop=stop, status=status)
    return med


def _result(runner: Checker, rows: _Rows, found: Found, emitted: list[Emitted], min_severity: Severity,
            problems: list[tuple[str, int, str]], people: People, notes: list[str], screened: int) -> ScreenResult:
    """Finding rows per patient in the order ``check`` reports them, then the patient's
    unrecognised inputs, then every rejected row; and the summary."""
    patient = np.concatenate([e[0] for e in emitted] or [np.zeros(0, dtype=np.int64)])
    index = np.concatenate([e[1] for e in emitted] or [np.zeros(0, dtype=np.int64)])
    severity = found.severity
    kept = severity[index] >= int(min_severity)
    patient, index = patient[kept], index[kept]
    order = np.argsort(patient * max(len(found.items), 1) + found.order()[index], kind="stable")
    patient, index = patient[order], index[order]
    items = list(found.items)

    missing_patient, missing_item = [], []
    has_missing = np.array([not isinstance(t, str) and bool(t[1]) for t in rows.templates], dtype=bool)
    for r in np.flatnonzero(has_missing[rows.key]).tolist():  # in patient and list order
        for u in rows.templates[rows.key[r]][1]:
            missing_patient.append(int(rows.patient[r]))
            missing_item.append(len(items))
            items.append(("", "", "unrecognized", "", "", f"Not checked: {u.input}", f"row {rows.row[r]}: {u.reason}",
                          f"Suggestions: {', '.join(u.suggestions)}" if u.suggestions else "", ""))
    unrecognized_patient = np.array(missing_patient, dtype=np.int64)
    unrecognized_item = np.array(missing_item, dtype=np.int64)
    all_patient = np.concatenate([patient, unrecognized_patient])
    all_item = np.concatenate([index, unrecognized_item])
    merged = np.argsort(all_patient, kind="stable")
    all_patient, all_item = all_patient[merged], all_item[merged]

    patient_ids = list(rows.patient_ids)
    rejected = [(len(patient_ids) + j, len(items) + j) for j in range(len(problems))]
    patient_ids += [pid for pid, _, _ in problems]
    items += [("", "", "rejected-row", "", "", f"Row {row} not screened", f"row {row}: {reason}",
               "Correct the row and screen it again.", "") for _, row, reason in problems]
    if rejected:
        extra = np.array(rejected, dtype=np.int64)
        all_patient, all_item = np.concatenate([all_patient, extra[:, 0]]), np.concatenate([all_item, extra[:, 1]])

    count = len(rows.patient_ids)
    medications = np.bincount(rows.patient, minlength=count)
    finding_counts = np.bincount(patient, minlength=count)
    unrecognized_counts = np.bincount(unrecognized_patient, minlength=count)
    highest = np.full(count, -1, dtype=np.int64)
    np.maximum.at(highest, patient, severity[index])
    labels = {int(s): s.label for s in Severity}
    summary_rows = [(pid, int(m), int(f), int(u), labels.get(int(h), "none")) for pid, m, f, u, h in
                    zip(rows.patient_ids, medications, finding_counts, unrecognized_counts, highest, strict=True)]
    summary_rows += [(pid, 0, 0, 0, "no medications") for pid in sorted(set(people) - set(rows.patient_ids))]
    summary = pd.DataFrame(summary_rows, columns=["patient_id", "medications", "findings", "unrecognized",
                                                  "highest_severity"])
    per_severity = np.bincount(severity[index], minlength=max(labels) + 1)
    severities = Counter({labels[s]: int(n) for s, n in enumerate(per_severity.tolist()) if n and s in labels})
    lines = found.lines + [None] * (len(items) - len(found.items))
    return ScreenResult(FindingRows(patient_ids, all_patient, items, all_item, lines), summary, notes,
                        rows_screened=screened, rows_reported=len(problems), severities=severities,
                        unrecognized=len(missing_patient), kb_version=runner.kb.version)


def screen_frame(meds: pd.DataFrame, patients: pd.DataFrame | None = None, **options: Any) -> pd.DataFrame:
    """The findings of :func:`screen` as a DataFrame with the OUT columns."""
    return screen(meds, patients, **options).findings
