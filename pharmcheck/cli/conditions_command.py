"""``pharmcheck conditions [TEXT]``: the condition vocabulary, or the conditions matching TEXT."""

from __future__ import annotations

import json

import click

from pharmcheck.cli.options import db_option, format_option


@click.command()
@click.argument("text", required=False, default="")
@db_option
@format_option("text", "json")
def conditions(text: str, db_url: str | None, fmt: str) -> None:
    """List the conditions `--condition` understands, or those whose name, synonym or code
    (ICD-10-CM, SNOMED CT) contains TEXT."""
    from pharmcheck.inputs.conditions import search_conditions
    from pharmcheck.kb.store import open_kb

    found = search_conditions(open_kb(db_url), text)
    if fmt == "json":
        click.echo(json.dumps(found, indent=2, ensure_ascii=False))
        return
    for entry in found:
        codes = ", ".join(f"{c['system']} {c['code']}" for c in entry["codes"])
        click.echo(f"{entry['condition']:<32} {entry['label']} [{entry['category']}]")
        click.echo(f"{'':<32} synonyms: {', '.join(entry['synonyms']) or '-'}")
        if codes:
            click.echo(f"{'':<32} codes: {codes}")
        if entry["is_a"]:
            click.echo(f"{'':<32} is a: {', '.join(entry['is_a'])}")
    if not found:
        click.echo(f"no condition matches {text!r}", err=True)
