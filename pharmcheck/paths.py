"""Where pharmcheck finds its knowledge-base sources, its migrations and its default KB."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from pharmcheck._version import __version__
from pharmcheck.errors import KnowledgeBaseError

_PACKAGE_DIR = Path(__file__).resolve().parent


def _installed_or_checkout(installed: str, checkout: str) -> Path:
    # An installed wheel carries db/ and migrations/ inside the package; a source checkout
    # keeps them at the repository's top level.
    inside = _PACKAGE_DIR / installed
    if inside.is_dir():
        return inside
    return _PACKAGE_DIR.parent / checkout


def sources_dir() -> Path:
    """The folder holding the reviewable KB sources (``db/``)."""
    override = os.environ.get("PHARMCHECK_SOURCES")
    return Path(override) if override else _installed_or_checkout("_db", "db")


def migrations_dir() -> Path:
    """The Alembic script folder (``migrations/``)."""
    return _installed_or_checkout("_migrations", "migrations")


def data_home() -> Path:
    """The per-user folder for the embedded default KB.

    ``$PHARMCHECK_HOME`` if set, else ``$XDG_DATA_HOME/pharmcheck``, else
    ``~/.local/share/pharmcheck``.
    """
    if home := os.environ.get("PHARMCHECK_HOME"):
        return Path(home)
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg else Path.home() / ".local" / "share"
    return base / "pharmcheck"


def sources_fingerprint(root: Path) -> str:
    """A cheap key for the sources' state: every file's path, size and modification time.

    Hashing the contents of ``db/`` (12 MB) costs 10-25 ms, too much for every ``check`` start;
    listing and stat-ing its files costs 1-2 ms, and any edit changes a size or an mtime.
    """
    if not root.is_dir():
        raise KnowledgeBaseError(f"the knowledge-base sources folder {root} does not exist")
    digest = hashlib.sha256(str(root.resolve()).encode())

    def add(folder: str, prefix: str) -> None:
        for entry in sorted(os.scandir(folder), key=lambda entry: entry.name):
            if entry.is_dir():
                add(entry.path, f"{prefix}{entry.name}/")
            else:
                stat = entry.stat()
                digest.update(
                    f"\0{prefix}{entry.name}\0{stat.st_size}\0{stat.st_mtime_ns}".encode()
                )

    add(str(root), "")
    return digest.hexdigest()[:16]


DEFAULT_DB_GLOB = "kb-*.sqlite"


def default_db_path(sources: Path | None = None) -> Path:
    """The embedded default KB file, named after this pharmcheck version and the state of the
    sources it is built from: an upgrade or an edit to ``db/`` gets a fresh build, never a stale
    KB."""
    return data_home() / f"kb-{__version__}-{sources_fingerprint(sources or sources_dir())}.sqlite"


def default_db_url(sources: Path | None = None) -> str:
    return f"sqlite:///{default_db_path(sources)}"
