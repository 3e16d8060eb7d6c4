"""``pharmcheck db ...``: build, migrate, describe and verify the knowledge base."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from pharmcheck.cli.options import build_target_option, db_option, format_option
from pharmcheck.cli.output import write_stdout


@click.group()
def db() -> None:
    """Build, migrate, describe and verify the knowledge base."""


@db.command()
@build_target_option
@click.option(
    "--sources",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Folder of KB sources (default: the packaged db/).",
)
def build(db_url: str | None, sources: Path | None) -> None:
    """Build the KB from db/ (migrate an empty database to head, then load), atomically.

    Only a pharmcheck KB is replaced; any other existing file is left alone with an error."""
    from pharmcheck.kb.build import build as build_kb
    from pharmcheck.kb.store import hide_password, resolve_url

    url = resolve_url(db_url, sources)
    report = build_kb(url, sources, log=lambda line: click.echo(f"  {line}", err=True))
    counts = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in report.counts.items())
    where = hide_password(url)
    click.echo(f"built knowledge base {report.kb_version} at {where}: {counts}", err=True)


@db.command("check-sources")
@click.option(
    "--sources",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Folder of KB sources (default: the packaged db/).",
)
def check_sources(sources: Path | None) -> None:
    """List every problem in the KB sources without building; exit 1 if there is any."""
    from pharmcheck.kb.build import check_sources as check

    problems = check(sources)
    for problem in problems:
        click.echo(problem)
    click.echo(f"{len(problems)} problem(s)", err=True)
    raise SystemExit(1 if problems else 0)


@db.command()
@db_option
@click.argument("revision", default="head")
def upgrade(db_url: str | None, revision: str) -> None:
    """Migrate the KB's schema up to REVISION (default: head)."""
    from pharmcheck.kb import migrate
    from pharmcheck.kb.store import resolve_url

    url = resolve_url(db_url)
    _require_existing(url)
    migrate.migrate_to(url, revision, down=False)
    click.echo(f"schema at {migrate.current_revision(url)}", err=True)


@db.command()
@db_option
@click.argument("revision")
def downgrade(db_url: str | None, revision: str) -> None:
    """Migrate the KB's schema down to REVISION (`base` removes every table)."""
    from pharmcheck.kb import migrate
    from pharmcheck.kb.store import resolve_url

    url = resolve_url(db_url)
    _require_existing(url)
    migrate.migrate_to(url, revision, down=True)
    click.echo(f"schema at {migrate.current_revision(url) or 'base'}", err=True)


@db.command()
@db_option
@format_option("text", "json")
def info(db_url: str | None, fmt: str) -> None:
    """Show the KB's version, schema revision, build time, sources and counts."""
    from pharmcheck.kb.store import open_kb

    kb = open_kb(db_url)
    data: dict[str, Any] = {
        "url": kb.location,
        "schema_revision": kb.schema_revision,
        "kb_version": kb.version,
        "built_at": kb.meta.get("built_at"),
        "pharmcheck_version": kb.meta.get("pharmcheck_version"),
        "counts": kb.counts(),
        "sources": kb.sources(),
    }
    if fmt == "json":
        write_stdout(json.dumps(data, indent=2) + "\n")
        return
    click.echo(f"knowledge base  {data['kb_version']} (schema {data['schema_revision']})")
    click.echo(f"location        {data['url']}")
    click.echo(f"built           {data['built_at']} by pharmcheck {data['pharmcheck_version']}")
    for name, count in data["counts"].items():
        click.echo(f"  {name.replace('_', ' '):<18}{count:>8}")
    for source in data["sources"]:
        click.echo(f"source          {source['name']} {source['version']} ({source['licence']})")


@db.command()
@db_option
@format_option("text", "json")
@click.option(
    "--allow-other-sources",
    is_flag=True,
    help="Do not fail when the KB was built from sources other than the packaged db/.",
)
def verify(db_url: str | None, fmt: str, allow_other_sources: bool) -> None:
    """Check the KB's integrity; exit 1 if any problem is found."""
    from pharmcheck.kb.store import resolve_url
    from pharmcheck.kb.verify import verify as run_verify

    url = resolve_url(db_url)
    _require_existing(url)
    result = run_verify(url, allow_other_sources=allow_other_sources)
    if fmt == "json":
        write_stdout(json.dumps(result, indent=2) + "\n")
    else:
        for check in result["checks"]:
            status = "ok" if not check["problems"] else f"{len(check['problems'])} problem(s)"
            click.echo(f"{check['name']:<34}{status}")
            for problem in check["problems"][:20]:
                click.echo(f"    {problem}")
            if len(check["problems"]) > 20:
                click.echo(f"    ... and {len(check['problems']) - 20} more")
        for review in result.get("review", []):
            click.echo(
                f"{review['name']:<34}{len(review['items'])} item(s) for review (not failures)"
            )
            for item in review["items"][:20]:
                click.echo(f"    {item}")
        click.echo(
            f"knowledge base {result['kb_version']}: "
            f"{'clean' if result['ok'] else 'PROBLEMS FOUND'}"
        )
    raise SystemExit(0 if result["ok"] else 1)


def _require_existing(url: str) -> None:
    from pharmcheck.errors import KnowledgeBaseError
    from pharmcheck.kb.store import sqlite_file

    path = sqlite_file(url)
    if path is not None and not path.exists():
        raise KnowledgeBaseError(f"no knowledge base at {path}; run `pharmcheck db build`")
