"""Laying out finding rows: per patient in the order ``check`` reports them, then the patient's
unrecognised inputs and those checked by structure only, then every rejected row; and the
per-patient summary: every patient named in either table, in natural order (P2 before P10)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import Any

import numpy as np
import pandas as pd

from pharmcheck.batch.medications import Rows
from pharmcheck.batch.output import FindingRows
from pharmcheck.batch.patients import People
from pharmcheck.batch.tables import listed_rows, natural_key
from pharmcheck.domain import Finding, Severity, Unrecognized
from pharmcheck.engine import Checker
from pharmcheck.overrides import SiteRules
from pharmcheck.rules.ward import Emitted


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
    hidden: Counter[str] = field(default_factory=Counter)  # rows per severity below min_severity
    suppressed: Counter[str] = field(
        default_factory=Counter
    )  # rows per severity a site override suppressed
    unrecognized: int = 0
    by_structure: int = 0  # medications checked by structure only (no KB drug matches them)
    kb_version: str = ""
    unknown_status_rows: list[int] = field(default_factory=list)  # rows behind the status notes
    void_status_rows: list[int] = field(default_factory=list)
    still_given_rows: list[int] = field(default_factory=list)  # stop date after the screening date
    read_rows: dict[str, np.ndarray] = field(default_factory=dict)  # how rows were read: rows
    patient_read_rows: dict[str, np.ndarray] = field(default_factory=dict)  # of the patients table
    rejected_rows: list[int] = field(default_factory=list)  # in the order of their finding rows

    @cached_property
    def findings(self) -> pd.DataFrame:
        return self.rows.frame()


def template_notes(template: Any) -> tuple[str, ...]:
    """How a distinct medication was read, as ``check`` says it: its notes (a dose's unit
    assumed, a text read as several items) and each drug read from a fuzzy match of its name.
    A structure screened alone is reported as its own row already."""
    if isinstance(template, str):
        return ()
    found, _, notes, structures = template
    fuzzy = [
        f"'{m.input}' read as {m.drug} (fuzzy match, score {m.score:.2f})"
        for m in found
        if m.match == "fuzzy"
    ]
    return tuple(dict.fromkeys([*([] if structures else notes), *fuzzy]))


def rows_by_note(
    said: Sequence[tuple[str, ...]], key: np.ndarray, rows: np.ndarray, chosen: np.ndarray
) -> dict[str, np.ndarray]:
    """Each note ``said[k]`` of the ``chosen`` rows' medications (``key``), with the row numbers
    it applies to (arrays: every row of a ward may carry one)."""
    picked = np.flatnonzero(chosen)
    order = np.argsort(key[picked], kind="stable")
    keys, numbers = key[picked][order], rows[picked][order]
    read: dict[str, np.ndarray] = {}
    if not len(keys):
        return read
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    for start, end in zip(starts.tolist(), [*starts[1:].tolist(), len(keys)], strict=True):
        for note in said[int(keys[start])]:
            read[note] = np.concatenate([read.get(note, numbers[:0]), numbers[start:end]])
    return read


def joined_notes(parts: Sequence[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    read: dict[str, np.ndarray] = {}
    for part in parts:
        for note, numbers in part.items():
            read[note] = np.concatenate([read[note], numbers]) if note in read else numbers
    return read


def read_notes(read: dict[str, np.ndarray], table: str = "") -> list[str]:
    """One note per way rows were read, with the rows read so, in the order of their first row;
    ``table`` names the table when it is not the medications'."""
    ordered = [(np.sort(numbers), note) for note, numbers in read.items() if len(numbers)]
    ordered.sort(key=lambda entry: (int(entry[0][0]), entry[1]))  # the same however split
    return [f"{table}{listed_rows(numbers.tolist())}: {note}" for numbers, note in ordered]


def status_notes(unknown: list[int], void: list[int], still_given: Sequence[int] = ()) -> list[str]:
    """The notes on rows screened as active for an unknown status (``unknown``), rows not
    screened for a void one (``void``) and rows screened as given whose stop date is after the
    screening date (``still_given``), by their row numbers."""
    notes = []
    if unknown:
        notes.append(
            f"status unknown on {len(unknown)} row(s) ({listed_rows(unknown)}): screened as active"
        )
    if void:
        notes.append(
            f"status entered-in-error, not-taken or cancelled on {len(void)} row(s) "
            f"({listed_rows(void)}): "
            "not screened (no rule reads a void or untaken medication)"
        )
    if still_given:
        notes.append(
            f"stop date after the screening date on {len(still_given)} row(s) "
            f"({listed_rows(list(still_given))}): still given on it"
        )
    return notes


@dataclass(frozen=True)
class Found:
    """Findings as output rows need them: the OUT columns after patient_id, the severity, and each
    finding's position in the order ``check`` reports them (Finding.sort_key)."""

    items: list[tuple[str, ...]]
    severity: np.ndarray
    position: np.ndarray
    suppressed: np.ndarray  # by a site override: counted, not written

    @classmethod
    def of(cls, findings: list[Finding], kb_version: str, site: SiteRules | None = None) -> Found:
        """With ``site``, the findings as its overrides leave them (check applies the same)."""
        suppressed = np.zeros(len(findings), dtype=bool)  # no overrides: nothing is suppressed
        if site is not None and site.overrides:
            findings = [site.applied(f) for f in findings]
            suppressed[:] = [f.suppressed_by is not None for f in findings]
        keys = [f.sort_key() for f in findings]
        position = np.empty(len(findings), dtype=np.int64)
        position[sorted(range(len(findings)), key=keys.__getitem__)] = np.arange(len(findings))
        labels = {s: s.label for s in Severity}
        drugs = cache(";".join)  # the cells many findings share, joined once each
        references: dict[tuple[str, ...], str] = {}

        def reference_keys(f: Finding) -> str:
            joined = references.get(f.references)
            if joined is None:
                joined = references[f.references] = ";".join(f.reference_keys())
            return joined

        items: list[tuple[str, ...]] = [
            (
                f.code,
                f.name,
                f.category,
                labels[f.severity],
                drugs(f.drugs),
                f.title,
                f.message,
                f.recommendation,
                f.evidence,
                reference_keys(f),
                kb_version,
            )
            for f in findings
        ]
        return cls(
            items,
            np.fromiter((int(f.severity) for f in findings), dtype=np.int64, count=len(findings)),
            position,
            suppressed,
        )


def lay_out(
    runner: Checker,
    rows: Rows,
    found: Found,
    emitted: list[Emitted],
    min_severity: Severity,
    problems: list[tuple[str, int, str]],
    people: People,
    patient_problems: dict[str, str],
    notes: list[str],
    screened: int,
    conditions: Sequence[tuple[str, int, Unrecognized]] = (),
) -> ScreenResult:
    """Finding rows per patient in the order ``check`` reports them, then the patient's
    unrecognised medications and conditions, then every rejected row; and the summary."""
    patient = np.concatenate([e[0] for e in emitted] or [np.zeros(0, dtype=np.int64)])
    index = np.concatenate([e[1] for e in emitted] or [np.zeros(0, dtype=np.int64)])
    severity = found.severity
    suppressed = found.suppressed[index]
    kept = (severity[index] >= int(min_severity)) & ~suppressed
    hidden = Counter(Severity(int(s)).label for s in severity[index[~kept & ~suppressed]].tolist())
    by_site = Counter(Severity(int(s)).label for s in severity[index[suppressed]].tolist())
    patient, index = patient[kept], index[kept]
    order = np.argsort(patient * max(len(found.items), 1) + found.position[index], kind="stable")
    patient, index = patient[order], index[order]
    items = list(found.items)

    missing_patient, missing_item, by_structure = [], [], 0
    has_missing = np.array(
        [not isinstance(t, str) and bool(t[1] or t[3]) for t in rows.templates], dtype=bool
    )
    for r in np.flatnonzero(has_missing[rows.key]).tolist():  # in patient and list order
        _, unrecognized, _, structures = rows.templates[rows.key[r]]
        for u in unrecognized:
            missing_patient.append(int(rows.patient[r]))
            missing_item.append(len(items))
            items.append(
                (
                    "",
                    "",
                    "unrecognized",
                    "",
                    "",
                    u.title,
                    f"row {rows.row[r]}: {u.reason}",
                    f"Suggestions: {', '.join(u.suggestions)}" if u.suggestions else "",
                    "",
                )
            )
        for structure in [] if rows.void[r] else structures:
            by_structure += 1
            missing_item.append(len(items))
            missing_patient.append(int(rows.patient[r]))
            items.append(
                (
                    "",
                    "",
                    "structure-only",
                    "",
                    "",
                    f"Checked by structure only: {structure.input}",
                    f"row {rows.row[r]}: {_structure_only(structure)}",
                    "",
                    "",
                )
            )
    patient_ids = list(rows.patient_ids)
    position = {pid: p for p, pid in enumerate(patient_ids)}
    for pid, row, u in conditions:  # a patient without medications is told what was not checked
        if pid not in position:
            position[pid] = len(patient_ids)
            patient_ids.append(pid)
        missing_patient.append(position[pid])
        missing_item.append(len(items))
        items.append(
            (
                "",
                "",
                "unrecognized",
                "",
                "",
                u.title,
                f"patients row {row}: {u.reason}",
                f"Suggestions: {', '.join(u.suggestions)}" if u.suggestions else "",
                "",
            )
        )
    unrecognized_patient = np.array(missing_patient, dtype=np.int64)
    unrecognized_item = np.array(missing_item, dtype=np.int64)
    unrecognized_kind = np.array([items[i][2] == "unrecognized" for i in missing_item], dtype=bool)
    all_patient = np.concatenate([patient, unrecognized_patient])
    all_item = np.concatenate([index, unrecognized_item])
    merged = np.argsort(all_patient, kind="stable")
    all_patient, all_item = all_patient[merged], all_item[merged]

    rejected = [(len(patient_ids) + j, len(items) + j) for j in range(len(problems))]
    patient_ids += [pid for pid, _, _ in problems]
    items += [
        (
            "",
            "",
            "rejected-row",
            "",
            "",
            f"Row {row} not screened",
            f"row {row}: {reason}",
            "Correct the row and screen it again.",
            "",
        )
        for _, row, reason in problems
    ]
    if rejected:
        extra = np.array(rejected, dtype=np.int64)
        all_patient, all_item = (
            np.concatenate([all_patient, extra[:, 0]]),
            np.concatenate([all_item, extra[:, 1]]),
        )

    count = len(rows.patient_ids)
    medications = np.bincount(rows.patient, minlength=count)
    finding_counts = np.bincount(patient, minlength=count)
    unrecognized_counts = np.bincount(
        unrecognized_patient[unrecognized_kind], minlength=len(position)
    )
    highest = np.full(count, -1, dtype=np.int64)
    np.maximum.at(highest, patient, severity[index])
    labels = {int(s): s.label for s in Severity}

    def unrecognized_of(pid: str) -> int:  # a patient without medication rows: their conditions
        return int(unrecognized_counts[position[pid]]) if pid in position else 0

    rejected_counts = Counter(pid for pid, _, _ in problems)
    summary_rows = [
        (pid, int(m), int(f), int(u), rejected_counts.pop(pid, 0), labels.get(int(h), "none"))
        for pid, m, f, u, h in zip(
            rows.patient_ids,
            medications,
            finding_counts,
            unrecognized_counts[:count],
            highest,
            strict=True,
        )
    ]
    rejected_counts.pop("", None)  # rows without a patient id: reported as rows only
    summary_rows += [
        (pid, 0, 0, unrecognized_of(pid), n, "not screened") for pid, n in rejected_counts.items()
    ]
    listed = {row[0] for row in summary_rows}
    summary_rows += [
        (pid, 0, 0, unrecognized_of(pid), 0, "no medications") for pid in set(people) - listed
    ]
    unlisted = set(patient_problems) - listed - set(people)
    summary_rows += [(pid, 0, 0, 0, 0, "not screened") for pid in unlisted]
    notes = notes + [
        f"patient {pid} (no medication rows): {patient_problems[pid]}"
        for pid in sorted(unlisted, key=natural_key)
    ]
    # the screened patients' keys are the ward's, in order already: only the others are read
    keys = rows.patient_keys + [natural_key(row[0]) for row in summary_rows[count:]]
    summary_rows = [summary_rows[i] for i in sorted(range(len(keys)), key=keys.__getitem__)]
    summary = pd.DataFrame(
        summary_rows,
        columns=[
            "patient_id",
            "medications",
            "findings",
            "unrecognized",
            "rejected",
            "highest_severity",
        ],
    )
    per_severity = np.bincount(severity[index], minlength=max(labels) + 1)
    severities = Counter(
        {labels[s]: int(n) for s, n in enumerate(per_severity.tolist()) if n and s in labels}
    )
    version = runner.kb.version
    shown = found.items + [item + ("", version) for item in items[len(found.items) :]]
    return ScreenResult(
        FindingRows(patient_ids, all_patient, shown, all_item),
        summary,
        notes,
        rows_screened=screened,
        rows_reported=len(problems),
        severities=severities,
        hidden=hidden,
        suppressed=by_site,
        unrecognized=len(missing_patient) - by_structure,
        by_structure=by_structure,
        kb_version=version,
    )


def _structure_only(structure: Any) -> str:
    """A structure that matches no KB drug, as ``check`` lists it: its classes and neighbours."""
    classes = ", ".join(structure.class_names) or "no class"
    near = (
        ", ".join(f"{n.drug} {n.similarity:.2f}" for n in structure.neighbours[:3])
        or "no close neighbour"
    )
    return (
        "structure matches no drug in the knowledge base; screened by structure only (predicted "
        f"findings, PC8xx): {structure.standardized_smiles or structure.input}: {classes}; "
        f"nearest: {near}"
    )


def joined(parts: Sequence[ScreenResult]) -> ScreenResult:
    """One result from the results of parts of a ward, each part the patients of one range in
    natural order (the first part those without an id and the notes about reading the tables):
    exactly what :func:`lay_out` gives for the whole ward."""
    first = parts[0]
    patient_ids: list[str] = []
    items: list[tuple[str, ...]] = []
    ward: list[tuple[np.ndarray, np.ndarray]] = []  # per part: (patient, item) of its patients
    listed: list[tuple[str, int, int]] = []  # patients with no medication rows: (id, patient, item)
    rejected: list[tuple[int, int, int]] = []  # (row number, patient, item)
    inputs, unlisted = first.notes, []
    for part in parts:
        rows = part.rows
        patient = rows.patient + len(patient_ids)
        item = rows.item + len(items)
        screened = int((part.summary["medications"] > 0).sum())  # the first patient_ids
        reported = len(part.rejected_rows)  # the last rows
        kept = len(rows) - reported
        own = rows.patient[:kept] < screened
        ward.append((patient[:kept][own], item[:kept][own]))
        listed += [
            (rows.patient_ids[p], int(q), int(i))
            for p, q, i in zip(
                rows.patient[:kept][~own].tolist(),
                patient[:kept][~own].tolist(),
                item[:kept][~own].tolist(),
                strict=True,
            )
        ]
        rejected += zip(
            part.rejected_rows, patient[kept:].tolist(), item[kept:].tolist(), strict=True
        )
        patient_ids += rows.patient_ids
        items += rows.items
        # Notes: about the tables (the first part's), the status notes, then unlisted patients.
        without = part.summary[
            (part.summary["highest_severity"] == "not screened") & (part.summary["rejected"] == 0)
        ]
        told = len(part.notes) - len(without)
        unlisted += part.notes[told:]
        if part is first:
            statuses = len(
                status_notes(part.unknown_status_rows, part.void_status_rows, part.still_given_rows)
            ) + len(read_notes(part.read_rows) + read_notes(part.patient_read_rows))
            inputs = part.notes[: told - statuses]
    listed.sort(key=lambda entry: entry[0])  # stable: each patient's rows keep their order
    rejected.sort(key=lambda entry: entry[0])
    all_patient = np.concatenate(
        [p for p, _ in ward]
        + [np.array([q for _, q, _ in listed], dtype=np.int64)]
        + [np.array([q for _, q, _ in rejected], dtype=np.int64)]
    )
    all_item = np.concatenate(
        [i for _, i in ward]
        + [np.array([i for _, _, i in listed], dtype=np.int64)]
        + [np.array([i for _, _, i in rejected], dtype=np.int64)]
    )
    unknown = sorted(row for part in parts for row in part.unknown_status_rows)
    void = sorted(row for part in parts for row in part.void_status_rows)
    still_given = sorted(row for part in parts for row in part.still_given_rows)
    read = joined_notes([part.read_rows for part in parts])
    patient_read = joined_notes([part.patient_read_rows for part in parts])
    summaries = [part.summary for part in parts if len(part.summary)]  # an empty one has no dtypes
    return ScreenResult(
        FindingRows(patient_ids, all_patient, items, all_item),
        pd.concat(summaries, ignore_index=True) if summaries else first.summary,
        inputs
        + status_notes(unknown, void, still_given)
        + read_notes(read)
        + read_notes(patient_read, "patients ")
        + unlisted,
        rows_screened=sum(part.rows_screened for part in parts),
        rows_reported=sum(part.rows_reported for part in parts),
        severities=sum((part.severities for part in parts), Counter()),
        hidden=sum((part.hidden for part in parts), Counter()),
        suppressed=sum((part.suppressed for part in parts), Counter()),
        unrecognized=sum(part.unrecognized for part in parts),
        by_structure=sum(part.by_structure for part in parts),
        kb_version=first.kb_version,
        unknown_status_rows=unknown,
        void_status_rows=void,
        still_given_rows=still_given,
        read_rows=read,
        patient_read_rows=patient_read,
        rejected_rows=[row for row, _, _ in rejected],
    )
