"""Alembic driven from code: the script folder ships inside the package."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, text
from sqlalchemy.exc import SQLAlchemyError

from pharmcheck.errors import KnowledgeBaseError
from pharmcheck.kb.store import hide_password, schema_revision_error, sqlalchemy_engine
from pharmcheck.paths import migrations_dir


def alembic_config(url: str, connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None, "migrations/ has no revisions"
    return head


def previous_revision(revision: str) -> str | None:
    """The revision before ``revision``, or None at the base."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://")).get_revision(revision)
    down = script.down_revision if script is not None else None
    return down if isinstance(down, str) else None


def is_known_revision(revision: str) -> bool:
    """Whether ``revision`` is one of this pharmcheck's migrations (else a newer one wrote it)."""
    try:
        script = ScriptDirectory.from_config(alembic_config("sqlite://"))
        return script.get_revision(revision) is not None
    except CommandError:
        return False


def require_known_revision(url: str) -> None:
    """Refuse a KB whose schema a newer pharmcheck wrote: these migrations cannot move it."""
    try:
        revision = current_revision(url)
    except SQLAlchemyError as exc:
        raise KnowledgeBaseError(
            hide_password(f"{url} is not a readable pharmcheck KB: {exc.__class__.__name__}")
        ) from None
    if revision is None or is_known_revision(revision):
        return
    engine = sqlalchemy_engine(url)
    try:
        with engine.connect() as conn:
            built_by = conn.execute(
                text("SELECT value FROM kb_metadata WHERE key = 'pharmcheck_version'")
            ).scalar()
    except SQLAlchemyError:
        built_by = None
    finally:
        engine.dispose()
    raise schema_revision_error(hide_password(url), revision, built_by)


def migrate_to(url: str, revision: str, *, down: bool) -> None:
    """``db upgrade`` / ``db downgrade``: a KB at a revision this code does not know is refused, and
    Alembic's complaints (a revision that does not exist) are one-line errors."""
    require_known_revision(url)
    try:
        (downgrade if down else upgrade)(url, revision)
    except CommandError as exc:
        message = f"cannot migrate {url} to {revision}: {exc}"
        raise KnowledgeBaseError(hide_password(message)) from None
    except SQLAlchemyError as exc:  # the database refused a step (each step is its own transaction)
        first_line = str(exc).splitlines()[0]
        message = f"cannot migrate {url} to {revision}: {exc.__class__.__name__}: {first_line}"
        raise KnowledgeBaseError(hide_password(message)) from None


def current_revision(url: str) -> str | None:
    engine = sqlalchemy_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def upgrade(url: str, revision: str = "head", connection: Connection | None = None) -> None:
    command.upgrade(alembic_config(url, connection), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)
