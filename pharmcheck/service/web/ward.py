"""The ward page's screens: an upload read into tables, screened in the background with its
progress told, its findings kept for filtering and download. The screening is the batch
library's (:func:`pharmcheck.batch.screen`), so the page gives exactly what ``screen`` gives."""

from __future__ import annotations

import io
import secrets
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request

from pharmcheck.domain import Severity
from pharmcheck.engine import Checker
from pharmcheck.errors import InputError, PharmcheckError
from pharmcheck.extras import require_extra

if TYPE_CHECKING:
    import pandas as pd

    from pharmcheck.batch import ScreenResult

MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # per request: a 100,000-row ward as CSV is about 6 MB
KEPT_JOBS = 8  # finished screens kept for filtering and download, the oldest dropped first
TABLE_SUFFIXES = (".csv", ".tsv", ".tab", ".txt", ".xlsx", ".xlsm", ".parquet")
SEVERITY_LABELS = tuple(s.label for s in sorted(Severity, reverse=True))
DOWNLOADS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class TooLarge(InputError):
    """The upload is past MAX_UPLOAD_BYTES."""


@dataclass(frozen=True)
class Upload:
    meds: pd.DataFrame
    patients: pd.DataFrame | None
    names: tuple[str, str | None]


@dataclass
class Job:
    """One screen: its step while it runs, then its result or the one-line reason it failed."""

    id: str
    names: tuple[str, str | None]
    started: float = field(default_factory=time.monotonic)
    step: str = "queued"
    done: int = 0
    total: int = 1
    result: ScreenResult | None = None
    error: str | None = None
    seconds: float | None = None

    @property
    def elapsed(self) -> float:
        return self.seconds if self.seconds is not None else time.monotonic() - self.started

    def progress(self, what: str, done: int, total: int) -> None:
        """The batch library's Progress: told before each step."""
        self.step, self.done, self.total = what, done, max(total, 1)


class Jobs:
    """The screens of one app, the last KEPT_JOBS of them."""

    def __init__(self) -> None:
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()

    def start(self, upload: Upload, runner: Checker) -> Job:
        job = Job(secrets.token_urlsafe(12), upload.names)
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > KEPT_JOBS:
                self._jobs.popitem(last=False)
        threading.Thread(target=_run, args=(job, upload, runner), daemon=True).start()
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)


def jobs(app: FastAPI) -> Jobs:
    if not hasattr(app.state, "web_jobs"):
        app.state.web_jobs = Jobs()
    return app.state.web_jobs  # type: ignore[no-any-return]


def _run(job: Job, upload: Upload, runner: Checker) -> None:
    from pharmcheck.batch import screen

    try:
        job.result = screen(upload.meds, upload.patients, runner=runner, progress=job.progress)
    except PharmcheckError as exc:
        job.error = str(exc)
    except Exception as exc:  # noqa: BLE001 - the page must say the screen failed, not spin
        job.error = f"the screen failed: {exc.__class__.__name__}: {exc}"
    finally:
        job.seconds = time.monotonic() - job.started


async def read_upload(request: Request) -> Upload:
    """The two files of the ward form, read as ``pharmcheck screen`` reads them."""
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > MAX_UPLOAD_BYTES:
        raise TooLarge(_too_large(int(length)))
    async with request.form(max_part_size=MAX_UPLOAD_BYTES) as form:
        meds, patients = form.get("meds"), form.get("patients")
        if meds is None or isinstance(meds, str) or not meds.filename:
            raise InputError("choose a medications file (CSV, TSV, XLSX or Parquet)")
        med_table = await _table(meds, "medications")
        patient_table, patient_name = None, None
        if patients is not None and not isinstance(patients, str) and patients.filename:
            patient_table, patient_name = await _table(patients, "patients"), patients.filename
        return Upload(med_table, patient_table, (meds.filename, patient_name))


async def _table(upload: Any, what: str) -> pd.DataFrame:
    require_extra("batch", "the ward page")
    from pharmcheck.batch import read_table

    name = Path(upload.filename).name
    suffix = Path(name).suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise InputError(
            f"{what} file {name}: {suffix or 'no extension'} is not a table "
            "(use .csv, .tsv, .xlsx or .parquet)"
        )
    data = await upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise TooLarge(_too_large(len(data)))
    # read_table reads by extension from a path, exactly as the CLI does: the same one-line reasons.
    with tempfile.TemporaryDirectory(prefix="pharmcheck-upload-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            return read_table(str(path))
        except InputError as exc:
            raise InputError(str(exc).replace(str(path), name)) from None


def _too_large(size: int) -> str:
    return (
        f"the upload is {size / 2**20:.1f} MB; the page takes at most "
        f"{MAX_UPLOAD_BYTES // 2**20} MB (screen larger wards with `pharmcheck screen`)"
    )


#: Rows not screened: each is shown whatever the filters (nothing is lost from view).
UNREAD_CATEGORIES = ("unrecognized", "structure-only", "rejected-row")
#: Rows drawn per table: a larger ward is filtered, or downloaded whole.
MAX_SHOWN_ROWS = 2000


@dataclass(frozen=True)
class Shown:
    """What the ward page draws: the unread rows and the findings passing the filters, each
    cut at MAX_SHOWN_ROWS, with how many there are in all."""

    unread: pd.DataFrame
    unread_total: int
    findings: pd.DataFrame
    findings_total: int


def shown(result: ScreenResult, severity: str, code: str, patient: str) -> Shown:
    """The rows to draw: the finding rows at a severity and above, with a code or code prefix,
    of a patient; and every unread row (of that patient, when one is chosen)."""
    rows = result.findings
    if patient:
        rows = rows[rows["patient_id"] == patient]
    unread_mask = rows["category"].isin(UNREAD_CATEGORIES).astype(bool)
    unread, findings = rows[unread_mask], rows[~unread_mask]
    if severity in SEVERITY_LABELS:
        floor = Severity.parse(severity)
        at_least = [s.label for s in Severity if s >= floor]
        findings = findings[findings["severity"].isin(at_least).astype(bool)]
    if code:
        findings = findings[findings["code"].str.upper().str.startswith(code.upper()).astype(bool)]
    return Shown(
        unread.head(MAX_SHOWN_ROWS), len(unread), findings.head(MAX_SHOWN_ROWS), len(findings)
    )


def download(job: Job, fmt: str) -> tuple[bytes, str]:
    """All the finding rows (never filtered: nothing is lost), as CSV or a workbook."""
    assert job.result is not None
    buffer = io.BytesIO()
    if fmt == "csv":
        job.result.rows.write_csv(buffer)
    else:
        from pharmcheck.report.escape import spreadsheet_cell

        frame = job.result.findings.map(
            lambda cell: spreadsheet_cell(cell) if isinstance(cell, str) else cell
        )
        frame.to_excel(buffer, index=False, sheet_name="findings")
    return buffer.getvalue(), DOWNLOADS[fmt]
