"""Where pharmcheck finds its knowledge-base sources, its migrations and its default KB."""

from __future__ import annotations

import os
from pathlib import Path

from pharmcheck._version import __version__

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


def default_db_path() -> Path:
    """The embedded default KB file; one per pharmcheck version so upgrades never read a stale KB."""
    return data_home() / f"kb-{__version__}.sqlite"


def default_db_url() -> str:
    return f"sqlite:///{default_db_path()}"
