"""The ``pharmcheck`` program's entry point, and what its group shows without click.

The command table, the group's help text, its option names and the version live here; the click
group in :mod:`pharmcheck.cli` is built from them. ``pharmcheck``, ``-h``/``--help`` and
``-V``/``--version`` on their own are printed here as click would print them (a test compares the
bytes and exit codes); every other command line runs the click group.
"""

from __future__ import annotations

import os
import sys

from pharmcheck._version import __version__

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy reads it the same)
if TYPE_CHECKING:
    from typing import NoReturn, TextIO

PROG = "pharmcheck"
HELP_OPTIONS = ("-h", "--help")
HELP_OPTION_HELP = "Show this message and exit."  # click's own, for the help option it adds
VERSION_OPTIONS = ("-V", "--version")
VERSION_OPTION_HELP = "Show the version and exit."
VERSION_MESSAGE = "%(prog)s, version %(version)s"
MAX_CONTENT_WIDTH = 100
EXIT_ERROR = 2
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what any Unix tool returns when its reader goes away

GROUP_HELP = (
    "Screen a medication list for drugs that cause or worsen myoclonus.\n"
    "\n"
    "Start with `pharmcheck check DRUG ...`; `pharmcheck COMMAND -h` explains each command."
)

#: name: (module of pharmcheck.cli, the command's short help; a test keeps it equal to the
#: command's own). Commands are imported when they run, so the table lists them.
COMMANDS: dict[str, tuple[str, str]] = {
    "check": (
        "check_command",
        "Check MEDICATIONS (names or whole sig strings) for myoclonus risks.",
    ),
    "classify": (
        "classify_command",
        "Identify and classify STRUCTURE (a SMILES, an InChI or a molfile path) against the KB.",
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
        "Suppress, re-grade or annotate findings for this site (or one unit), with an audit trail.",
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


def main() -> None:
    """Run ``pharmcheck`` with the process's arguments."""
    args = sys.argv[1:]
    if not args or (len(args) == 1 and args[0] in HELP_OPTIONS + VERSION_OPTIONS):
        # no click: --help in 2.0-2.2x `python -c pass`, not 4.3-4.9x (bench_check.py, load 4)
        code, text = group_output(args, help_width())
        exit_after_writing(code, sys.stdout if code == 0 else sys.stderr, text)
    from pharmcheck.cli import main as run_click

    run_click()


def group_output(args: list[str], width: int) -> tuple[int, str]:
    """The exit code and text of ``pharmcheck`` with no argument (the help on stderr, as a usage
    error), ``--help`` or ``--version``, as the click group gives them."""
    if args and args[0] in VERSION_OPTIONS:
        return 0, VERSION_MESSAGE % {"prog": PROG, "version": __version__} + "\n"
    return (0 if args else EXIT_ERROR), group_help(width)


def help_width() -> int:
    """The width click wraps help text to: the terminal's, at most MAX_CONTENT_WIDTH, less 2."""
    from shutil import get_terminal_size

    return max(min(get_terminal_size().columns, MAX_CONTENT_WIDTH) - 2, 50)


def group_help(width: int) -> str:
    """The group's --help: usage, help text, options and commands, laid out as click's
    HelpFormatter lays them out at ``width``."""
    from textwrap import TextWrapper

    indent = "  "
    text = TextWrapper(
        width, initial_indent=indent, subsequent_indent=indent, replace_whitespace=False
    )
    paragraphs = [text.fill(" ".join(p.splitlines())) for p in GROUP_HELP.split("\n\n")]
    lines = [f"Usage: {PROG} [OPTIONS] COMMAND [ARGS]...", "", "\n\n".join(paragraphs), ""]
    options = [(", ".join(VERSION_OPTIONS), VERSION_OPTION_HELP)]
    options.append((", ".join(HELP_OPTIONS), HELP_OPTION_HELP))
    lines += ["Options:", *_definitions(options, width, indent), "", "Commands:"]
    lines += _definitions([(name, COMMANDS[name][1]) for name in sorted(COMMANDS)], width, indent)
    return "\n".join(lines) + "\n"


def _definitions(rows: list[tuple[str, str]], width: int, indent: str) -> list[str]:
    """A definition list as click's ``HelpFormatter.write_dl`` writes it (terms of at most 30
    characters)."""
    from textwrap import TextWrapper

    first_column = max(len(term) for term, _ in rows) + 2
    text = TextWrapper(max(width - first_column - 2, 10), replace_whitespace=False)
    lines = []
    for term, definition in rows:
        first, *rest = text.wrap(definition)
        lines.append(f"{indent}{term:<{first_column}}{first}")
        lines += [f"{indent}{'':<{first_column}}{line}" for line in rest]
    return lines


def exit_after_writing(code: int, stream: TextIO | None, text: str = "") -> NoReturn:
    """Write ``text`` to ``stream``, flush it and exit with ``code``: 141 when the reader went
    away, 2 (with a one-line error) when the output cannot be written, never a silent loss."""
    try:
        if stream is not None:  # None: the stream was closed before the start
            if text:  # after a command, only what it left buffered is flushed
                stream.write(text)
            stream.flush()
    except BrokenPipeError:
        drop_pending_output()
        raise SystemExit(EXIT_BROKEN_PIPE) from None
    except OSError as exc:
        print(f"pharmcheck: error: {exc.strerror or exc}", file=sys.stderr)
        drop_pending_output()
        raise SystemExit(EXIT_ERROR) from None
    except ValueError:  # closed by the caller: nothing is pending
        pass
    raise SystemExit(code)


def drop_pending_output() -> None:
    """Send what stdout still holds nowhere, so the exit does not fail writing it again."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):  # a stdout without a file descriptor (as under a test runner)
        pass
