"""``pharmcheck classify``: what the KB says about one structure."""

from __future__ import annotations

import json
from pathlib import Path

import click

from pharmcheck.cli.options import db_option, format_option
from pharmcheck.cli.output import write_stdout

_MAX_MOLFILE_BYTES = 2_000_000


def read_structure(text: str) -> str:
    """The structure text: the argument itself, or the contents of a molfile/SDF path."""
    candidate = text.strip()
    if "\n" not in candidate and (
        candidate.lower().endswith((".mol", ".sdf", ".mdl")) or Path(candidate).is_file()
    ):
        from pharmcheck.errors import InputError

        path = Path(candidate)
        try:
            if path.stat().st_size > _MAX_MOLFILE_BYTES:
                raise InputError(
                    f"{path} is larger than {_MAX_MOLFILE_BYTES} bytes; give one structure"
                )
            return path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise InputError(f"cannot read the molfile {path}: {exc.strerror}") from None
    return candidate


@click.command()
@click.argument("structure")
@format_option("json", "text", default="json")
@db_option
def classify(structure: str, fmt: str, db_url: str | None) -> None:
    """Identify and classify STRUCTURE (a SMILES, an InChI or a molfile path) against the KB.

    \b
    Prints the standardised parent, the KB drug with the same InChIKey (if any), the
    classes whose substructure it contains, its close neighbours (Tanimoto >= 0.7) with
    their myoclonus grades, and a prediction that is never presented as a curated fact.

    \b
    Example:
      pharmcheck classify "CN(C)CC1CCCCC1(C2=CC(=CC=C2)OC)O.Cl"
    """
    from pharmcheck.errors import InputError
    from pharmcheck.extras import require_extra
    from pharmcheck.kb.store import open_kb
    from pharmcheck.structures import match_structure

    require_extra("chem", "pharmcheck classify")
    text = read_structure(structure)
    kb = open_kb(db_url)
    found = match_structure(kb, text)
    if not found.ok:
        shown = structure if len(structure) <= 80 else structure[:77] + "..."
        raise InputError(f"cannot read the structure {shown!r}: {found.error}")
    data = found.to_dict(kb)
    if "\n" in data["input"]:
        data["input"] = structure  # a molfile: report its path, not its whole text
    if fmt == "json":
        write_stdout(json.dumps(data, indent=2) + "\n")
        return
    match = data["match"]
    click.echo(f"input        {data['input']}")
    click.echo(f"parent       {data['standardized_smiles']}")
    click.echo(f"InChIKey     {data['inchikey']}")
    click.echo(f"match        {match['drug'] + ' (by InChIKey)' if match else '-'}")
    click.echo(
        f"classes      {', '.join(c['class'] + ' (SMARTS)' for c in data['classes']) or '-'}"
    )
    neighbours = ", ".join(
        f"{n['drug']} {n['similarity']:.2f} ({n['myoclonus_grade'] or 'no grade'})"
        for n in data["neighbours"]
    )
    click.echo(f"neighbours   {neighbours or '-'}")
    prediction = data["prediction"]
    click.echo(
        "prediction   "
        f"{'myoclonus-relevant' if prediction['myoclonus_relevant'] else 'not flagged'}: "
        f"{prediction['basis']}"
    )
