"""Batch screening of ward lists: one table of medications, one of patients, findings out.

Volume is handled where it is: each distinct (name, dose, frequency, route) is parsed
and resolved once and rows are joined to it by an integer code; dates and row
validity are checked column-wise. The rules then run once per patient through
:meth:`Checker.evaluate`, the same code path as ``pharmcheck check``, so a
patient screened in a batch gets exactly the findings ``check`` gives.

Nothing is lost: every input row is either screened or reported, with its row
number (the header is row 1) and the reason.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from pharmcheck.domain import Medication, Patient, ResolvedMedication, Severity, Unrecognized
from pharmcheck.engine import Checker, validate_patient
from pharmcheck.engine import checker as default_checker
from pharmcheck.errors import InputError
from pharmcheck.rules import select_rules

OUT_COLUMNS = ("patient_id", "code", "name", "category", "severity", "drugs", "title", "message",
               "recommendation", "evidence")
MED_COLUMNS: dict[str, tuple[str, ...]] = {
    "patient_id": ("patient_id", "patient", "id", "mrn", "patientid", "patient id"),
    "name": ("name", "drug", "medication", "med", "drug_name", "medicine"),
    "dose": ("dose",), "frequency": ("frequency", "freq"), "route": ("route",),
    "start": ("start", "start_date"), "stop": ("stop", "stop_date", "end", "end_date"),
    "status": ("status",), "smiles": ("smiles",),
}
PATIENT_COLUMNS: dict[str, tuple[str, ...]] = {
    "patient_id": MED_COLUMNS["patient_id"], "age": ("age",), "sex": ("sex", "gender"),
    "weight_kg": ("weight_kg", "weight"), "egfr": ("egfr",), "crcl": ("crcl",),
    "dialysis": ("dialysis",), "hepatic_impairment": ("hepatic_impairment", "hepatic"),
    "pregnant": ("pregnant",), "childbearing_potential": ("childbearing_potential",),
    "conditions": ("conditions", "condition"), "myoclonus": ("myoclonus",), "as_of": ("as_of",),
}
_TRUE = {"true", "yes", "y", "1", "t"}
_FALSE = {"false", "no", "n", "0", "f"}


@dataclass
class ScreenResult:
    """Findings (OUT schema; empty when they went to a ``sink``), a per-patient summary, notes
    about the input, and counts over every finding row (``severities``: rows per severity label)."""

    findings: pd.DataFrame
    summary: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    rows_screened: int = 0
    rows_reported: int = 0
    severities: Counter[str] = field(default_factory=Counter)
    unrecognized: int = 0
    kb_version: str = ""


def normalise_columns(frame: pd.DataFrame, spec: dict[str, tuple[str, ...]], required: Sequence[str],
                      what: str) -> tuple[pd.DataFrame, list[str]]:
    """Rename aliased, case-insensitive columns to their canonical names; note unknown ones."""
    mapping: dict[str, str] = {}
    notes = []
    for column in frame.columns:
        key = str(column).strip().lower().lstrip("\ufeff")
        canonical = next((c for c, aliases in spec.items() if key in aliases), None)
        if canonical is None:
            notes.append(f"{what}: column {column!r} is not used")
            continue
        if canonical in mapping.values():
            raise InputError(f"{what}: more than one column means {canonical!r} (found {list(map(str, frame.columns))})")
        mapping[column] = canonical
    missing = [c for c in required if c not in mapping.values()]
    if missing:
        raise InputError(f"{what}: missing required column(s) {', '.join(missing)}; "
                         f"found {', '.join(map(str, frame.columns)) or 'none'}")
    out = frame[list(mapping)].rename(columns=mapping)
    return out, notes


def _text(series: pd.Series) -> pd.Series:
    return series.astype("string").str.strip().fillna("")


def screen(meds: pd.DataFrame, patients: pd.DataFrame | None = None, *, runner: Checker | None = None,
           db_url: str | None = None, as_of: date | None = None, select: Sequence[str] = (),
           ignore: Sequence[str] = (), min_severity: Severity = Severity.INFO,
           progress: Callable[[Iterable[Any]], Iterable[Any]] | None = None, workers: int = 1,
           sink: Callable[[list[tuple[Any, ...]]], None] | None = None) -> ScreenResult:
    """Screen every patient in ``meds`` (long format, one row per medication).

    With a ``sink``, finding rows (OUT columns, in output order) are passed to it chunk by
    chunk instead of being collected, so a million-row ward never sits in memory at once.
    """
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

    people, patient_problems, patient_notes = _patients(patients, today)
    notes += patient_notes
    reject = pd.Series(False, index=table.index)
    reasons = pd.Series("", index=table.index, dtype="string")

    def mark(mask: pd.Series, reason: str | pd.Series) -> None:
        fresh = mask & ~reject
        reasons[fresh] = reason if isinstance(reason, str) else reason[fresh]
        reject[fresh] = True

    mark(table["patient_id"] == "", "missing patient_id")
    mark(table["name"] == "", "missing medication name")
    if people is not None:
        mark(~table["patient_id"].isin(list(people)) & ~table["patient_id"].isin(list(patient_problems)),
             "patient_id " + table["patient_id"] + " is not in the patients table")
        bad_patient = table["patient_id"].isin(list(patient_problems))
        mark(bad_patient, table["patient_id"].map(patient_problems).astype("string"))
    dates = {}
    for column in ("start", "stop"):
        parsed = pd.to_datetime(table[column], errors="coerce", format="ISO8601")
        mark((table[column] != "") & parsed.isna(), f"unparsable {column} date")
        dates[column] = parsed
    mark(dates["stop"].notna() & dates["start"].notna() & (dates["stop"] < dates["start"]), "stop date before start date")
    row_as_of: Any = pd.Timestamp(today)
    if people:
        dated = {pid: p[1] for pid, p in people.items() if p[1] != today}
        if dated:
            per_row = table["patient_id"].astype(object).map(dated)
            row_as_of = pd.to_datetime(per_row.where(per_row.notna(), today).astype(str))
    mark(dates["start"].notna() & (dates["start"] > row_as_of), "start date after the screening date")

    key_columns = ["name", "dose", "frequency", "route", "smiles"]
    codes, distinct = pd.factorize(pd.MultiIndex.from_frame(table[key_columns]))
    table["key"] = codes
    templates: list[tuple[list[ResolvedMedication], list[Unrecognized], list[str], list[Any]] | str] = []
    for name, dose, frequency, route, smiles in distinct:
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
    key_error = pd.Series([t if isinstance(t, str) else "" for t in templates], dtype="string")
    errors = table["key"].map(key_error)
    mark(errors != "", errors)

    for pid, row, reason in zip(table.loc[reject, "patient_id"], table.loc[reject, "row"], reasons[reject], strict=True):
        problems.append((str(pid), int(row), str(reason)))
    good = table[~reject]
    status = good["status"].str.lower()
    columns = {
        "key": good["key"].to_numpy(), "row": good["row"].to_numpy(),
        "start": _dates(dates["start"][~reject]), "stop": _dates(dates["stop"][~reject]),
        # A blank status is "not given" (None), never pandas' NA, which breaks truth tests later.
        "status": np.where(status == "", None, status.to_numpy(dtype=object)),
    }
    positions = good.groupby("patient_id").indices  # not .groups: that builds an Index per patient
    patient_ids = sorted(positions)
    job = _Job(runner, rules, min_severity, today, people or {}, templates, positions, columns)
    collected: list[tuple[Any, ...]] = []
    emit = sink or collected.extend
    summary_rows: list[tuple[Any, ...]] = []
    severities: Counter[str] = Counter()
    unrecognized = 0
    for finding_rows, summaries, counts, missing in _run_patients(job, patient_ids, workers, progress):
        emit(finding_rows)
        summary_rows += summaries
        severities.update(counts)
        unrecognized += missing
    emit([(pid, "", "", "rejected-row", "", "", f"Row {row} not screened", f"row {row}: {reason}",
           "Correct the row and screen it again.", "") for pid, row, reason in problems])
    for pid in sorted(set(people or {}) - set(patient_ids)):
        summary_rows.append((pid, 0, 0, 0, "no medications"))
    findings = pd.DataFrame(collected, columns=list(OUT_COLUMNS), dtype="string")
    summary = pd.DataFrame(summary_rows, columns=["patient_id", "medications", "findings", "unrecognized",
                                                  "highest_severity"])
    return ScreenResult(findings, summary, notes, rows_screened=len(good), rows_reported=len(problems),
                        severities=severities, unrecognized=unrecognized, kb_version=runner.kb.version)


def _dates(parsed: pd.Series) -> Any:
    """Timestamps as an object array of ``date`` or None, converted once rather than per row."""
    return parsed.dt.date.astype(object).where(parsed.notna(), None).to_numpy()


@dataclass(frozen=True)
class _Job:
    """Everything the per-patient evaluation needs; shared with forked workers by inheritance."""

    runner: Checker
    rules: list[Any]
    min_severity: Severity
    today: date
    people: dict[str, tuple[Patient, date]]
    templates: list[Any]
    positions: dict[Any, Any]
    columns: dict[str, Any]


_JOB: _Job | None = None
_CHUNK = 2000  # patients per unit of work: small enough to stream, large enough to amortise the IPC

Chunk = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], Counter[str], int]


def _run_patients(job: _Job, patient_ids: list[Any], workers: int,
                  progress: Callable[[Iterable[Any]], Iterable[Any]] | None) -> Iterator[Chunk]:
    """Evaluate every patient, chunk by chunk in patient order, in ``workers`` forked processes
    when there are enough patients."""
    global _JOB
    chunks = [patient_ids[i:i + _CHUNK] for i in range(0, len(patient_ids), _CHUNK)]
    if workers <= 1 or len(chunks) < 2:
        yield from map(partial(_evaluate_patients, job), progress(chunks) if progress else chunks)
        return
    import multiprocessing

    _JOB = job
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            done = pool.imap(_evaluate_chunk, chunks)
            yield from progress(done) if progress else done
    finally:
        _JOB = None


def _evaluate_chunk(patient_ids: list[Any]) -> Chunk:
    assert _JOB is not None
    return _evaluate_patients(_JOB, patient_ids)


def _evaluate_patients(job: _Job, patient_ids: Iterable[Any]) -> Chunk:
    """Finding rows, summary rows, rows per severity and the count of unrecognised inputs."""
    finding_rows: list[tuple[Any, ...]] = []
    summary_rows: list[tuple[Any, ...]] = []
    severities: Counter[str] = Counter()
    unrecognized_rows = 0
    keys, starts, stops, statuses, source_rows = (job.columns[c] for c in ("key", "start", "stop", "status", "row"))
    for pid in patient_ids:
        patient, when = job.people.get(pid, (Patient(id=str(pid)), job.today))
        resolved: list[ResolvedMedication] = []
        unrecognized: list[tuple[Unrecognized, int]] = []
        notes_for: list[str] = []
        structures: list[Any] = []
        rows = job.positions[pid]
        for position, i in enumerate(rows):
            found, missing, med_notes, med_structures = job.templates[keys[i]]
            structures.extend(med_structures)
            for template in found:
                resolved.append(_for_row(template, position, starts[i], stops[i], statuses[i]))
            if missing:
                unrecognized.extend((u, int(source_rows[i])) for u in missing)
            notes_for.extend(med_notes)
        report = job.runner.evaluate(patient, resolved, [u for u, _ in unrecognized], notes_for, when,
                                     job.rules, job.min_severity, structures)
        for f in report.findings:
            label = f.severity.label
            severities[label] += 1
            finding_rows.append((pid, f.code, f.name, f.category, label, ";".join(f.drugs), f.title,
                                 f.message, f.recommendation, f.evidence))
        for u, row in unrecognized:
            finding_rows.append((pid, "", "", "unrecognized", "", "", f"Not checked: {u.input}",
                                 f"row {row}: {u.reason}",
                                 f"Suggestions: {', '.join(u.suggestions)}" if u.suggestions else "", ""))
        unrecognized_rows += len(unrecognized)
        highest = report.highest_severity
        summary_rows.append((pid, len(rows), len(report.findings), len(unrecognized),
                             highest.label if highest is not None else "none"))
    return finding_rows, summary_rows, severities, unrecognized_rows


def _for_row(template: ResolvedMedication, index: int, start: date | None, stop: date | None,
             status: str | None) -> ResolvedMedication:
    """A resolved template with this row's position and dates (dataclasses.replace is slow)."""
    med = object.__new__(ResolvedMedication)
    med.__dict__.update(template.__dict__, index=index, start=start, stop=stop, status=status)
    return med


def _patients(frame: pd.DataFrame | None, today: date) -> tuple[dict[str, tuple[Patient, date]] | None, dict[str, str], list[str]]:
    if frame is None:
        return None, {}, []
    table, notes = normalise_columns(frame, PATIENT_COLUMNS, ("patient_id",), "patients")
    table = table.reset_index(drop=True)
    people: dict[str, tuple[Patient, date]] = {}
    problems: dict[str, str] = {}
    text = table.astype("string").fillna("")
    records = (dict(zip(text.columns, values, strict=True))
               for values in zip(*(text[c].tolist() for c in text.columns), strict=True))
    for row, record in enumerate(records, start=2):
        pid = record["patient_id"].strip()
        if not pid:
            notes.append(f"patients row {row}: missing patient_id; row ignored")
            continue
        if pid in people or pid in problems:
            problems[pid] = f"patient_id {pid} appears twice in the patients table (row {row})"
            people.pop(pid, None)
            continue
        try:
            people[pid] = _patient(pid, record, today)
        except InputError as exc:
            problems[pid] = f"patients row {row}: {exc}"
    return people, problems, notes


def _patient(pid: str, record: dict[str, Any], today: date) -> tuple[Patient, date]:
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

    when = today
    if text("as_of"):
        try:
            when = date.fromisoformat(str(text("as_of"))[:10])
        except ValueError:
            raise InputError(f"as_of {text('as_of')!r} is not a date") from None
    conditions = tuple(c.strip() for c in (text("conditions") or "").split(";") if c.strip())
    patient = Patient(
        id=pid, age=number("age"), sex=(text("sex") or "").lower() or None, weight_kg=number("weight_kg"),
        crcl=number("crcl"), egfr=number("egfr"), dialysis=(text("dialysis") or "").lower() or None,
        hepatic_impairment=(text("hepatic_impairment") or "").lower() or None, pregnant=flag("pregnant"),
        childbearing_potential=flag("childbearing_potential"), conditions=conditions,
        myoclonus=(text("myoclonus") or "").lower() or None,
    )
    return validate_patient(patient), when


def screen_frame(meds: pd.DataFrame, patients: pd.DataFrame | None = None, **options: Any) -> pd.DataFrame:
    """The findings of :func:`screen` as a DataFrame with the OUT columns."""
    return screen(meds, patients, **options).findings


def read_table(source: str) -> pd.DataFrame:
    """Read CSV, TSV, Excel (.xlsx) or Parquet by extension; ``-`` reads CSV from stdin."""
    import sys
    from pathlib import Path

    if source == "-":
        return _read_csv(sys.stdin, "stdin", ",")
    path = Path(source)
    if path.is_dir():
        raise InputError(f"{source} is a directory, not a table")
    if not path.exists():
        raise InputError(f"{source} does not exist")
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            sheets = pd.read_excel(path, sheet_name=None, dtype="string")
            if not sheets:
                raise InputError(f"{source}: the workbook has no sheets")
            return next(iter(sheets.values()))
        if suffix == ".parquet":
            return pd.read_parquet(path)
    except InputError:
        raise
    except Exception as exc:  # a damaged workbook or parquet file: say so in one line
        raise InputError(f"{source}: cannot read it as {suffix[1:]}: {exc.__class__.__name__}: {exc}") from None
    with path.open("rb") as handle:
        head = handle.read(4096)
    if b"\x00" in head:
        raise InputError(f"{source} is a binary file, not CSV/TSV")
    return _read_csv(path, source, "\t" if suffix in (".tsv", ".tab") else ",")


def _read_csv(source: Any, name: str, sep: str) -> pd.DataFrame:
    """Fast path with pandas' C parser; on a malformed row, a tolerant pass that keeps every good
    row and records each bad one with its line number (``frame.attrs["rejected_rows"]``)."""
    import io

    data = source.read() if hasattr(source, "read") else source.read_bytes()
    if isinstance(data, str):
        data = data.encode("utf-8")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")  # a Latin-1 export: every byte is a character
    if not text.strip():
        raise InputError(f"{name} is empty")
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype="string", keep_default_na=False,
                            on_bad_lines="error", engine="c")
    except pd.errors.ParserError:
        frame = _tolerant_csv(text, sep)
    except pd.errors.EmptyDataError:
        raise InputError(f"{name} is empty") from None
    duplicated = [c for c in frame.columns if "." in str(c) and str(c).rsplit(".", 1)[0] in frame.columns]
    if duplicated:
        raise InputError(f"{name}: duplicate column header(s) {', '.join(str(c).rsplit('.', 1)[0] for c in duplicated)}")
    return frame


def _tolerant_csv(text: str, sep: str) -> pd.DataFrame:
    import csv as csvlib
    import io

    reader = csvlib.reader(io.StringIO(text), delimiter=sep)
    header = next(reader)
    rows, lines, rejected = [], [], []
    for cells in reader:
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            rejected.append((reader.line_num, f"{len(cells)} fields, expected {len(header)}"))
            continue
        rows.append(cells)
        lines.append(reader.line_num)
    frame = pd.DataFrame(rows, columns=header, dtype="string")
    frame.attrs["source_rows"] = lines
    frame.attrs["rejected_rows"] = rejected
    return frame
