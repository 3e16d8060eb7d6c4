"""What an installed copy needs: db/ and migrations/ ship inside the package."""

from __future__ import annotations

from pathlib import Path


def test_every_db_table_folder_ships_in_the_wheel() -> None:
    # setuptools only ships CSVs of folders listed as packages in pyproject.toml.
    root = Path(__file__).resolve().parent.parent
    pyproject = (root / "pyproject.toml").read_text(encoding="utf-8")
    for folder in sorted(p.name for p in (root / "db").iterdir() if p.is_dir()):
        assert f'"pharmcheck._db.{folder}"' in pyproject, folder
