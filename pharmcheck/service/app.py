"""The FastAPI application: thin routes over :mod:`pharmcheck.service` modules.

Each route parses its input, calls the library and renders JSON; errors map to a 4xx with a
one-line reason in an OperationOutcome, never a traceback (an unexpected error is a bare 500
"internal error", and the knowledge base or feedback store failing is a 503).
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, Response

from pharmcheck._version import __version__
from pharmcheck.errors import InputError, KnowledgeBaseError
from pharmcheck.service import schemas
from pharmcheck.service.auth import UNAUTHENTICATED
from pharmcheck.service.guard import Guard, operation_outcome
from pharmcheck.service.prefetch import PrefetchUnavailable
from pharmcheck.service.rule_pages import rule_index_page, rule_page
from pharmcheck.service.runtime import Runtime
from pharmcheck.service.settings import ServiceSettings

log = logging.getLogger("pharmcheck.service")


def create_app(settings: ServiceSettings) -> FastAPI:
    """The service for ``settings``: CDS Hooks under ``/cds-services``, rule pages under
    ``/rules``, and the pharmacist pages when :mod:`pharmcheck.service.web` is present.
    Opens the knowledge base now, so that a bad ``--db`` fails before serving."""
    runtime = Runtime.start(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime.open_client()
        yield
        await runtime.close()

    app = FastAPI(
        title="pharmcheck CDS Hooks service",
        version=__version__,
        docs_url=None,  # the interactive pages load scripts from a CDN; the description stays
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.runtime = runtime

    @app.get(
        "/cds-services",
        responses=schemas.answers({"type": "object", "required": ["services"]}, 401),
    )
    def discovery() -> dict[str, Any]:
        """CDS Hooks discovery: the services, their hooks and prefetch templates."""
        return runtime.discovery()

    @app.post(
        "/cds-services/{service_id}",
        openapi_extra={"requestBody": schemas.json_body(schemas.HOOK_REQUEST)},
        responses=schemas.answers(
            {
                "type": "object",
                "required": ["cards"],
                "properties": {"cards": {"type": "array", "items": schemas.CARD}},
            },
            400,
            401,
            404,
            412,
            413,
            503,
        ),
    )
    async def hook(service_id: str, request: Request) -> Any:
        """Answer one hook call with cards."""
        try:  # a JSONResponse skips FastAPI's re-encoding of the cards (a third of a call's time)
            caller = getattr(request.state, "caller", UNAUTHENTICATED)
            return JSONResponse(await runtime.answer(service_id, request.state.json, caller))
        except PrefetchUnavailable as exc:
            return _outcome(412, "not-found", str(exc))

    @app.post(
        "/cds-services/{service_id}/feedback",
        openapi_extra={"requestBody": schemas.json_body(schemas.FEEDBACK_REQUEST)},
        responses=schemas.answers(
            {"type": "object", "required": ["stored"]}, 400, 401, 404, 413, 503
        ),
    )
    async def feedback(service_id: str, request: Request) -> Any:
        """Store what the clinician did with cards: accepted, or overridden with a reason."""
        caller = getattr(request.state, "caller", UNAUTHENTICATED)
        return await runtime.feedback(service_id, request.state.json, str(caller))

    @app.get("/rules", response_class=HTMLResponse)
    def rules() -> str:
        """Every rule, linked to its page."""
        return rule_index_page()

    @app.get(
        "/rules/{code}",
        response_class=HTMLResponse,
        responses={404: {"description": "No such rule"}},
    )
    def rule(code: str) -> Response:
        """One rule's documentation: what it flags, why, its limits and references."""
        page = rule_page(code)
        if page is None:
            return HTMLResponse(
                "<!doctype html><title>No such rule</title><p>No such rule.</p>", 404
            )
        return HTMLResponse(page)

    @app.exception_handler(InputError)
    async def bad_input(request: Request, exc: InputError) -> JSONResponse:
        return _outcome(400, "invalid", str(exc))

    @app.exception_handler(LookupError)
    async def not_found(request: Request, exc: LookupError) -> JSONResponse:
        return _outcome(404, "not-found", str(exc.args[0]) if exc.args else "not found")

    @app.exception_handler(KnowledgeBaseError)
    async def store_failed(request: Request, exc: KnowledgeBaseError) -> JSONResponse:
        log.error("knowledge base: %s", exc)
        return _outcome(503, "transient", "the knowledge base cannot be used now")

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        log.error("internal error on %s: %s: %s", request.url.path, type(exc).__name__, exc)
        return _outcome(500, "exception", "internal error")

    if importlib.util.find_spec("pharmcheck.service.web") is not None:
        app.include_router(importlib.import_module("pharmcheck.service.web").router)
    app.add_middleware(
        Guard,
        verifier=runtime.verifier,
        base_url=settings.base_url,
        max_body_bytes=settings.max_body_bytes,
        max_json_depth=settings.max_json_depth,
    )
    app.add_middleware(
        CORSMiddleware,  # browser-based CDS clients (CDS Hooks 2.0, "Cross-Origin ...")
        allow_origins=["*"],
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type"],
    )
    return app


def _outcome(status: int, code: str, reason: str) -> JSONResponse:
    return JSONResponse(operation_outcome(code, " ".join(reason.split())), status_code=status)
