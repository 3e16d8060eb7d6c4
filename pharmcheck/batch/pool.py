"""Screening a ward on every core of one machine: a pool of worker processes, each screening a
part of the ward with :func:`pharmcheck.batch.screen`.

The ward is cut into ranges of patients in natural order (P2 before P10), one per worker and of
about equal rows; every row of a patient, in either table, goes to the patient's part, and rows
without a patient id to the first. Joined in part order, the parts give exactly the result of
one process (:func:`pharmcheck.batch.results.joined`). Workers start from a fresh interpreter
(forkserver, else spawn), never a fork of a process whose native threads may hold locks, and
each opens the KB read-only once.
"""

from __future__ import annotations

import bisect
import multiprocessing
import os
import pickle
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from pharmcheck.batch.parts import ROW, patient_column, shared_kb, source_table, worker_checker
from pharmcheck.batch.results import ScreenResult, joined
from pharmcheck.batch.screening import Progress, screen
from pharmcheck.batch.tables import (
    MED_COLUMNS,
    PATIENT_COLUMNS,
    cell_of,
    natural_key,
    normalise_columns,
    row_numbers,
    text_cells,
)
from pharmcheck.domain import Severity
from pharmcheck.errors import PharmcheckError

IN_PROCESS_BELOW = 100_000  # medication rows: a smaller ward is screened before workers start
MOST_WORKERS = 8  # each worker holds its own KB caches and imports
PART_ROWS = 250_000  # the most rows a worker screens at once: what bounds its memory


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask where the system has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def screen_in_pool(
    meds: pd.DataFrame,
    patients: pd.DataFrame | None = None,
    *,
    workers: int | None = None,
    db_url: str | None = None,
    as_of: date | None = None,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    min_severity: Severity = Severity.INFO,
    progress: Progress | None = None,
    unit: str | None = None,
    in_process_below: int = IN_PROCESS_BELOW,
) -> ScreenResult:
    """:func:`pharmcheck.batch.screen` on ``workers`` processes (default: the usable CPUs, at
    most MOST_WORKERS); one worker, or a ward of fewer than ``in_process_below`` medication
    rows, is screened in this process."""
    options: dict[str, Any] = {
        "as_of": as_of or date.today(),
        "select": tuple(select),
        "ignore": tuple(ignore),
        "min_severity": min_severity,
        "unit": unit,
    }
    count = min(workers or usable_cpus(), MOST_WORKERS)
    if count < 2 or len(meds) < in_process_below:
        return screen(meds, patients, db_url=db_url, progress=progress, **options)
    # A table the screen refuses is refused here, with its message, before any worker starts.
    normalise_columns(meds.iloc[:0], MED_COLUMNS, ("patient_id", "name"), "medications")
    if patients is not None:
        normalise_columns(patients.iloc[:0], PATIENT_COLUMNS, ("patient_id",), "patients")
    url, version = shared_kb(db_url)
    pieces = max(count, -(-len(meds) // PART_ROWS))  # more parts than workers: less memory each
    # Pickled here, once: a pending task holds its bytes, not a copy of the tables' objects.
    parts = [pickle.dumps(part, protocol=5) for part in split_by_patient(meds, patients, pieces)]
    if progress:
        progress(f"screening {len(parts)} parts of the ward in {count} processes", 0, 2)
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    with ProcessPoolExecutor(max_workers=count, mp_context=context) as pool:
        futures = [pool.submit(_screen_part, part, url, version, options) for part in parts]
        del parts
        try:
            results = [future.result() for future in futures]
        except BrokenProcessPool:
            raise PharmcheckError(
                "a worker process of the screen ended without a result (killed, or out of "
                "memory?); nothing was written: screen again with fewer --workers"
            ) from None
    if progress:
        progress("joining the parts", 1, 2)
    return joined(results)


def _screen_part(part: bytes, url: str, version: str, options: dict[str, Any]) -> ScreenResult:
    meds, patients = pickle.loads(part)
    return screen(meds, patients, runner=worker_checker(url, version), **options)


def split_by_patient(
    meds: pd.DataFrame, patients: pd.DataFrame | None, count: int
) -> list[tuple[pd.DataFrame, pd.DataFrame | None]]:
    """The ward in at most ``count`` parts of whole patients, each a range of patient ids in
    natural order holding about as many medication rows as the others. The first part also holds
    the rows without a patient id and what reading the tables noted."""
    ids = text_cells(meds[patient_column(meds.columns, MED_COLUMNS, "medications")])
    codes, distinct = pd.factorize(ids, sort=False)
    keys = [natural_key(pid) for pid in distinct.tolist()]
    order = sorted(range(len(keys)), key=keys.__getitem__)
    rows = np.bincount(codes, minlength=len(keys))[order].cumsum()
    # each later part starts at the patient after whom its share of the rows is reached
    cuts = np.searchsorted(rows, [len(meds) * k / count for k in range(1, count)], side="right")
    starts = sorted({int(c) for c in cuts if 0 < c < len(order)})
    bounds = [keys[order[c]] for c in starts]

    def part_of(pid: str) -> int:
        return bisect.bisect_right(bounds, natural_key(pid))

    # one rule for every row of either table: the patient's key against the parts' first keys
    of_distinct = np.array([bisect.bisect_right(bounds, key) for key in keys], dtype=np.int64)
    med_parts = _split(meds, of_distinct[codes], len(bounds) + 1, MED_COLUMNS, part_of)
    if patients is None:
        return [(part, None) for part in med_parts]
    people = text_cells(patients[patient_column(patients.columns, PATIENT_COLUMNS, "patients")])
    where = np.array([part_of(pid) for pid in people.tolist()], dtype=np.int64)
    patient_parts = _split(patients, where, len(bounds) + 1, PATIENT_COLUMNS, part_of)
    return list(zip(med_parts, patient_parts, strict=True))


def _split(
    table: pd.DataFrame,
    where: np.ndarray,
    count: int,
    spec: dict[str, tuple[str, ...]],
    part_of: Any,
) -> list[pd.DataFrame]:
    """``table``'s rows by part (``where``), each part as the screen reads a table: its rows
    numbered as in the source, its malformed rows with it, the notes on reading with the first."""
    numbered = table.assign(**{ROW: row_numbers(table)})
    malformed = table.attrs.get("rejected_rows", [])
    malformed_of = [
        part_of(cell_of(cells, table.columns, "patient_id", spec)) for _, _, cells in malformed
    ]
    parts = []
    for k in range(count):
        part = source_table(numbered[where == k])
        part.attrs["rejected_rows"] = [
            r for r, p in zip(malformed, malformed_of, strict=True) if p == k
        ]
        if k == 0:
            part.attrs["notes"] = list(table.attrs.get("notes", []))
        parts.append(part)
    return parts
