"""The rule documentation pages each card links to (``/rules`` and ``/rules/{code}``), as HTML."""

from __future__ import annotations

from html import escape

from pharmcheck.rules import REGISTRY

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;
line-height:1.5}}th,td{{text-align:left;padding:.2rem .6rem .2rem 0;vertical-align:top}}</style>
</head><body>
{body}
</body></html>
"""


def rule_index_page() -> str:
    """Every rule: code, name, category and default severity."""
    rows = "\n".join(
        f'<tr><td><a href="rules/{r.code}">{r.code}</a></td><td>{escape(r.name)}</td>'
        f"<td>{escape(r.category)}</td><td>{r.severity.label}</td></tr>"
        for r in sorted(REGISTRY.values(), key=lambda r: r.code)
    )
    body = (
        "<h1>pharmcheck rules</h1>\n<p>Each card names the rule that found the problem. Cards "
        "marked <em>not checked</em> name an input no rule could read: problems it takes part "
        "in are unknown.</p>\n<table><caption>Rules by code</caption>\n"
        '<tr><th scope="col">Code</th><th scope="col">Name</th><th scope="col">Category</th>'
        f'<th scope="col">Default severity</th></tr>\n{rows}\n</table>'
    )
    return _PAGE.format(title="pharmcheck rules", body=body)


def rule_page(code: str) -> str | None:
    """One rule's documentation; None for an unknown code."""
    rule = REGISTRY.get(code.upper())
    if rule is None:
        return None
    sections = "\n".join(
        f"<h2>{heading}</h2>\n<p>{escape(text)}</p>"
        for heading, text in (
            ("What it flags", rule.doc.what),
            ("Why it is risky", rule.doc.why),
            ("Known limits", rule.doc.limits),
            ("References", rule.doc.references),
        )
    )
    body = (
        f"<h1>{rule.code} {escape(rule.name)}</h1>\n<p>{escape(rule.title)}. Category "
        f"{escape(rule.category)}, default severity {rule.severity.label}, evidence "
        f"{escape(rule.evidence)}.</p>\n{sections}\n"
        '<p><a href="../rules">All rules</a></p>'
    )
    return _PAGE.format(title=f"{rule.code} {escape(rule.name)}", body=body)
