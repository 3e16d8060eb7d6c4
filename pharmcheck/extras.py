"""Optional extras: which third-party modules each one installs, and the one error that a feature
raises when its extra is missing (the CLI shows it as one line, exit 2).

A plain ``pip install pharmcheck`` gives ``check``, ``drug``, ``rules``, ``conditions``, ``db`` and
the library. Structures (``classify``, a SMILES on ``check``) need ``[chem]``; ``screen`` and
``pharmcheck.screen_frame`` need ``[batch]``; FHIR input ``[fhir]``; ``serve`` ``[server]``;
``screen --engine dask`` ``[dask]``.
"""

from __future__ import annotations

from importlib.util import find_spec

from pharmcheck.errors import PharmcheckError

#: extra -> the top-level modules it installs (pyproject.toml's optional-dependencies)
EXTRAS: dict[str, tuple[str, ...]] = {
    "chem": ("rdkit",),
    "batch": ("pandas", "pyarrow", "openpyxl", "tqdm"),
    "fhir": ("fhir.resources.R4B",),  # the R4-compatible models (fhir.resources 8 has no R4)
    "server": ("fastapi", "uvicorn", "httpx", "jwt", "fhir.resources.R4B"),
    "dask": ("pandas", "dask", "distributed"),
}


class MissingExtraError(PharmcheckError):
    """A feature was asked for whose optional extra is not installed."""


def missing_modules(extra: str) -> list[str]:
    """The modules of ``extra`` that are not installed (none when the extra is complete)."""
    return [module for module in EXTRAS[extra] if not _installed(module)]


def _installed(module: str) -> bool:
    try:
        return find_spec(module) is not None
    except ModuleNotFoundError:  # a dotted name whose parent package is missing
        return False


def install_hint(extra: str) -> str:
    return f"pip install 'pharmcheck[{extra}]'"


def require_extra(extra: str, feature: str) -> None:
    """Raise :class:`MissingExtraError` naming the extra to install when ``feature`` cannot run."""
    missing = missing_modules(extra)
    if missing:
        raise MissingExtraError(
            f"{feature} needs the optional extra [{extra}] ({', '.join(missing)} not installed): "
            f"{install_hint(extra)}"
        )
