"""The ``pharmcheck`` command: thin click wrappers over the library.

Each command parses its arguments, calls the library, renders the result and
maps errors to exit codes: 0 clean, 1 findings (or unrecognised input), 2 a
usage, input or knowledge-base error shown as one line without a traceback,
141 when the reader of the output closed it early (``pharmcheck ... | head``).
Heavy libraries are imported inside the commands that need them, so
``pharmcheck --help`` stays fast.
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
from typing import Any, ClassVar, NoReturn

import click

from pharmcheck._version import __version__
from pharmcheck.errors import PharmcheckError

EXIT_ERROR = 2
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what any Unix tool returns when its reader goes away


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

    # name: (module, the command's short help, listed by --help; a test keeps the two equal)
    COMMANDS: ClassVar[dict[str, tuple[str, str]]] = {
        "check": (
            "check_command",
            "Check MEDICATIONS (names or whole sig strings) for myoclonus risks.",
        ),
        "classify": (
            "classify_command",
            (
                "Identify and classify STRUCTURE (a SMILES, an InChI or a molfile "
                "path) against the KB."
            ),
        ),
        "conditions": (
            "conditions_command",
            (
                "List the conditions `--condition` understands, or those whose "
                "name, synonym or code (ICD-10-CM, SNOMED CT) contains TEXT."
            ),
        ),
        "db": ("db_commands", "Build, migrate, describe and verify the knowledge base."),
        "drug": ("drug_commands", "Look up what the knowledge base knows about a drug."),
        "feedback": (
            "feedback_command",
            "Report the CDS Hooks feedback received: accepted and overridden cards, with reasons.",
        ),
        "override": (
            "override_commands",
            (
                "Suppress, re-grade or annotate findings for this site (or one unit), "
                "with an audit trail."
            ),
        ),
        "rules": (
            "rules_command",
            "List every rule, or show one rule's documentation (by code or name).",
        ),
        "serve": (
            "serve_command",
            "Run the CDS Hooks service (order-select, order-sign, patient-view) over HTTP.",
        ),
        "screen": (
            "screen_command",
            (
                "Screen MEDS (one row per medication: patient_id, name, and optionally "
                "dose, frequency, route, start, stop, status) for every patient at once."
            ),
        ),
    }

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


CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(cls=_Group, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "-V", "--version", prog_name="pharmcheck")
def cli() -> None:
    """Screen a medication list for drugs that cause or worsen myoclonus.

    Start with `pharmcheck check DRUG ...`; `pharmcheck COMMAND -h` explains each command.
    """


def _reader_gone() -> NoReturn:
    """Exit quietly with 141; output still buffered goes nowhere instead of failing again at
    exit."""
    _drop_pending_output()
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
        cli(prog_name="pharmcheck")
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else 0 if done.code is None else 1
        if isinstance(done.code, str):
            print(done.code, file=sys.stderr)
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _reader_gone()
    except OSError as exc:
        print(f"pharmcheck: error: {exc.strerror or exc}", file=sys.stderr)
        code = EXIT_ERROR
        _drop_pending_output()
    except ValueError:  # stdout closed by the caller: nothing is pending
        pass
    raise SystemExit(code)


def _drop_pending_output() -> None:
    """Send what stdout still holds nowhere, so the exit does not fail writing it again."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):  # a stdout without a file descriptor (as under a test runner)
        pass
