"""Writing a command's output to stdout so that a reader who goes away is always noticed."""

from __future__ import annotations

import io
import os
import sys

import click


def write_stdout(text: str) -> None:
    """Write all of ``text``, looping over partial writes.

    A text stream over an unbuffered stdout (``PYTHONUNBUFFERED=1``, ``python -u``) passes one
    ``write`` to the file and ignores a partial count: when the reader closes the pipe mid-write
    (``pharmcheck check ... | head``) the rest is dropped without an error and the exit code says
    all is well. ``os.write`` in a loop raises ``BrokenPipeError`` instead, which is exit 141.
    """
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, ValueError, io.UnsupportedOperation):  # a test runner's captured stdout
        click.echo(text, nl=False)
        return
    sys.stdout.flush()
    pending = memoryview(text.encode(sys.stdout.encoding or "utf-8", errors="replace"))
    while pending:
        pending = pending[os.write(fd, pending):]
