"""``pharmcheck drug show|search``: look drugs up in the KB."""

from __future__ import annotations

import json

import click

from pharmcheck.cli.options import db_option
from pharmcheck.cli.output import write_stdout


@click.group()
def drug() -> None:
    """Look up what the knowledge base knows about a drug."""


@drug.command()
@click.argument("name")
@db_option
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def show(name: str, db_url: str | None, fmt: str) -> None:
    """Show a drug by any known name (generic, brand, salt, misspelling)."""
    from pharmcheck.errors import InputError
    from pharmcheck.inputs.resolve import Resolver
    from pharmcheck.kb.lookup import describe_drug
    from pharmcheck.kb.store import open_kb

    kb = open_kb(db_url)
    resolution = Resolver(kb).resolve(name)
    if not resolution.resolved:
        hint = (
            f"; did you mean {', '.join(resolution.suggestions)}?" if resolution.suggestions else ""
        )
        raise InputError(
            f"{name!r} is not a drug in the knowledge base ({resolution.reason}){hint}"
        )
    described = [
        describe_drug(kb, drug_id) | {"match": resolution.match} for drug_id, _ in resolution.drugs
    ]
    if fmt == "json":
        write_stdout(
            json.dumps(described[0] if len(described) == 1 else described, indent=2) + "\n"
        )
        return
    for info in described:
        click.echo(
            f"{info['name']}  ({'curated' if info['curated'] else 'vocabulary only'}; matched as "
            f"{info['match']})"
        )
        classes = [c["class"] + ("*" if c["basis"] == "inferred" else "") for c in info["classes"]]
        click.echo(
            f"  classes: {', '.join(classes) or '-'}"
            + (
                " (* inferred from structure)"
                if any(c["basis"] == "inferred" for c in info["classes"])
                else ""
            )
        )
        risk = info["myoclonus_risk"]
        click.echo(
            "  myoclonus risk: "
            f"{risk['grade'] + ' (' + risk['evidence'] + ')' if risk else 'none recorded'}"
        )
        click.echo(
            f"  ACB score: {info['anticholinergic_burden']}; MME factor: {info['mme_factor']}; "
            f"serotonergic: {', '.join(info['serotonergic']) or '-'}"
        )
        for band in info["renal"]:
            click.echo(f"  renal: {band['text']}")
        click.echo(f"  structure: {info['smiles'] or '-'}")
        click.echo(f"  names: {', '.join(s['name'] for s in info['synonyms'][:20])}")


@drug.command()
@click.argument("text")
@db_option
@click.option("--limit", default=30, show_default=True)
def search(text: str, db_url: str | None, limit: int) -> None:
    """List names that contain TEXT, with the drug each names."""
    from pharmcheck.kb.store import open_kb
    from pharmcheck.names import lower_key

    hits = open_kb(db_url).search_names(lower_key(text), limit)
    for name, drug_name, kind in hits:
        click.echo(f"{name:<40} -> {drug_name} ({kind})")
    if not hits:
        click.echo(f"no name contains {text!r}", err=True)
