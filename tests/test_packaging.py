"""What an installed copy needs: every subpackage, and db/ and migrations/ inside the package."""

from __future__ import annotations

from pathlib import Path


def test_every_db_table_folder_ships_in_the_wheel() -> None:
    # setuptools only ships CSVs of folders listed as packages in pyproject.toml.
    root = Path(__file__).resolve().parent.parent
    pyproject = (root / "pyproject.toml").read_text(encoding="utf-8")
    for folder in sorted(p.name for p in (root / "db").iterdir() if p.is_dir()):
        assert f'"pharmcheck._db.{folder}"' in pyproject, folder


def test_every_subpackage_ships_in_the_wheel() -> None:
    # The packages are listed by hand (for the db/ mapping); pharmcheck.batch was once left out, and
    # an installed `pharmcheck screen` failed with ModuleNotFoundError while every test passed.
    root = Path(__file__).resolve().parent.parent
    pyproject = (root / "pyproject.toml").read_text(encoding="utf-8")
    for init in sorted((root / "pharmcheck").rglob("__init__.py")):
        package = ".".join(init.parent.relative_to(root).parts)
        assert f'"{package}"' in pyproject, package
