"""One CSV row per finding, plus one row per unrecognised input (category ``unrecognized``) and
one per finding a site override suppressed (category ``suppressed-by-site``).

``references`` holds the keys of a finding's references (``;``-separated; the full citations
are in the JSON and Markdown reports and `pharmcheck rules CODE`). The last column,
``kb_version``, names the knowledge base on every row: a CSV has no header block.
"""

from __future__ import annotations

import csv
import io

from pharmcheck.domain import Report
from pharmcheck.report.escape import spreadsheet_cell

COLUMNS = (
    "patient_id",
    "code",
    "name",
    "category",
    "severity",
    "drugs",
    "title",
    "message",
    "recommendation",
    "evidence",
    "references",
    "kb_version",
)


def render(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    pid = report.patient.id or ""
    rows = [
        [
            pid,
            f.code,
            f.name,
            f.category,
            f.severity.label,
            ";".join(f.drugs),
            f.title,
            f.message,
            f.recommendation,
            f.evidence,
            ";".join(f.reference_keys()),
            report.kb_version,
        ]
        for f in report.findings
    ]
    rows += [
        [
            pid,
            "",
            "",
            "unrecognized",
            "",
            "",
            u.title,
            u.reason,
            f"Suggestions: {', '.join(u.suggestions)}" if u.suggestions else "",
            "",
            "",
            report.kb_version,
        ]
        for u in report.unrecognized
    ]
    rows += [  # suppressed findings: one row each, saying which override and why
        [
            pid,
            f.code,
            f.name,
            "suppressed-by-site",
            f.severity.label,
            ";".join(f.drugs),
            f.title,
            f.message,
            " | ".join(a.describe() for a in f.site),
            f.evidence,
            report.kb_version,
        ]
        for f in report.suppressed
    ]
    writer.writerows([spreadsheet_cell(cell) for cell in row] for row in rows)
    return out.getvalue()
