"""Writing a command's output to stdout so that a reader who goes away is always noticed."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO


@contextmanager
def stdout_bytes() -> Iterator[IO[bytes]]:
    """A buffered binary handle on stdout's descriptor.

    A text stream over an unbuffered stdout (``PYTHONUNBUFFERED=1``, ``python -u``) passes one
    ``write`` to the file and ignores a partial count: when the reader closes the pipe mid-write
    (``pharmcheck check ... | head``) the rest is dropped without an error and the exit code says
    all is well. A ``BufferedWriter`` writes the rest or raises ``BrokenPipeError`` (exit 141).
    """
    sys.stdout.flush()
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, ValueError, io.UnsupportedOperation):  # a test runner's captured stdout
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    with open(fd, "wb", closefd=False) as handle:
        yield handle


def write_stdout(text: str) -> None:
    """Write all of ``text`` (see :func:`stdout_bytes`)."""
    with stdout_bytes() as handle:
        handle.write(text.encode(sys.stdout.encoding or "utf-8", errors="replace"))
