"""Writing output files safely: never over an input or another output, never half-written.

Every file pharmcheck writes (a report, a screen's findings and summary) goes through
:func:`replacing`: it is written beside its target and moved onto it only once complete, so
a run that fails or is interrupted leaves the previous file as it was. The new file keeps the
target's permissions and owner, so a 0600 file of patient findings never becomes readable by
everyone. :func:`refuse_clashes` compares device and inode numbers, so a hard or symbolic
link to an input is caught as surely as its own path.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO

from pharmcheck.errors import InputError


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_dev, found.st_ino


def refuse_clashes(
    outputs: Iterable[tuple[str, Path | None]], inputs: Iterable[tuple[str, str | Path | None]]
) -> None:
    """Refuse (InputError) an output that names an input, or another output, by any path."""
    seen: dict[tuple[int, int] | str, str] = {}
    for role, given in inputs:
        if given is None or str(given) == "-":
            continue
        identity = _identity(Path(given))
        if identity is not None:
            seen.setdefault(identity, f"the {role} {given}")
    for role, target in outputs:
        if target is None:
            continue
        identity = _identity(target)
        if identity is not None and not stat.S_ISREG(target.stat().st_mode):
            continue  # /dev/null or a pipe: written directly, never replaced
        key: tuple[int, int] | str = identity if identity is not None else str(target.resolve())
        if key in seen:
            raise InputError(f"refusing to write the {role} {target}: it is {seen[key]}")
        seen[key] = f"the {role} {target}"


@contextmanager
def replacing(path: Path) -> Iterator[IO[bytes]]:
    """A binary handle on a file written beside ``path`` and moved onto it once complete, with the
    previous file's permissions and owner. A path that is not a regular file (/dev/null, a pipe)
    is written directly."""
    target = path.resolve()  # through a symbolic link: the link stays, its target is replaced
    if target.exists() and not target.is_file():
        with path.open("wb") as handle:
            yield handle
        return
    previous = target.stat() if target.exists() else None
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        with partial.open("xb") as handle:  # a new file gets the usual permissions, as open() gives
            if previous is not None:
                os.fchmod(handle.fileno(), stat.S_IMODE(previous.st_mode))
                with suppress(PermissionError):  # only root may give a file away
                    os.fchown(handle.fileno(), previous.st_uid, previous.st_gid)
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


@contextmanager
def replacing_folder(path: Path) -> Iterator[Path]:
    """A folder made beside ``path`` to be filled, moved onto ``path`` once complete (a previous
    folder there is removed only then)."""
    import shutil

    target = path.resolve()
    if target.exists() and not target.is_dir():
        raise InputError(f"{path} exists and is not a folder")
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    previous = target.with_name(f".{target.name}.{os.getpid()}.previous")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    try:
        yield partial
        if target.exists():
            os.replace(target, previous)
        os.replace(partial, target)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
        shutil.rmtree(previous, ignore_errors=True)
