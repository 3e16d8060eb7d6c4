"""The Alembic history produces exactly the models' schema, both ways."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from pharmcheck.kb import migrate, models
from pharmcheck.kb.schema import SCHEMA_HEAD


def test_schema_head_constant_matches_migrations() -> None:
    assert migrate.head_revision() == SCHEMA_HEAD


def test_upgrade_downgrade_upgrade(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.sqlite'}"
    migrate.upgrade(url)
    assert migrate.current_revision(url) == SCHEMA_HEAD
    engine = create_engine(url)
    assert "drugs" in inspect(engine).get_table_names()
    migrate.downgrade(url, "base")
    assert migrate.current_revision(url) is None
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(url)
    assert migrate.current_revision(url) == SCHEMA_HEAD
    engine.dispose()


def test_models_match_migrated_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.sqlite'}"
    migrate.upgrade(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), models.Base.metadata)
    engine.dispose()
    assert diff == []
