"""Writing output files safely: never over an input or another output, never half-written.

Every file pharmcheck writes (a report, a screen's findings and summary, the KB) goes through
:func:`replacing_path`: it is written beside its target and moved onto it only once complete, so
a run that fails or is interrupted leaves the previous file as it was. The new file keeps the
target's permissions and owner, so a 0600 file of patient findings never becomes readable by
everyone. :func:`refuse_clashes` compares device and inode numbers, so a hard or symbolic
link to an input is caught as surely as its own path.
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
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
def replacing_path(
    path: Path,
    *,
    mode: int | None = None,
    around_move: Callable[[Path], AbstractContextManager[object]] | None = None,
) -> Iterator[Path]:
    """The path of a new, empty file beside ``path``, for any writer that needs a path (SQLite
    through SQLAlchemy); once the body completes it is synced and moved onto ``path``, else
    removed. It gets ``mode``, or else the previous file's permissions and owner (a new file the
    usual ones), before anything is written to it. ``around_move(partial)`` is entered around
    the move (to hold a lock while it happens). A path that is not a regular file (/dev/null, a
    pipe) is given as it is, to be written directly."""
    target = path.resolve()  # through a symbolic link: the link stays, its target is replaced
    if target.exists() and not target.is_file():
        yield path
        return
    previous = target.stat() if target.exists() else None
    partial = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.partial")
    try:
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # less the umask
    except OSError as exc:  # named as the caller gave it, not as the hidden partial file
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    try:
        try:
            if mode is not None:
                os.fchmod(descriptor, mode)
            elif previous is not None:
                os.fchmod(descriptor, stat.S_IMODE(previous.st_mode))
                with suppress(PermissionError):  # only root may give a file away
                    os.fchown(descriptor, previous.st_uid, previous.st_gid)
        finally:
            os.close(descriptor)
        yield partial
        descriptor = os.open(partial, os.O_RDONLY)
        try:
            os.fsync(descriptor)  # on disk before it is the file: a crash leaves old or new
        finally:
            os.close(descriptor)
        with around_move(partial) if around_move else nullcontext():
            os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


@contextmanager
def replacing(path: Path) -> Iterator[IO[bytes]]:
    """A binary handle on a file written beside ``path`` and moved onto it once complete
    (:func:`replacing_path`)."""
    with replacing_path(path) as partial, partial.open("wb") as handle:
        yield handle


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
