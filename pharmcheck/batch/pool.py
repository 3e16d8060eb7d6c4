"""Screening a ward on every core of one machine: this process and a pool of worker processes,
each screening a part of the ward with :func:`pharmcheck.batch.screen`.

The ward is cut into ranges of patients in natural order (P2 before P10), one per process and of
about equal rows; every row of a patient, in either table, goes to the patient's part, and rows
without a patient id to the first. Joined in part order, the parts give exactly the result of
one process (:func:`pharmcheck.batch.results.joined`). Workers start from a fresh interpreter
(forkserver, else spawn), never a fork of a process whose native threads may hold locks, and
each imports the screen and opens the KB read-only once, as it starts: a :class:`WardPool`
started before the tables are read does that while they are read. Written as CSV, each part's
rows are encoded by the process that screened it: the first part's straight into an output
file, the others' into files of their own, which the system copies in after it."""

from __future__ import annotations

import bisect
import gc
import io
import multiprocessing
import os
import pickle
import shutil
import stat
import tempfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from dataclasses import replace
from datetime import date
from io import BytesIO
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

import numpy as np
import pandas as pd
import pyarrow

from pharmcheck.batch.output import FindingRows
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
from pharmcheck.engine import Checker
from pharmcheck.errors import PharmcheckError

IN_PROCESS_BELOW = 100_000  # medication rows: a smaller ward is screened before workers start
EARLY_START_BYTES = 2_000_000  # a medications file this big starts the workers before it is read
MOST_WORKERS = 8  # each worker holds its own KB caches and imports
PART_ROWS = 500_000  # the most rows a worker screens at once: what bounds its memory
Part = tuple[pd.DataFrame, pd.DataFrame | None]  # a part's medications and patients
_NO_ROWS = FindingRows([], np.zeros(0, dtype=np.int64), [], np.zeros(0, dtype=np.int64))


#: Full collections at most every this many middle-generation ones (Python's default: 10). A
#: million-row screen keeps some 300,000 findings alive, which the default re-scans in about 11
#: full passes (1.5-1.8 s of CPU); memory stays the same (docs/performance.md).
SCREEN_FULL_COLLECTION_EVERY = 1000


def collect_for_screening() -> None:
    """Set this process's garbage collector for a process that only screens (the pool's own
    workers); never called on a process that embeds the library."""
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, SCREEN_FULL_COLLECTION_EVERY)


@contextmanager
def collecting_for_screening() -> Iterator[None]:
    """The collector set as in a worker for the block, then as it was (the CLI's screen: its
    process may be a test's or a script's that goes on)."""
    before = gc.get_threshold()
    collect_for_screening()
    try:
        yield
    finally:
        gc.set_threshold(*before)


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask where the system has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def worker_count(workers: int | None) -> int:
    """``workers``, or else the usable CPUs; at most MOST_WORKERS."""
    return min(workers or usable_cpus(), MOST_WORKERS)


class WardPool:
    """A screen in ``workers`` processes: this one and ``workers - 1`` worker processes, started
    at once. Each worker imports the screen and opens the KB (``db_url``, built here first if
    missing) while this process goes on (reads the tables)."""

    def __init__(self, workers: int, db_url: str | None = None) -> None:
        self.workers = workers
        self.url, self.version = shared_kb(db_url)
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        self._executor = ProcessPoolExecutor(
            workers - 1, mp_context=context, initializer=_warm, initargs=(self.url, self.version)
        )
        for _ in range(workers - 1):  # a worker starts for each task no idle worker takes
            self._executor.submit(os.getpid)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)

    def screen_parts(
        self,
        parts: list[Part],
        options: dict[str, Any],
        files: Sequence[Path | None],
        first_to: IO[bytes] | None = None,
    ) -> list[ScreenResult]:
        """Each part screened (its own rows written to its file, if any, the first part's to
        ``first_to`` if given): every ``workers``-th one, from the first, in this process while
        the workers screen the others. ``parts`` is emptied: each part's tables go once screened
        or sent."""
        futures = {
            k: self._executor.submit(
                _screen_part, pickle.dumps(part, protocol=5), self.url, self.version, options, file
            )
            for k, (part, file) in enumerate(zip(parts, files, strict=True))
            if k % self.workers
        }
        mine = {k: parts[k] for k in range(0, len(parts), self.workers)}
        parts.clear()
        pyarrow.default_memory_pool().release_unused()  # the tables' memory, for the screens
        results = {}
        for k in sorted(mine):
            to = first_to if k == 0 and first_to is not None else files[k]
            results[k] = _screened(mine.pop(k), worker_checker(self.url, self.version), options, to)
        try:
            results |= {k: future.result() for k, future in futures.items()}
        except BrokenProcessPool:
            raise PharmcheckError(
                "a worker process of the screen ended without a result (killed, or out of "
                "memory?): screen again with fewer --workers"
            ) from None
        return [results[k] for k in range(len(results))]


def pool_for(
    workers: int | None, meds: str, db_url: str | None = None
) -> AbstractContextManager[WardPool | None]:
    """A pool of ``workers`` (:func:`worker_count`) started now when the medications file
    ``meds`` is big enough to be screened in parts, so the workers start while it is read;
    else none (:func:`screen_in_pool` starts one if the ward turns out big)."""
    count = worker_count(workers)
    if count < 2 or not os.path.isfile(meds) or os.path.getsize(meds) < EARLY_START_BYTES:
        return nullcontext(None)
    return WardPool(count, db_url)


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
    in_process_below: int | None = None,
    pool: WardPool | None = None,
    csv_to: IO[bytes] | None = None,
    scratch: Path | None = None,
) -> ScreenResult:
    """:func:`pharmcheck.batch.screen` on ``workers`` processes (:func:`worker_count`), or on
    ``pool`` when given; one worker, or a ward of fewer than ``in_process_below`` (default
    IN_PROCESS_BELOW) medication rows, is screened in this process.

    With ``csv_to`` the finding rows are written there as :meth:`FindingRows.write_csv` writes
    them and the result holds none (its ``rows`` are empty). The first part's rows go straight
    into ``csv_to`` when it is a regular file (so a screen that fails may leave some there: the
    CLI writes through :func:`pharmcheck.files.replacing`); the others', and all of them for a
    stream, into a temporary folder in ``scratch`` (by default the system's), joined at the end
    without passing through Python where the system can copy between files itself."""
    options: dict[str, Any] = {
        "as_of": as_of or date.today(),
        "select": tuple(select),
        "ignore": tuple(ignore),
        "min_severity": min_severity,
        "unit": unit,
    }
    count = pool.workers if pool else worker_count(workers)
    below = IN_PROCESS_BELOW if in_process_below is None else in_process_below
    if count < 2 or len(meds) < below:
        result = screen(meds, patients, db_url=db_url, progress=progress, **options)
        if csv_to is None:
            return result
        result.rows.write_csv(csv_to)
        return replace(result, rows=_NO_ROWS)
    # A table the screen refuses is refused here, with its message, before any worker starts.
    normalise_columns(meds.iloc[:0], MED_COLUMNS, ("patient_id", "name"), "medications")
    if patients is not None:
        normalise_columns(patients.iloc[:0], PATIENT_COLUMNS, ("patient_id",), "patients")
    with nullcontext(pool) if pool else WardPool(count, db_url) as running:
        pieces = max(running.workers, -(-len(meds) // PART_ROWS))  # more parts: less memory each
        parts = split_by_patient(meds, patients, pieces)
        del meds, patients  # the parts hold the rows now (unless the caller keeps the tables)
        if progress:
            progress(
                f"screening {len(parts)} parts of the ward in {running.workers} processes", 0, 2
            )
        if csv_to is None:
            results = running.screen_parts(parts, options, [None] * len(parts))
            if progress:
                progress("joining the parts", 1, 2)
            return joined(results)
        with tempfile.TemporaryDirectory(prefix=".pharmcheck-parts-", dir=scratch) as folder:
            files = [Path(folder, f"{k}.csv") for k in range(len(parts))]
            # the first part is screened first, by this process: written where it ends up
            direct = csv_to if _is_regular_file(csv_to) else None
            results = running.screen_parts(parts, options, files, direct)
            if progress:
                progress("joining the parts", 1, 2)
            result = joined(results)
            _join_csv(files[1:] if direct else files, result.rows, csv_to, header=not direct)
    return replace(result, rows=_NO_ROWS)


def _is_regular_file(handle: IO[bytes]) -> bool:
    try:
        return stat.S_ISREG(os.fstat(handle.fileno()).st_mode)
    except (AttributeError, OSError, io.UnsupportedOperation):  # BytesIO and the like
        return False


def _warm(url: str, version: str) -> None:
    """A worker's start: the screen imported (by this module's import), its collector set, and
    the KB opened."""
    collect_for_screening()
    try:
        worker_checker(url, version)
    except PharmcheckError:
        pass  # raised again, with its message, by the first part the worker screens


def _screen_part(
    part: bytes, url: str, version: str, options: dict[str, Any], file: Path | None
) -> ScreenResult:
    return _screened(pickle.loads(part), worker_checker(url, version), options, file)


def _screened(
    part: Part, runner: Checker, options: dict[str, Any], file: Path | IO[bytes] | None
) -> ScreenResult:
    result = screen(*part, runner=runner, **options)
    return result if file is None else _written(result, file)


def _written(result: ScreenResult, file: Path | IO[bytes]) -> ScreenResult:
    """The rows of the part's own patients written to ``file`` (a path, or an open handle) as
    CSV; the result keeps the others (patients without medication rows, rejected rows), which
    the join puts after every part's own rows."""
    rows = result.rows
    screened = int((result.summary["medications"] > 0).sum())  # the first patient_ids
    own = int(np.count_nonzero(rows.patient < screened))  # the first rows
    with file.open("wb") if isinstance(file, Path) else nullcontext(file) as handle:
        FindingRows(rows.patient_ids, rows.patient[:own], rows.items, rows.item[:own]).write_csv(
            handle
        )
    used, item = np.unique(rows.item[own:], return_inverse=True)
    others = [rows.items[i] for i in used.tolist()]
    return replace(
        result, rows=FindingRows(rows.patient_ids, rows.patient[own:], others, item.reshape(-1))
    )


def _join_csv(
    files: list[Path], others: FindingRows, handle: IO[bytes], *, header: bool = True
) -> None:
    """The header (unless ``handle`` has it already), each part's file in part order without its
    header, then the ``others``."""
    heading = BytesIO()
    _NO_ROWS.write_csv(heading)
    skip = len(heading.getvalue())
    if header:
        handle.write(heading.getvalue())
    for file in files:
        _append(file, skip, handle)
    rest = BytesIO()
    others.write_csv(rest)
    handle.write(rest.getbuffer()[skip:])


def _append(file: Path, skip: int, handle: IO[bytes]) -> None:
    """``file`` from byte ``skip`` on, written to ``handle``: copied by the system where both are
    regular files on a system that can, else read and written."""
    with open(file, "rb", buffering=0) as part:
        part.seek(skip)
        if hasattr(os, "copy_file_range") and _is_regular_file(handle):
            handle.flush()
            with suppress(OSError):  # not between these files (another file system): the bytes
                while os.copy_file_range(part.fileno(), handle.fileno(), 1 << 30):
                    pass
            handle.seek(os.lseek(handle.fileno(), 0, os.SEEK_CUR))  # where the system left it
        shutil.copyfileobj(part, handle, 1 << 20)  # what the system did not copy


def split_by_patient(meds: pd.DataFrame, patients: pd.DataFrame | None, count: int) -> list[Part]:
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
    known = dict(zip(distinct.tolist(), of_distinct.tolist(), strict=True))  # each key once
    where = np.array(
        [known[pid] if pid in known else part_of(pid) for pid in people.tolist()], dtype=np.int64
    )
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
