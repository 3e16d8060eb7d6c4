"""The default, human report: grouped by severity, wrapped to 80 columns, colour only on a
terminal."""

from __future__ import annotations

import textwrap
from collections import Counter

from pharmcheck.domain import Finding, Report, Severity
from pharmcheck.report.escape import visible

WIDTH = 80
_COLOURS = {
    Severity.CONTRAINDICATED: "\033[1;35m",
    Severity.MAJOR: "\033[1;31m",
    Severity.MODERATE: "\033[33m",
    Severity.MINOR: "\033[36m",
    Severity.INFO: "\033[2m",
}
_RESET = "\033[0m"


def _wrap(text: str, indent: str) -> list[str]:
    """``text`` (which may quote the input: see :mod:`pharmcheck.report.escape`) wrapped."""
    return textwrap.wrap(visible(text), WIDTH, initial_indent=indent, subsequent_indent=indent) or [
        indent
    ]


def render(report: Report, color: bool = False) -> str:
    lines = [
        (
            f"pharmcheck {report.pharmcheck_version} | KB {report.kb_version} "
            f"(schema {report.schema_revision}) | as of {report.as_of}"
        )
    ]
    if report.patient.id:
        lines.extend(_wrap(f"patient {report.patient.id}", ""))
    lines.append("")
    lines.append("Recognised:")
    if not report.medications:
        lines.append("  (none)")
    seen = set()
    for med in report.medications:
        key = (med.index, med.drug)
        if key in seen:
            continue
        seen.add(key)
        match = med.match if med.match != "fuzzy" else f"fuzzy {med.score:.2f}"
        dose = f", {med.daily_dose}/day" if med.daily_dose else ""
        status = (
            " [stopped]" if med.stopped else f" [{med.status}: not screened]" if med.void else ""
        )
        lines.extend(_wrap(f"{med.input} -> {med.drug} ({match}{dose}){status}", "  "))
    if report.structures:
        lines.append("")
        lines.append("Checked by structure only (no drug identity; findings are predictions):")
        for item in report.structures:
            classes = ", ".join(item.classes) or "no class"
            near = (
                ", ".join(f"{d} {s:.2f}" for d, s, _ in item.neighbours[:3]) or "no close neighbour"
            )
            lines.extend(_wrap(f"{item.input} -> {item.smiles}: {classes}; nearest: {near}", "  "))
    if report.unrecognized:
        lines.append("")
        lines.append("NOT CHECKED (not recognised):")
        for missing in report.unrecognized:
            hint = (
                f" - did you mean: {', '.join(missing.suggestions)}?" if missing.suggestions else ""
            )
            what = "condition " if missing.kind == "condition" else ""
            lines.extend(_wrap(f"{what}{missing.input}: {missing.reason}{hint}", "  "))
    for note in report.notes:
        lines.extend(_wrap(f"note: {note}", ""))
    lines.append("")
    hidden = hidden_line(report)
    if not report.findings:
        if hidden:
            lines.append(hidden)
        elif not report.suppressed:
            lines.append(
                "No findings."
                if not report.unrecognized
                else "No findings for the recognised inputs."
            )
        lines.extend(_suppressed(report))
        return "\n".join(lines) + "\n"
    for severity in sorted(Severity, reverse=True):
        group = [f for f in report.findings if f.severity == severity]
        if not group:
            continue
        header = f"{severity.label.upper()} ({len(group)})"
        lines.append(f"{_COLOURS[severity]}{header}{_RESET}" if color else header)
        for f in group:
            lines.extend(_wrap(f"[{f.code} {f.name}] {f.title}", "  "))
            lines.extend(_wrap(f.message, "    "))
            lines.extend(_wrap(f"-> {f.recommendation}", "    "))
            lines.extend(_wrap(f"evidence: {f.evidence}; drugs: {', '.join(f.drugs)}", "    "))
            if f.references:
                # Keys only (full citations: --format json/markdown, `pharmcheck rules CODE`).
                keys = ", ".join(f.reference_keys())
                lines.extend(_wrap(f"references: {keys}", "    "))
            lines.extend(_site_lines(f))
        lines.append("")
    lines.append(f"{len(report.findings)} finding(s): {_counts(report.findings)}")
    if hidden:
        lines.append(hidden)
    lines.extend(_suppressed(report))
    return "\n".join(lines) + "\n"


def _site_lines(finding: Finding) -> list[str]:
    """The site overrides that acted on a finding, one each (with the rule's own severity)."""
    lines = []
    if finding.base_severity is not None:
        lines.extend(_wrap(f"rule severity: {finding.base_severity.label}", "    "))
    for action in finding.site:
        lines.extend(_wrap(action.describe(), "    "))
    return lines


def _suppressed(report: Report) -> list[str]:
    """Findings suppressed by a site override: listed with who, when and why, or counted."""
    if not report.suppressed:
        return []
    if report.suppressed_hidden:
        return [suppressed_line(report)]
    lines = ["", f"SUPPRESSED BY SITE OVERRIDE ({len(report.suppressed)})"]
    for f in report.suppressed:
        lines.extend(_wrap(f"[{f.code} {f.name}] {f.title} ({f.severity.label})", "  "))
        lines.extend(_wrap(f.message, "    "))
        lines.extend(_site_lines(f))
    return lines


def suppressed_line(report: Report) -> str:
    """The count of suppressed findings not listed, or "" when there are none."""
    if not report.suppressed:
        return ""
    return (
        f"{len(report.suppressed)} finding(s) suppressed by site overrides not shown "
        f"({_counts(report.suppressed)}); show them without --hide-suppressed."
    )


def hidden_line(report: Report) -> str:
    """What --min-severity hides, or "" when it hides nothing."""
    if not report.hidden:
        return ""
    return (
        f"{len(report.hidden)} finding(s) below the minimum severity not shown "
        f"({_counts(report.hidden)})."
    )


def _counts(findings: tuple[Finding, ...]) -> str:
    """ "2 major, 1 info": each severity present, highest first."""
    found = Counter(f.severity for f in findings)
    return ", ".join(f"{found[s]} {s.label}" for s in sorted(found, reverse=True))
