"""``pharmcheck override ...``: manage site overrides and read their audit trail."""

from __future__ import annotations

import json
from typing import Any

import click

from pharmcheck.cli.options import db_option, format_option
from pharmcheck.cli.output import write_stdout

_ACTIONS = ("suppress", "severity", "note")
_SEVERITIES = ("info", "minor", "moderate", "major", "contraindicated")
reason_option = click.option(
    "--reason", required=True, help="Why (required; kept in the audit trail)."
)
author_option = click.option(
    "--author", required=True, help="Who makes the change (required; kept in the audit trail)."
)
revision_option = click.option(
    "--revision",
    "expected_revision",
    type=int,
    help="The revision you read: refuse the change if someone changed the override since.",
)


def _emit(fmt: str, data: Any, lines: list[str]) -> None:
    if fmt == "json":
        write_stdout(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    else:
        write_stdout("".join(line + "\n" for line in lines))


@click.group()
def override() -> None:
    """Suppress, re-grade or annotate findings for this site (or one unit), with an audit trail."""


@override.command()
@click.argument("action", type=click.Choice(_ACTIONS))
@click.option("--rule", "rule_code", metavar="CODE", help="The rule acted on (e.g. PC201).")
@click.option("--drug", metavar="NAME", help="Only findings naming this drug.")
@click.option("--other-drug", metavar="NAME", help="With --drug: only findings naming both.")
@click.option("--class", "drug_class", metavar="NAME", help="Only findings naming a member.")
@click.option("--unit", metavar="NAME", help="Only in this unit (default: site-wide).")
@click.option("--severity", type=click.Choice(_SEVERITIES), help="The severity to set.")
@click.option("--note", metavar="TEXT", help="The local note to show.")
@reason_option
@author_option
@format_option("text", "json")
@db_option
def add(
    action: str,
    rule_code: str | None,
    drug: str | None,
    other_drug: str | None,
    drug_class: str | None,
    unit: str | None,
    severity: str | None,
    note: str | None,
    reason: str,
    author: str,
    fmt: str,
    db_url: str | None,
) -> None:
    """Add an override: ACTION is suppress, severity (with --severity) or note (with --note).

    \b
    Example:
      pharmcheck override add suppress --rule PC301 --drug quetiapine --unit ICU \\
        --reason "PRN quetiapine overlap reviewed daily on ICU" --author "J Smith"
    """
    from pharmcheck.kb.store import open_kb
    from pharmcheck.overrides import add_override

    made = add_override(
        open_kb(db_url),
        action=action,
        rule_code=rule_code,
        drug=drug,
        other_drug=other_drug,
        drug_class=drug_class,
        unit=unit,
        severity=severity,
        note=note,
        reason=reason,
        author=author,
    )
    _emit(fmt, made.to_dict(), [f"added {made.describe()}"])


@override.command("list")
@click.option("--all", "include_retired", is_flag=True, help="Include retired overrides.")
@format_option("text", "json")
@db_option
def list_(include_retired: bool, fmt: str, db_url: str | None) -> None:
    """List the active overrides (with --all, retired ones too)."""
    from pharmcheck.overrides import list_overrides

    found = list_overrides(db_url, include_retired=include_retired)
    lines = [
        f"{o.describe()}\n    by {o.author} at {o.changed_at} (KB {o.kb_version}): {o.reason}"
        for o in found
    ]
    _emit(fmt, [o.to_dict() for o in found], lines or ["no site overrides"])


@override.command()
@click.argument("override_id", type=int)
@click.option("--severity", type=click.Choice(_SEVERITIES), help="A new severity.")
@click.option("--note", metavar="TEXT", help="A new note.")
@reason_option
@author_option
@revision_option
@format_option("text", "json")
@db_option
def change(
    override_id: int,
    severity: str | None,
    note: str | None,
    reason: str,
    author: str,
    expected_revision: int | None,
    fmt: str,
    db_url: str | None,
) -> None:
    """Change an override's severity or note; with neither, confirm it against the current KB
    (what `override review` asks for after a rebuild changed its facts)."""
    from pharmcheck.kb.store import open_kb
    from pharmcheck.overrides import change_override

    made = change_override(
        open_kb(db_url),
        override_id,
        severity=severity,
        note=note,
        reason=reason,
        author=author,
        expected_revision=expected_revision,
    )
    _emit(fmt, made.to_dict(), [f"changed {made.describe()}"])


@override.command()
@click.argument("override_id", type=int)
@reason_option
@author_option
@revision_option
@format_option("text", "json")
@db_option
def retire(
    override_id: int,
    reason: str,
    author: str,
    expected_revision: int | None,
    fmt: str,
    db_url: str | None,
) -> None:
    """Retire an override: it stops applying; its record and history stay."""
    from pharmcheck.kb.store import open_kb
    from pharmcheck.overrides import retire_override

    made = retire_override(
        open_kb(db_url),
        override_id,
        reason=reason,
        author=author,
        expected_revision=expected_revision,
    )
    _emit(fmt, made.to_dict(), [f"retired {made.describe()}"])


@override.command()
@click.argument("override_id", type=int, required=False)
@format_option("text", "json")
@db_option
def history(override_id: int | None, fmt: str, db_url: str | None) -> None:
    """The audit trail: every create, change and retire (of one override, or all), oldest first."""
    from pharmcheck.overrides import history as read_history

    rows = read_history(db_url, override_id)
    lines = []
    for row in rows:
        after = row["after"]
        lines.append(
            f"{row['at']} #{row['override_id']} {row['change']} by {row['actor']} "
            f"(KB {row['kb_version']}): {row['reason']}"
        )
        if row["before"] is not None:
            changed = {
                k: (row["before"].get(k), v)
                for k, v in after.items()
                if row["before"].get(k) != v and k not in ("changed_at", "revision")
            }
            lines.extend(f"    {k}: {a!r} -> {b!r}" for k, (a, b) in sorted(changed.items()))
    _emit(fmt, rows, lines or ["no audit rows"])


@override.command()
@format_option("text", "json")
@db_option
def review(fmt: str, db_url: str | None) -> None:
    """Overrides whose underlying KB facts changed since they were set (after a rebuild); exit 1
    if there is any. Confirm each with `override change ID` or retire it."""
    from pharmcheck.kb.store import open_kb
    from pharmcheck.overrides import review as run_review

    kb = open_kb(db_url)
    flagged = run_review(kb)
    lines = [
        f"{item.override.describe()}\n    set on KB {item.override.kb_version}, facts changed in "
        f"KB {item.now_kb_version}"
        + (f"\n    now never-suppress: {item.never_suppressed}" if item.never_suppressed else "")
        for item in flagged
    ]
    _emit(
        fmt,
        [item.to_dict() for item in flagged],
        lines or [f"no override rests on facts changed in KB {kb.version}"],
    )
    raise SystemExit(1 if flagged else 0)


@override.command("never-suppress")
@format_option("text", "json")
@db_option
def never_suppress(fmt: str, db_url: str | None) -> None:
    """The findings no override may hide or lower, with why and the sources."""
    from pharmcheck.kb.store import open_kb

    entries = open_kb(db_url).never_suppress
    lines = [
        f"{e.rule_code} {e.subject}{' with ' + e.other if e.other else ''}: {e.reason} "
        f"({'; '.join(r.ref_id for r in e.references)})"
        for e in entries
    ]
    _emit(fmt, [e.to_dict() for e in entries], lines)
