"""What the check page shows: each pasted line beside its reading, and the findings by severity."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pharmcheck.domain import (
    Finding,
    Medication,
    Report,
    ResolvedMedication,
    Severity,
    Unrecognized,
)
from pharmcheck.inputs.pasted import (
    CONTINUATION,
    MEDICATION,
    NOT_A_MEDICATION,
    LineFields,
    PastedLine,
    fields_of,
)

#: A mark beside each severity, so that it never rests on colour alone (WCAG 1.4.1).
SEVERITY_MARKS = {
    Severity.CONTRAINDICATED: "\u26d4",
    Severity.MAJOR: "\u25b2",
    Severity.MODERATE: "\u25c6",
    Severity.MINOR: "\u25cf",
    Severity.INFO: "\u2139",
}
STATUS_CHOICES = (
    ("", "as written (given)"),
    ("active", "active"),
    ("held", "held"),
    ("stopped", "stopped"),
    ("not-taken", "not taken"),
    ("entered-in-error", "entered in error"),
    (NOT_A_MEDICATION, "not read as a medication"),
)

#: What an override from a finding may do (add_override's actions, as the page offers them).
OVERRIDE_KINDS = (
    ("suppress", "suppress this rule for the drug or pair chosen"),
    ("severity", "change its severity for the drug or pair chosen"),
)


@dataclass(frozen=True)
class LineView:
    line: PastedLine
    read: LineFields  # as the paste reads it (sent back to tell corrections apart)
    shown: LineFields  # in the form: the correction when one was made
    readings: tuple[ResolvedMedication, ...]
    unrecognized: tuple[Unrecognized, ...]
    editable: bool

    @property
    def not_checked(self) -> bool:
        return self.line.kind == "not-checked" or bool(self.unrecognized)


@dataclass(frozen=True)
class SeverityGroup:
    severity: Severity
    mark: str
    findings: tuple[Finding, ...]


def medications_of(lines: tuple[PastedLine, ...]) -> list[Medication]:
    """The medications to check, in line order (their index in the report is their position)."""
    return [line.medication for line in lines if line.kind == MEDICATION and line.medication]


def line_views(
    raw: tuple[PastedLine, ...],
    lines: tuple[PastedLine, ...],
    edits: Mapping[int, LineFields],
    report: Report | None,
) -> list[LineView]:
    """Each line with what the check read from it; an unrecognised input is placed on the line it
    came from (every one is also listed under NOT CHECKED, placed or not)."""
    checked = [line for line in lines if line.kind == MEDICATION and line.medication]
    position = {line.number: index for index, line in enumerate(checked)}
    readings: dict[int, list[ResolvedMedication]] = {}
    missing: dict[int, list[Unrecognized]] = {}
    if report is not None:
        for med in report.medications:
            readings.setdefault(med.index, []).append(med)
        for item in report.unrecognized:
            index = _line_of(item, checked)
            if index is not None:
                missing.setdefault(index, []).append(item)
    views = []
    for before, line in zip(raw, lines, strict=True):
        index = position.get(line.number)
        read = fields_of(before)
        views.append(
            LineView(
                line=line,
                read=read,
                shown=edits.get(line.number, read),
                readings=tuple(readings.get(index, ())) if index is not None else (),
                unrecognized=tuple(missing.get(index, ())) if index is not None else (),
                editable=line.kind != CONTINUATION
                and bool(line.text.strip())
                and not (line.reason or "").startswith(("section header", "no words")),
            )
        )
    return views


def _line_of(item: Unrecognized, checked: list[PastedLine]) -> int | None:
    if item.kind != "drug":
        return None
    names = [line.medication.name if line.medication else "" for line in checked]
    for index, name in enumerate(names):
        if name == item.input:
            return index
    for index, name in enumerate(names):
        if item.input and item.input in name:
            return index
    return None


def severity_groups(findings: tuple[Finding, ...]) -> list[SeverityGroup]:
    """Findings by severity, the most severe first, in the report's order within each."""
    return [
        SeverityGroup(severity, SEVERITY_MARKS[severity], group)
        for severity in sorted(Severity, reverse=True)
        if (group := tuple(f for f in findings if f.severity == severity))
    ]
