"""Screening beyond one machine on Dask: the unit of work is the patient.

Both tables are shuffled on the patient id into the same number of partitions (hash
partitioning, as Dask's own joins co-locate their sides), so each patient's medication rows and
patient row meet in one partition and never straddle two. Each partition is screened by
:func:`pharmcheck.batch.screen`, the single-machine screen, with the KB opened once per worker
process, read-only, on first use. Every medication row is numbered before the shuffle, so a
rejected or unrecognised row carries its source row number as on one machine.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from pharmcheck.batch.output import OUT_COLUMNS
from pharmcheck.batch.parts import (
    KEY,
    ROW,
    patient_column,
    shared_kb,
    source_table,
    worker_checker,
)
from pharmcheck.batch.screening import screen
from pharmcheck.batch.tables import MED_COLUMNS, PATIENT_COLUMNS, blank_rows, text_cells
from pharmcheck.domain import Severity
from pharmcheck.errors import InputError
from pharmcheck.rules import select_rules

if TYPE_CHECKING:
    import dask.dataframe as dd


@dataclass(frozen=True)
class Written:
    """What a screen on a cluster wrote: rows, and every finding row's count by severity label
    (those below the minimum severity too, as the exit code reads them)."""

    rows: int
    severities: dict[str, int]
    unrecognized: int
    rejected: int
    kb_version: str


def screen_dask(
    meds: dd.DataFrame | str | Path,
    patients: dd.DataFrame | pd.DataFrame | str | Path | None = None,
    *,
    db_url: str | None = None,
    as_of: date | None = None,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    min_severity: Severity = Severity.INFO,
    partitions: int | None = None,
) -> dd.DataFrame:
    """The findings of :func:`pharmcheck.batch.screen` for every patient, as a lazy Dask
    DataFrame with the OUT columns (in patient order within each partition).

    ``meds`` and ``patients`` are Dask DataFrames or paths (CSV, TSV or Parquet files, folders or
    glob patterns). Rows are numbered in the order of the input's partitions, as if the files were
    one table. The KB (``db_url``, default the configured one) must be a file at the same path on
    every worker: it is opened there read-only, once per worker process."""
    import dask.dataframe as dd

    try:
        select_rules(select, ignore)  # a wrong code is refused here, not in every partition
    except ValueError as exc:
        raise InputError(str(exc)) from None
    url, version = shared_kb(db_url)
    med_table = _read(meds)
    count = partitions or max(1, med_table.npartitions)
    med_parts = _by_patient(med_table, MED_COLUMNS, "medications", count)
    people = None
    if patients is not None:
        people = _by_patient(_read(patients), PATIENT_COLUMNS, "patients", count)
    options = {
        "url": url,
        "version": version,
        "as_of": as_of or date.today(),
        "select": tuple(select),
        "ignore": tuple(ignore),
        "min_severity": min_severity,
    }
    meta = pd.DataFrame({c: pd.Series([], dtype="string") for c in OUT_COLUMNS})
    if people is None:
        return dd.map_partitions(screen_partition, med_parts, None, meta=meta, **options)
    return dd.map_partitions(
        screen_partition, med_parts, people, meta=meta, align_dataframes=False, **options
    )


def screen_partition(
    meds: pd.DataFrame,
    patients: pd.DataFrame | None,
    *,
    url: str,
    version: str,
    as_of: date,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    min_severity: Severity,
) -> pd.DataFrame:
    """One partition of whole patients, screened as one ward on one machine."""
    result = screen(
        source_table(meds),
        None if patients is None else source_table(patients),
        runner=worker_checker(url, version),
        as_of=as_of,
        select=select,
        ignore=ignore,
        min_severity=min_severity,
    )
    return result.findings.reset_index(drop=True)


def _as_dask(table: Any) -> dd.DataFrame:
    import dask.dataframe as dd

    if isinstance(table, dd.DataFrame):
        return table
    if isinstance(table, pd.DataFrame):  # a small table (the patients) given in memory
        return dd.from_pandas(table, npartitions=1, sort=False)
    if not isinstance(table, str | Path):
        raise InputError(f"a table must be a Dask DataFrame or a path, not {type(table).__name__}")
    text = str(table)
    if Path(text).is_dir() or text.lower().endswith((".parquet", ".pq")):
        # Arrow types, then text as read_table makes it (pandas' own would make an integer id
        # with a gap a float: "1001.0").
        found = dd.read_parquet(text, dtype_backend="pyarrow")
        meta = pd.DataFrame({c: pd.Series([], dtype="string") for c in found.columns})
        return found.map_partitions(_as_text, meta=meta)
    if text.lower().endswith((".csv", ".tsv", ".txt")):
        return dd.read_csv(
            text,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,  # a blank line is a row, so the rows after it keep their number
            sep="\t" if text.lower().endswith(".tsv") else ",",
        )
    raise InputError(f"{text}: a Dask screen reads CSV, TSV or Parquet (files, folders or globs)")


def _read(table: Any) -> dd.DataFrame:
    """A table numbered as its source numbers its rows; of a file, the blank rows skipped after
    numbering, as read_table skips them (a table given as a DataFrame is screened as given)."""
    numbered = _numbered(_as_dask(table))
    if not isinstance(table, str | Path):
        return numbered
    return numbered.map_partitions(
        lambda part: part[~blank_rows(part.drop(columns=[ROW]))], meta=numbered._meta
    )


def _as_text(part: pd.DataFrame) -> pd.DataFrame:
    import pyarrow as pa

    from pharmcheck.batch.tables import parquet_text

    table = pa.Table.from_pandas(part, preserve_index=False)
    columns = {
        name: parquet_text(column).set_axis(part.index)
        for name, column in zip(table.column_names, table.columns, strict=True)
    }
    return pd.DataFrame(columns, index=part.index, columns=list(part.columns))


def _numbered(table: dd.DataFrame) -> dd.DataFrame:
    """Each row numbered in partition order, the header being row 1 (a running count, computed
    with the rest of the graph)."""
    ones = table.map_partitions(
        lambda part: pd.Series(1, index=part.index, dtype="int64"),
        meta=pd.Series([], dtype="int64"),
    )
    return table.assign(**{ROW: ones.cumsum() + 1})


def _by_patient(
    table: dd.DataFrame, spec: dict[str, tuple[str, ...]], what: str, count: int
) -> dd.DataFrame:
    """``table`` hash-partitioned on its patient id (as text) into ``count`` partitions."""
    column = patient_column(table.columns, spec, what)
    keyed = table.assign(
        **{
            KEY: table[column].map_partitions(
                lambda ids: text_cells(ids).astype(object), meta=(column, object)
            )
        }
    )
    return keyed.shuffle(on=KEY, npartitions=count)


def screen_on_cluster(
    meds: str | Path,
    patients: str | Path | None,
    output: Path,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    db_url: str | None = None,
    as_of: date | None = None,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    min_severity: Severity = Severity.INFO,
) -> Written:
    """:func:`screen_dask` on the cluster at ``scheduler`` (else a local cluster of ``workers``
    processes), its rows of at least ``min_severity`` written as Parquet files in the folder
    ``output``, which replaces any previous one only once complete."""
    import dask

    from pharmcheck.files import replacing_folder

    with _client(scheduler, workers) as client, replacing_folder(output) as folder:
        # Two partitions a worker thread: enough to balance the load, few enough that each
        # partition keeps most of the sharing of distinct medications a whole ward has.
        threads = sum(client.nthreads().values()) or 1
        findings = screen_dask(
            meds,
            patients,
            db_url=db_url,
            as_of=as_of,
            select=select,
            ignore=ignore,
            partitions=2 * threads,
        )
        shown = findings.map_partitions(at_least, min_severity, meta=findings._meta)
        _, written, per_kind = dask.compute(
            shown.to_parquet(folder, write_index=False, compute=False),
            shown.map_partitions(len).sum(),
            findings.groupby(["category", "severity"]).size(),
        )
    by_kind = {(str(c), str(s)): int(n) for (c, s), n in per_kind.items()}
    return Written(
        rows=int(written),
        severities={s: n for (c, s), n in by_kind.items() if s},
        unrecognized=by_kind.get(("unrecognized", ""), 0),
        rejected=by_kind.get(("rejected-row", ""), 0),
        kb_version=shared_kb(db_url)[1],
    )


def at_least(findings: pd.DataFrame, severity: Severity) -> pd.DataFrame:
    """The finding rows of at least ``severity``, and every row about the input (no severity)."""
    rank = findings["severity"].map({s.label: int(s) for s in Severity}).fillna(int(severity))
    return findings[(rank >= int(severity)).to_numpy()]


@contextmanager
def _client(scheduler: str | None, workers: int | None) -> Iterator[Any]:
    """A Dask client of the scheduler at ``scheduler``, else of a local cluster of processes."""
    from distributed import Client, LocalCluster

    if scheduler is not None:
        with Client(scheduler) as client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=workers or os.cpu_count() or 1,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # any free port: two clusters never clash on 8787
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client
