"""Options shared by several commands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

db_option = click.option(
    "--db",
    "db_url",
    metavar="URL",
    envvar="PHARMCHECK_DB",
    help="Knowledge-base SQLAlchemy URL (default: the embedded per-user SQLite KB; env PHARMCHECK_DB).",
)


def format_option(*choices: str, default: str = "text") -> Callable[[F], F]:
    return click.option(
        "--format", "fmt", type=click.Choice(choices), default=default, show_default=True,
        help="Output format.",
    )
