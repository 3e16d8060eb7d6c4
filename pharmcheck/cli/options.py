"""Options shared by several commands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])
_DB_ENV = "PHARMCHECK_DB"

db_option = click.option(
    "--db",
    "db_url",
    metavar="URL",
    envvar=_DB_ENV,
    help="Knowledge-base SQLAlchemy URL (default: the embedded per-user SQLite KB, built on "
    "first use; env PHARMCHECK_DB). A SQLite file named here must exist: only `db build` "
    "creates one.",
)
build_target_option = click.option(
    "--db",
    "db_url",
    metavar="URL",
    envvar=_DB_ENV,
    help="Where to build the KB, as an SQLAlchemy URL (default: the embedded per-user SQLite KB; "
    "env PHARMCHECK_DB). An existing file is replaced only if it is a pharmcheck KB.",
)


def dash_is_stdout(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """An output path of ``-`` as no path: standard output, as an input ``-`` is standard input."""
    return None if value is not None and str(value) == "-" else value


def format_option(*choices: str, default: str = "text") -> Callable[[F], F]:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(choices),
        default=default,
        show_default=True,
        help="Output format.",
    )
