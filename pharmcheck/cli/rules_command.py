"""``pharmcheck rules [CODE]``: the rule registry and each rule's documentation."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from pharmcheck.cli.output import write_stdout

if TYPE_CHECKING:
    from pharmcheck.rules.base import Rule


@click.command()
@click.argument("code", required=False)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def rules(code: str | None, fmt: str) -> None:
    """List every rule, or show one rule's documentation (by code or name)."""
    from pharmcheck.errors import InputError
    from pharmcheck.rules import REGISTRY

    chosen = sorted(REGISTRY.values(), key=lambda r: r.code)
    if code:
        chosen = [r for r in chosen if r.code == code.upper() or r.name == code.lower()]
        if not chosen:
            raise InputError(f"no rule {code!r}; `pharmcheck rules` lists them")
    if fmt == "json":
        write_stdout(json.dumps([_as_dict(r) for r in chosen], indent=2) + "\n")
        return
    if not code:
        for r in chosen:
            click.echo(f"{r.code}  {r.name:<36} {r.category:<17} {r.severity.label}")
        return
    r = chosen[0]
    click.echo(
        f"{r.code} {r.name} ({r.category}, default severity {r.severity.label}, evidence "
        f"{r.evidence})"
    )
    click.echo(f"\n{r.title}\n")
    for heading, body in (
        ("What it flags", r.doc.what),
        ("Why it is risky", r.doc.why),
        ("Known limits", r.doc.limits),
        ("References", r.doc.references),
    ):
        click.echo(f"{heading}:\n  {body}\n")
    click.echo("Examples:")
    for example in r.examples:
        verdict = "flagged" if example.flagged else "not flagged"
        patient = f" with {example.patient}" if example.patient else ""
        click.echo(f"  {verdict}: {' | '.join(example.medications)}{patient}")


def _as_dict(r: Rule) -> dict[str, object]:
    return {
        "code": r.code,
        "name": r.name,
        "category": r.category,
        "severity": r.severity.label,
        "evidence": r.evidence,
        "title": r.title,
        "doc": {
            "what": r.doc.what,
            "why": r.doc.why,
            "limits": r.doc.limits,
            "references": r.doc.references,
        },
        "examples": [
            {"medications": list(e.medications), "patient": e.patient, "flagged": e.flagged}
            for e in r.examples
        ],
    }
