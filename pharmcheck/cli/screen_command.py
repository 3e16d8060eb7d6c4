"""``pharmcheck screen``: screen a whole ward or hospital from tables."""

from __future__ import annotations

import sys
from contextlib import AbstractContextManager, ExitStack, nullcontext
from datetime import date
from pathlib import Path
from typing import IO, TYPE_CHECKING

import click

from pharmcheck.cli.options import dash_is_stdout, db_option
from pharmcheck.cli.output import stdout_bytes
from pharmcheck.domain import SEVERITY_NAMES, Severity
from pharmcheck.files import refuse_clashes, replacing
from pharmcheck.report.escape import spreadsheet_cell, visible

if TYPE_CHECKING:  # the batch extra is imported only when a screen runs
    from pharmcheck.batch.results import ScreenResult

_SHOWN_PATIENTS = 50


@click.command()
@click.argument("meds", metavar="MEDS")
@click.option(
    "--patients", metavar="PATIENTS", help="One row per patient (CSV, TSV, .xlsx or .parquet)."
)
@click.option(
    "--sheet",
    metavar="NAME",
    help="The sheet of an .xlsx MEDS to read (default: the first; the others are named in a note).",
)
@click.option(
    "--patients-sheet",
    metavar="NAME",
    help="The sheet of an .xlsx PATIENTS to read (default: the first).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, allow_dash=True),
    callback=dash_is_stdout,
    help="Write findings here (`-`: stdout; with --engine dask: a folder of Parquet files).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "jsonl", "json", "parquet"]),
    default="csv",
    show_default=True,
)
@click.option(
    "--summary",
    "summary_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the per-patient summary (CSV) here.",
)
@click.option(
    "--as-of",
    "as_of",
    metavar="DATE",
    help="Screening date for patients without as_of (default: today).",
)
@click.option("--select", multiple=True, metavar="CODE")
@click.option("--ignore", multiple=True, metavar="CODE")
@click.option(
    "--min-severity", type=click.Choice(SEVERITY_NAMES), default="info", show_default=True
)
@click.option("--fail-on", type=click.Choice(SEVERITY_NAMES), default="major", show_default=True)
@click.option(
    "--unit",
    metavar="NAME",
    help="Apply this unit's site overrides as well as the site-wide ones (suppressed rows are "
    "counted on stderr, not written).",
)
@click.option(
    "--allow-unrecognized",
    is_flag=True,
    help="Unrecognised inputs and rejected rows do not set exit 1.",
)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even with findings (errors still exit 2).")
@click.option(
    "--engine",
    type=click.Choice(["single", "dask"]),
    default="single",
    show_default=True,
    help="dask: screen on a Dask cluster (the [dask] extra); -o names a folder of Parquet files.",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="The Dask scheduler to use (default: a local cluster on this machine).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Worker processes: of a pool on this machine (default: one per usable CPU, at most 8; "
    "1 screens in this process, as does any ward under 100,000 rows), or of the local Dask "
    "cluster (default: one per CPU).",
)
@db_option
def screen(
    meds: str,
    patients: str | None,
    sheet: str | None,
    patients_sheet: str | None,
    output: Path | None,
    fmt: str,
    summary_file: Path | None,
    as_of: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    min_severity: str,
    fail_on: str,
    unit: str | None,
    allow_unrecognized: bool,
    exit_zero: bool,
    engine: str,
    scheduler: str | None,
    workers: int | None,
    db_url: str | None,
) -> None:
    """Screen MEDS (one row per medication: patient_id, name, and optionally dose, frequency,
    route, start, stop, status) for every patient at once.

    \b
    Inputs are CSV, TSV, Excel (.xlsx) or Parquet by extension; `-` reads CSV from stdin.
    Output has one row per finding; unrecognised names, structures matching no KB drug and
    rejected rows appear as rows with category `unrecognized` / `structure-only` /
    `rejected-row` and their source row numbers.
    A summary goes to stderr. Exit codes follow `pharmcheck check`.
    """
    from pharmcheck.extras import require_extra

    require_extra("batch", "pharmcheck screen")
    from pharmcheck.errors import InputError
    from pharmcheck.inputs.document import parse_date

    if meds == "-" and patients == "-":
        raise InputError("MEDS and --patients cannot both be read from stdin (-)")
    if patients_sheet is not None and patients is None:
        raise InputError("--patients-sheet needs --patients")
    refuse_clashes(
        [("findings file", output), ("summary file", summary_file)],
        [("medications file", meds), ("patients file", patients)],
    )
    when = parse_date(as_of, "--as-of") if as_of else date.today()
    if engine == "dask":
        if output is None or summary_file is not None or meds == "-" or patients == "-":
            raise InputError(
                "--engine dask needs -o OUT_DIR (Parquet partitions), files or folders as input, "
                "and no --summary"
            )
        given_format = (
            click.get_current_context().get_parameter_source("fmt")
            != click.core.ParameterSource.DEFAULT
        )
        ignored = [
            option
            for option, given in (
                ("--unit", unit is not None),
                ("--sheet", sheet is not None),
                ("--patients-sheet", patients_sheet is not None),
                (f"--format {fmt}", given_format and fmt != "parquet"),
            )
            if given
        ]
        if ignored:  # the Dask screen has none of these: they would be silently ignored
            raise InputError(
                f"--engine dask does not take {', '.join(ignored)} (it writes Parquet files, "
                "reads CSV, TSV or Parquet, and applies site-wide overrides only)"
            )
        _screen_on_dask(
            meds, patients, output, scheduler, workers, db_url, when, select, ignore,
            Severity.parse(min_severity), Severity.parse(fail_on),
            allow_unrecognized, exit_zero,
        )  # fmt: skip
        return
    if scheduler is not None:
        raise InputError("--scheduler needs --engine dask")
    if output is not None and output.is_dir():
        raise InputError(f"{output} is a folder: -o names a file (a folder with --engine dask)")
    if fmt == "parquet" and output is None:
        raise InputError("--format parquet needs -o FILE")
    from pharmcheck.batch import read_table
    from pharmcheck.batch.pool import collecting_for_screening, pool_for, screen_in_pool

    bar = (
        ProgressBar(sys.stderr) if sys.stderr.isatty() else None
    )  # silent when stderr is a file or pipe
    try:
        with ExitStack() as files:
            # Begun first: a summary that cannot be written fails before the findings file is
            # replaced.
            summary_to = files.enter_context(replacing(summary_file)) if summary_file else None
            with (
                collecting_for_screening(),
                pool_for(workers, meds, db_url) as pool,
                _csv_output(output, fmt) as csv_to,
            ):
                result = screen_in_pool(
                    read_table(meds, sheet),
                    read_table(patients, patients_sheet) if patients else None,
                    workers=workers,
                    db_url=db_url,
                    as_of=when,
                    select=select,
                    ignore=ignore,
                    min_severity=Severity.parse(min_severity),
                    progress=bar.screening if bar else None,
                    unit=unit,
                    pool=pool,
                    csv_to=csv_to,
                    scratch=output.resolve().parent if output else None,
                )
            if bar:
                bar.writing()
            if csv_to is None:
                _write(result, output, fmt)
            if summary_to is not None:
                result.summary.map(
                    lambda cell: spreadsheet_cell(cell) if isinstance(cell, str) else cell
                ).to_csv(summary_to, index=False)
    finally:
        if bar:
            bar.close()
    _print_summary(result)
    if exit_zero:
        return
    threshold = Severity.parse(fail_on)
    failing = any(Severity.parse(label) >= threshold for label in result.severities + result.hidden)
    uncovered = result.unrecognized or result.rows_reported
    raise SystemExit(1 if failing or (uncovered and not allow_unrecognized) else 0)


class ProgressBar:
    """One tqdm bar over the whole command: reading the tables, each step of the screen, writing."""

    def __init__(self, file: IO[str]):
        from tqdm import tqdm

        # No rate or estimate: the steps differ in length by a factor of a hundred.
        self._tqdm = tqdm(
            total=2,
            desc="reading the tables",
            file=file,
            leave=False,
            bar_format="{desc} {bar} {n_fmt}/{total_fmt} steps [{elapsed}]",
        )

    def screening(self, what: str, done: int, total: int) -> None:
        """The library's :data:`~pharmcheck.batch.screening.Progress`: its steps come after
        reading."""
        self._show(what, 1 + done, total + 2)

    def writing(self) -> None:
        self._show("writing the findings", self._tqdm.total - 1, self._tqdm.total)

    def close(self) -> None:
        self._tqdm.close()

    def _show(self, what: str, done: int, total: int) -> None:
        self._tqdm.total, self._tqdm.n = total, done
        self._tqdm.set_description_str(what)  # redraws the bar


def _csv_output(output: Path | None, fmt: str) -> AbstractContextManager[IO[bytes] | None]:
    """Where the screen writes CSV as it joins its parts; other formats are written after it."""
    if fmt != "csv":
        return nullcontext(None)
    return replacing(output) if output is not None else stdout_bytes()


def _write(result: ScreenResult, output: Path | None, fmt: str) -> None:
    if output is None:
        with stdout_bytes() as handle:
            _write_to(result, handle, fmt)
    else:
        with replacing(output) as handle:
            _write_to(result, handle, fmt)


def _write_to(result: ScreenResult, handle: IO[bytes], fmt: str) -> None:
    if fmt == "parquet":
        from pyarrow import parquet

        parquet.write_table(result.rows.to_arrow(), handle)
        return
    # Written a block at a time from the compact rows: the text of a million rows is never whole.
    {
        "csv": result.rows.write_csv,
        "jsonl": result.rows.write_jsonl,
        "json": result.rows.write_json,
    }[fmt](handle)


def _print_summary(result: ScreenResult) -> None:
    summary = result.summary
    for note in result.notes:
        click.echo(f"note: {visible(note)}", err=True)
    for row in summary.head(_SHOWN_PATIENTS).itertuples(index=False):
        rejected = f", {row.rejected} rejected row(s)" if row.rejected else ""
        click.echo(
            f"{visible(row.patient_id)}: {row.medications} medication(s), "
            f"{row.findings} finding(s), highest {row.highest_severity}, "
            f"{row.unrecognized} unrecognised{rejected}",
            err=True,
        )
    if len(summary) > _SHOWN_PATIENTS:
        click.echo(
            f"... and {len(summary) - _SHOWN_PATIENTS} more patients (--summary FILE writes them "
            "all)",
            err=True,
        )
    counts = ", ".join(
        f"{result.severities[s.label]} {s.label}" for s in sorted(Severity, reverse=True)
    )
    click.echo(
        f"screened {result.rows_screened} medication row(s) for {len(summary)} patient(s): "
        f"{counts}; {result.unrecognized} unrecognised input(s), "
        f"{result.by_structure} checked by structure only, "
        f"{result.rows_reported} rejected row(s); knowledge base {result.kb_version}",
        err=True,
    )
    if result.hidden:
        hidden = ", ".join(
            f"{result.hidden[s.label]} {s.label}"
            for s in sorted(Severity, reverse=True)
            if result.hidden[s.label]
        )
        click.echo(
            f"{sum(result.hidden.values())} finding row(s) below the minimum severity not written "
            f"({hidden})",
            err=True,
        )
    if result.suppressed:
        by_site = ", ".join(
            f"{result.suppressed[s.label]} {s.label}"
            for s in sorted(Severity, reverse=True)
            if result.suppressed[s.label]
        )
        click.echo(
            f"{sum(result.suppressed.values())} finding row(s) suppressed by site overrides not "
            f"written ({by_site}); `pharmcheck override list` shows who, when and why",
            err=True,
        )


def _screen_on_dask(
    meds: str,
    patients: str | None,
    output: Path,
    scheduler: str | None,
    workers: int | None,
    db_url: str | None,
    when: date,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    min_severity: Severity,
    fail_on: Severity,
    allow_uncovered: bool,
    exit_zero: bool,
) -> None:
    """Screen on Dask into a folder of Parquet files; exit codes as for a single-machine screen."""
    import logging

    logging.getLogger("distributed").setLevel(logging.ERROR)  # its INFO/WARNING chatter on stderr
    from pharmcheck.extras import require_extra

    require_extra("dask", "--engine dask")
    from pharmcheck.batch.dask_screen import screen_on_cluster

    counts = screen_on_cluster(
        meds, patients, output, scheduler=scheduler, workers=workers, db_url=db_url, as_of=when,
        select=select, ignore=ignore, min_severity=min_severity,
    )  # fmt: skip
    click.echo(
        f"wrote {counts.rows} row(s) to {output}: "
        + ", ".join(
            f"{counts.severities.get(s.label, 0)} {s.label}" for s in sorted(Severity, reverse=True)
        )
        + f"; {counts.unrecognized} unrecognised input(s), {counts.rejected} rejected row(s); "
        f"knowledge base {counts.kb_version}",
        err=True,
    )
    if exit_zero:
        return
    failing = any(Severity.parse(label) >= fail_on for label in counts.severities)
    uncovered = counts.unrecognized or counts.rejected
    raise SystemExit(1 if failing or (uncovered and not allow_uncovered) else 0)
