"""Laying out finding rows: per patient in the order ``check`` reports them, then the patient's
unrecognised inputs and those checked by structure only, then every rejected row; and the
per-patient summary: every patient named in either table, in natural order (P2 before P10)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from pharmcheck.batch.medications import Rows
from pharmcheck.batch.output import FindingRows, csv_line
from pharmcheck.batch.patients import People
from pharmcheck.batch.tables import natural_key
from pharmcheck.batch.ward import Emitted
from pharmcheck.domain import Finding, Severity, Unrecognized
from pharmcheck.engine import Checker


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
    unrecognized: int = 0
    by_structure: int = 0  # medications checked by structure only (no KB drug matches them)
    kb_version: str = ""

    @cached_property
    def findings(self) -> pd.DataFrame:
        return self.rows.frame()


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
        """With ``render``, each item's CSV text too (the second process does it for its
        findings)."""
        rank = np.empty(len(findings), dtype=np.int64)
        rank[sorted(range(len(findings)), key=lambda i: findings[i].sort_key())] = np.arange(
            len(findings)
        )
        items: list[tuple[str, ...]] = [
            (
                f.code,
                f.name,
                f.category,
                f.severity.label,
                ";".join(f.drugs),
                f.title,
                f.message,
                f.recommendation,
                f.evidence,
            )
            for f in findings
        ]
        return cls(
            items,
            np.fromiter((int(f.severity) for f in findings), dtype=np.int64, count=len(findings)),
            [f.code for f in findings],
            rank,
            [csv_line(i) for i in items] if render else [None] * len(items),
        )

    def extended(self, other: Found) -> Found:
        """Both; a code's findings must all come from one side, as each frame runs in one
        process."""
        return Found(
            self.items + other.items,
            np.concatenate([self.severity, other.severity]),
            self.code + other.code,
            np.concatenate([self.rank, other.rank]),
            self.lines + other.lines,
        )

    def order(self) -> np.ndarray:
        """Each finding's position in ``check``'s order (Finding.sort_key: severity, code, then the
        rest, which only findings of one code, and so of one side, need)."""
        codes = (
            np.unique(np.array(self.code, dtype=object), return_inverse=True)[1].reshape(-1)
            if self.code
            else np.zeros(0, dtype=np.int64)
        )
        position = np.empty(len(self.items), dtype=np.int64)
        position[np.lexsort((self.rank, codes, -self.severity))] = np.arange(len(self.items))
        return position


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
    kept = severity[index] >= int(min_severity)
    hidden = Counter(Severity(int(s)).label for s in severity[index[~kept]].tolist())
    patient, index = patient[kept], index[kept]
    order = np.argsort(patient * max(len(found.items), 1) + found.order()[index], kind="stable")
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
    summary_rows.sort(key=lambda row: natural_key(row[0]))
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
    lines = found.lines + [None] * (len(items) - len(found.items))
    return ScreenResult(
        FindingRows(patient_ids, all_patient, items, all_item, lines),
        summary,
        notes,
        rows_screened=screened,
        rows_reported=len(problems),
        severities=severities,
        hidden=hidden,
        unrecognized=len(missing_patient) - by_structure,
        by_structure=by_structure,
        kb_version=runner.kb.version,
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
