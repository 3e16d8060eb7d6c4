"""``pharmcheck feedback``: what clinicians did with the service's cards."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime

import click

from pharmcheck.cli.options import db_option, format_option
from pharmcheck.cli.output import write_stdout


@click.command()
@click.option(
    "--since",
    metavar="DATE",
    help="Only feedback received on or after DATE (YYYY-MM-DD, UTC) or an RFC 3339 time.",
)
@format_option("text", "json")
@db_option
def feedback(since: str | None, fmt: str, db_url: str | None) -> None:
    """Report the CDS Hooks feedback received: accepted and overridden cards, with reasons."""
    from pharmcheck.errors import InputError
    from pharmcheck.kb.site import list_feedback
    from pharmcheck.report.escape import visible

    start: str | datetime | None = since
    if since is not None:
        try:
            day = date.fromisoformat(since.strip())
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        except ValueError:
            if "T" not in since:
                raise InputError(
                    f"--since {since!r} is not a date (YYYY-MM-DD) or an RFC 3339 time"
                ) from None
    items = list_feedback(db_url, start)
    if fmt == "json":
        write_stdout(json.dumps([f.to_dict() for f in items], indent=2) + "\n")
        return
    if not items:
        click.echo("No feedback received" + (f" since {since}." if since else "."))
        return
    for f in items:
        reason = f.reason_display or f.reason_code
        click.echo(
            visible(
                f"{f.received_at}  {f.outcome:<10} {f.rule_code or 'rule unknown':<12} "
                f"card {f.card_id}  by {f.author}"
                + (f"  reason: {reason}" if reason else "")
                + (f"  comment: {f.user_comment}" if f.user_comment else "")
            )
        )
    counts = Counter((f.rule_code or "rule unknown", f.outcome) for f in items)
    click.echo("\nBy rule (accepted / overridden):")
    for rule in sorted({r for r, _ in counts}):
        click.echo(f"  {rule:<12} {counts[(rule, 'accepted')]} / {counts[(rule, 'overridden')]}")
