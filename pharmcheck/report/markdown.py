"""A Markdown report for notes, tickets and handovers."""

from __future__ import annotations

from pharmcheck.domain import Finding, Report, Severity, Unrecognized
from pharmcheck.report.escape import markdown as _cell
from pharmcheck.report.text import hidden_line, suppressed_line


def _not_checked(item: Unrecognized) -> str:
    what = "condition " if item.kind == "condition" else ""
    hint = f" (did you mean {_cell(', '.join(item.suggestions))}?)" if item.suggestions else ""
    return f"- {what}**{_cell(item.input)}**: {_cell(item.reason)}{hint}"


def render(report: Report) -> str:
    out = [
        f"# pharmcheck report{' - ' + _cell(report.patient.id) if report.patient.id else ''}",
        "",
        (
            f"pharmcheck {report.pharmcheck_version}, knowledge base `{report.kb_version}` "
            f"(schema {report.schema_revision}), as of {report.as_of}."
        ),
        "",
        "## Medications",
        "",
        "| input | drug | match | daily dose |",
        "|---|---|---|---|",
    ]
    for med in report.medications:
        out.append(
            f"| {_cell(med.input)} | {_cell(med.drug)} | {med.match} | "
            f"{med.daily_dose or 'unknown'} |"
        )
    if report.structures:
        out += ["", "## Checked by structure only (predictions)", ""]
        out += [
            f"- {_cell(s.input)}: {', '.join(s.classes) or 'no class'}; nearest "
            + (", ".join(f"{d} ({sim:.2f})" for d, sim, _ in s.neighbours[:3]) or "none")
            for s in report.structures
        ]
    if report.unrecognized:
        out += ["", "## Not checked (not recognised)", ""]
        out += [_not_checked(u) for u in report.unrecognized]
    if report.notes:
        out += ["", "## Notes", ""] + [f"- {_cell(n)}" for n in report.notes]
    out += ["", "## Findings", ""]
    hidden = hidden_line(report)
    if not report.findings:
        out.append(hidden or "No findings.")
    elif hidden:
        out += [hidden, ""]
    for severity in sorted(Severity, reverse=True):
        for f in (f for f in report.findings if f.severity == severity):
            out += [
                f"### {severity.label.upper()}: {_cell(f.title)} (`{f.code}` {f.name})",
                "",
                _cell(f.message),
                "",
                f"**Recommendation:** {_cell(f.recommendation)}",
                "",
                f"Evidence: {f.evidence}. Drugs: {_cell(', '.join(f.drugs))}.",
            ]
            if f.references:
                out += [""] + [f"- {_cell(r)}" for r in f.references]
            out += _site(f)
            out.append("")
    if report.suppressed and report.suppressed_hidden:
        out += [suppressed_line(report), ""]
    elif report.suppressed:
        out += ["## Suppressed by site override", ""]
        for f in report.suppressed:
            out += [f"### {_cell(f.title)} (`{f.code}` {f.name}, {f.severity.label})", ""]
            out += [_cell(f.message)] + _site(f) + [""]
    return "\n".join(out).rstrip() + "\n"


def _site(finding: Finding) -> list[str]:
    lines = [""] if finding.site else []
    if finding.base_severity is not None:
        lines.append(f"- Rule severity: {finding.base_severity.label}")
    return lines + [f"- {_cell(a.describe())}" for a in finding.site]
