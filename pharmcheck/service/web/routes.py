"""Routes of the pharmacist's pages: parse the form, call the library, render. Nothing else."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

import jinja2
import markupsafe
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException

from pharmcheck.domain import Report, Severity
from pharmcheck.engine import Checker, checker
from pharmcheck.errors import PharmcheckError
from pharmcheck.inputs.pasted import MAX_PASTE_CHARS
from pharmcheck.overrides import add_override
from pharmcheck.report.escape import visible
from pharmcheck.service.web import ward
from pharmcheck.service.web.forms import CheckForm, read_form, read_override
from pharmcheck.service.web.view import (
    OVERRIDE_KINDS,
    SEVERITY_MARKS,
    STATUS_CHOICES,
    line_views,
    medications_of,
    severity_groups,
)

_HERE = Path(__file__).parent
_STATIC = {"style.css": "text/css; charset=utf-8", "app.js": "text/javascript; charset=utf-8"}


class Verbatim(str):
    """A text sent back into a form exactly as given (a field's value), not made visible."""


def shown(value: Any) -> Any:
    """Every text a page shows, with its control, bidi and line-break characters made visible
    (as the text report does), except form values, which go back as given."""
    if isinstance(value, str) and not isinstance(value, Verbatim | markupsafe.Markup):
        return visible(value)
    return value


# Autoescaped: every text from the input is escaped wherever it is shown.
templates = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(_HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        finalize=shown,
    )
)
templates.env.filters["verbatim"] = Verbatim
templates.env.globals["STATIC_VERSION"] = hashlib.sha256(
    b"".join((_HERE / "static" / name).read_bytes() for name in sorted(_STATIC))
).hexdigest()[:12]
templates.env.globals["SEVERITY_MARKS"] = {s.label: mark for s, mark in SEVERITY_MARKS.items()}

router = APIRouter()
#: Eleven fields a pasted line (its corrections), for the longest list one check takes.
MAX_FORM_FIELDS = 11 * 1000 + 100
#: The paste and its corrections: a few times the longest paste read.
MAX_FORM_BYTES = 8 * MAX_PASTE_CHARS
_TOO_LONG = (
    f"the paste is over {MAX_PASTE_CHARS:,} characters: check a shorter list, or a ward with "
    "the ward page"
)


_NOTHING_PASTED = "paste a medication list: there is nothing to check"
_NOTHING_READ = "no line of the paste was read as a medication: nothing was checked"
#: Scripts and styles only from the package's own files (no inline script), forms only to itself.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    return templates.TemplateResponse(
        request, name, context, status_code=status_code, headers=SECURITY_HEADERS
    )


def runner(request: Request) -> Checker:
    """The service's checker: the KB its settings name, or the configured one."""
    settings = getattr(request.app.state, "settings", None)
    return checker(getattr(settings, "db_url", None))


def condition_names(request: Request) -> list[str]:
    """Labels and synonyms of the condition vocabulary, for the conditions field's suggestions."""
    kb = runner(request).kb
    return kb.memo(("web-condition-names",), _names, kb)


def _names(kb: Any) -> list[str]:
    names = set()
    for entry in kb.condition_vocabulary():
        names.add(str(entry["label"]))
        names.update(str(s) for s in entry["synonyms"])
    return sorted(names, key=str.lower)


@router.get("/static/{name}", include_in_schema=False)
def static_file(name: str) -> Response:
    if name not in _STATIC:
        return Response("Not found\n", status_code=404, media_type="text/plain")
    # Pages link each file with its content hash (?v=), so a cached copy is never stale.
    return FileResponse(
        _HERE / "static" / name,
        media_type=_STATIC[name],
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def check_page(request: Request) -> Response:
    return _check_response(request, None, None, None, status=200)


@router.post("/", response_class=HTMLResponse, include_in_schema=False)
async def check_submit(request: Request) -> Response:
    form = await _read_check_form(request)
    if isinstance(form, Response):
        return form
    data, conditions = form
    return _checked(request, data, conditions, print_view=data.get("view") == "print")


@router.post("/override", response_class=HTMLResponse, include_in_schema=False)
async def override_submit(request: Request) -> Response:
    """Save the override asked for on one finding (the check form carries it), then check again:
    the page shows the finding as the site now reports it, or why the override was refused."""
    form = await _read_check_form(request)
    if isinstance(form, Response):
        return form
    data, conditions = form
    try:
        made = add_override(runner(request).kb, **read_override(data))
    except PharmcheckError as exc:
        return _checked(request, data, conditions, refusal=str(exc))
    return _checked(request, data, conditions, notice=f"Saved site override {made.describe()}.")


async def _read_check_form(request: Request) -> tuple[dict[str, str], list[str]] | Response:
    """The check form's fields (and its conditions), or the page saying why it was refused."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_FORM_BYTES:
        return _check_response(request, None, None, _TOO_LONG, status=413)
    try:
        async with request.form(max_fields=MAX_FORM_FIELDS, max_part_size=MAX_FORM_BYTES) as form:
            data = {key: value for key, value in form.multi_items() if isinstance(value, str)}
            conditions = [v for v in form.getlist("condition") if isinstance(v, str)]
    except HTTPException as exc:  # a form the parser refuses: too many fields, a part too large
        return _check_response(
            request, None, None, f"the form was refused: {exc.detail}", status=413
        )
    if len(data.get("medications", "")) > MAX_PASTE_CHARS:
        return _check_response(request, None, None, _TOO_LONG, status=413)
    return data, conditions


def _checked(
    request: Request,
    data: dict[str, str],
    conditions: list[str],
    *,
    print_view: bool = False,
    notice: str | None = None,
    refusal: str | None = None,
) -> Response:
    """Check the form's list and render the results (with an override's outcome, if any)."""
    try:
        read = read_form(data, conditions)
        medications = medications_of(read.lines)
        if not medications:
            return _check_response(
                request, read, None, _NOTHING_READ if read.lines else _NOTHING_PASTED, status=422
            )
        started = time.perf_counter()
        report = runner(request).check(medications, read.patient, as_of=read.as_of, unit=read.unit)
        elapsed = time.perf_counter() - started
    except PharmcheckError as exc:
        values = {**data, "conditions": [c for c in conditions if c.strip()]}
        return _check_response(request, None, None, str(exc), status=422, values=values)
    return _check_response(
        request,
        read,
        report,
        None,
        status=200 if refusal is None else 422,
        print_view=print_view,
        elapsed=elapsed,
        notice=notice,
        refusal=refusal,
    )


def _check_response(
    request: Request,
    read: CheckForm | None,
    report: Report | None,
    error: str | None,
    *,
    status: int,
    values: dict[str, Any] | None = None,
    print_view: bool = False,
    elapsed: float | None = None,
    notice: str | None = None,
    refusal: str | None = None,
) -> Response:
    context = {
        "notice": notice,
        "refusal": refusal,
        "values": read.values if read else (values or {"conditions": []}),
        "error": error,
        "report": report,
        "read": read,
        "lines": line_views(read.raw, read.lines, read.edits, report) if read else [],
        "groups": severity_groups(report.findings) if report else [],
        "status_choices": STATUS_CHOICES,
        "override_kinds": OVERRIDE_KINDS,
        "severity_choices": [s.label for s in sorted(Severity, reverse=True)],
        "condition_names": condition_names(request),
        "elapsed_ms": round(elapsed * 1000, 1) if elapsed is not None else None,
        "print_view": print_view,
        "kb_version": report.kb_version if report else runner(request).kb.version,
    }
    name = "consult_note.html" if print_view and report is not None else "check.html"
    return _page(request, name, context, status_code=status)


@router.get("/screen", response_class=HTMLResponse, include_in_schema=False)
def screen_page(request: Request) -> Response:
    return _page(
        request, "screen.html", {"error": None, "limit_mb": ward.MAX_UPLOAD_BYTES // 2**20}
    )


@router.post("/screen", include_in_schema=False)
async def screen_submit(request: Request) -> Response:
    try:
        upload = await ward.read_upload(request)
    except PharmcheckError as exc:
        status = 413 if isinstance(exc, ward.TooLarge) else 422
        return _screen_error(request, str(exc), status)
    except HTTPException as exc:  # the form parser refused it (too many parts, a part too large)
        return _screen_error(request, f"the upload was refused: {exc.detail}", 400)
    job = ward.jobs(request.app).start(upload, runner(request))
    return RedirectResponse(f"/screen/jobs/{job.id}", status_code=303)


def _screen_error(request: Request, reason: str, status: int) -> Response:
    context = {"error": reason, "limit_mb": ward.MAX_UPLOAD_BYTES // 2**20}
    return _page(request, "screen.html", context, status_code=status)


@router.get("/screen/jobs/{job_id}", response_class=HTMLResponse, include_in_schema=False)
def screen_job(
    request: Request, job_id: str, severity: str = "", code: str = "", patient: str = ""
) -> Response:
    job = ward.jobs(request.app).get(job_id)
    if job is None:
        return _screen_error(request, "that screen is not kept here (any more): upload again", 404)
    filters = {"severity": severity, "code": code.strip(), "patient": patient.strip()}
    # One reading of the job: the screen's thread may finish while the page is drawn.
    result, error = job.result, job.error
    rows = ward.shown(result, **filters) if result is not None else None
    return _page(
        request,
        "job.html",
        {
            "job": job,
            "result": result,
            "error": error,
            "rows": rows,
            "filters": filters,
            "severities": ward.SEVERITY_LABELS,
            "limit": ward.MAX_SHOWN_ROWS,
        },
        status_code=200,
    )


@router.get("/screen/jobs/{job_id}/findings.{fmt}", include_in_schema=False)
def screen_download(request: Request, job_id: str, fmt: str) -> Response:
    job = ward.jobs(request.app).get(job_id)
    if job is None or job.result is None or fmt not in ward.DOWNLOADS:
        return Response(
            "No such download: the screen is unknown, unfinished, "
            "or the format is not csv or xlsx.\n",
            status_code=404,
            media_type="text/plain",
        )
    body, media_type = ward.download(job, fmt)
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="pharmcheck-findings.{fmt}"'},
    )
