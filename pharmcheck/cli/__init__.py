"""The ``pharmcheck`` command: thin click wrappers over the library.

Each command parses its arguments, calls the library, renders the result and
maps errors to exit codes: 0 clean, 1 findings (or unrecognised input), 2 a
usage, input or knowledge-base error shown as one line without a traceback,
141 when the reader of the output closed it early (``pharmcheck ... | head``).
Heavy libraries are imported inside the commands that need them, so
``pharmcheck --help`` stays fast.
"""

from __future__ import annotations

import gc
import importlib
import os
import signal
import sys
from typing import Any, ClassVar, NoReturn

import click

from pharmcheck._version import __version__
from pharmcheck.entry import (
    COMMANDS,
    EXIT_BROKEN_PIPE,
    EXIT_ERROR,
    GROUP_HELP,
    HELP_OPTIONS,
    MAX_CONTENT_WIDTH,
    PROG,
    VERSION_MESSAGE,
    VERSION_OPTION_HELP,
    VERSION_OPTIONS,
    drop_pending_output,
    exit_after_writing,
)
from pharmcheck.errors import PharmcheckError


class CliError(click.ClickException):
    """A one-line error with exit code 2 (click's own default of 1 would read as "findings")."""

    exit_code = EXIT_ERROR

    def __init__(self, message: str):
        from pharmcheck.kb.store import hide_password  # a database password is never shown

        super().__init__(hide_password(" ".join(str(message).split())))

    def show(self, file: Any = None) -> None:
        from pharmcheck.report.escape import visible  # an error may quote the input

        click.echo(f"pharmcheck: error: {visible(self.format_message())}", err=True)


class _Group(click.Group):
    """Subcommands are imported when they run (or are listed), so ``--help`` costs little."""

    COMMANDS: ClassVar[dict[str, tuple[str, str]]] = COMMANDS

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.COMMANDS:
            return None
        module = importlib.import_module(f"pharmcheck.cli.{self.COMMANDS[cmd_name][0]}")
        command = getattr(module, cmd_name)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, self.COMMANDS[name][1]) for name in self.list_commands(ctx)])

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:  # --help and --version print here, before invoke
            return super().make_context(*args, **kwargs)
        except BrokenPipeError:
            _reader_gone()

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:  # not an input error: the reader stopped reading
            _reader_gone()
        except PharmcheckError as exc:
            raise CliError(str(exc)) from None
        except OSError as exc:
            raise CliError(f"{exc.strerror or exc}: {exc.filename or ''}".strip(": ")) from None
        except Exception as exc:
            if os.environ.get("PHARMCHECK_DEBUG"):
                raise
            raise CliError(
                f"internal error: {type(exc).__name__}: {exc} (set PHARMCHECK_DEBUG=1 for a "
                "traceback)"
            ) from None


CONTEXT_SETTINGS = {"help_option_names": list(HELP_OPTIONS), "max_content_width": MAX_CONTENT_WIDTH}


@click.group(cls=_Group, context_settings=CONTEXT_SETTINGS, help=GROUP_HELP)
@click.version_option(
    __version__,
    *VERSION_OPTIONS,
    prog_name=PROG,
    message=VERSION_MESSAGE,
    help=VERSION_OPTION_HELP,
)
def cli() -> None:
    """The group; its help is ``GROUP_HELP``, which ``pharmcheck.entry`` also prints."""


def _reader_gone() -> NoReturn:
    """Exit quietly with 141; output still buffered goes nowhere instead of failing again at
    exit."""
    drop_pending_output()
    raise SystemExit(EXIT_BROKEN_PIPE)


def _stop(signum: int, frame: object) -> NoReturn:
    """SIGINT and SIGTERM end the command as an exception, so that every ``finally`` runs: a file
    being written is removed and the previous one stays. Exit 128 + the signal (130, 143), never
    1, which a script would read as "findings"."""
    name = signal.Signals(signum).name
    print(
        f"pharmcheck: stopped by {name}; files being written were left as they were",
        file=sys.stderr,
    )
    raise SystemExit(128 + signum)


def main() -> NoReturn:
    """Run the command and flush its output; output that cannot be written is exit 2 (141 when
    the reader went away), never a silent loss."""
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        cli(prog_name=PROG)
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else 0 if done.code is None else 1
        if isinstance(done.code, str):
            print(done.code, file=sys.stderr)
    # The process ends here: what the command left is freed without the collector going over it
    # again and again while the interpreter shuts down (docs/performance.md has the figure).
    gc.freeze()
    exit_after_writing(code, sys.stdout)
