"""A ward screened in parts of whole patients: what the Dask path and the process pool share.

Each part is a table as :func:`pharmcheck.batch.screen` reads one, its rows in source order and
numbered as in the source (``table.attrs["source_rows"]``), so a rejected or unrecognised row
carries its source row number whichever part screened it. Every worker process opens the KB once,
read-only, and checks that it is the KB the screen was started with.
"""

from __future__ import annotations

import functools
from typing import Any

import pandas as pd

from pharmcheck.batch.tables import canonical_name
from pharmcheck.engine import Checker
from pharmcheck.errors import InputError, KnowledgeBaseError

ROW = "_pharmcheck_row"  # each row's number in its source (the header is row 1)
KEY = "_pharmcheck_patient"  # the patient id as text: what a table is split on


def patient_column(columns: Any, spec: dict[str, tuple[str, ...]], what: str) -> Any:
    """The column of ``columns`` holding the patient id; refused (InputError) when none does."""
    column = next((c for c in columns if canonical_name(c, spec) == "patient_id"), None)
    if column is None:
        raise InputError(
            f"{what}: missing required column(s) patient_id; "
            f"found {', '.join(str(c) for c in columns if c not in (ROW, KEY))}"
        )
    return column


def source_table(part: pd.DataFrame) -> pd.DataFrame:
    """A part as the single-machine screen reads a table: source order, row numbers aside."""
    part = part.sort_values(ROW, kind="stable")
    table = part.drop(columns=[c for c in (ROW, KEY) if c in part.columns]).reset_index(drop=True)
    # An array, not a list: pandas deep-copies attrs into every frame derived from the table.
    table.attrs = {"source_rows": part[ROW].to_numpy(dtype="int64")}
    return table


@functools.cache
def worker_checker(url: str, version: str) -> Checker:
    """The KB at ``url``, opened once per process, never built here; refused when it is not the
    KB the screen was started with (``version``), so no result mixes two KBs."""
    from pharmcheck.kb.store import open_kb

    runner = Checker(open_kb(url, build_if_missing=False))
    if runner.kb.version != version:
        raise KnowledgeBaseError(
            f"the knowledge base at {url} on this worker is KB {runner.kb.version}, "
            f"not KB {version} that the screen was started with"
        )
    return runner


def shared_kb(db_url: str | None) -> tuple[str, str]:
    """The KB's URL as every worker must find it (an absolute path for SQLite) and its version;
    opening it here builds the default KB once, before any worker reads it."""
    from pharmcheck.engine import checker
    from pharmcheck.kb.store import resolve_url, sqlite_file

    url = resolve_url(db_url)
    runner = checker(url)
    path = sqlite_file(url)
    if path is not None:
        url = f"sqlite:///{path.resolve()}"
    return url, runner.kb.version
