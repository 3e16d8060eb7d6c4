"""The FastAPI application: thin routes over :mod:`pharmcheck.service` modules.

Each route parses its input, calls the library and renders JSON; errors map to a 4xx with a
one-line reason, never a traceback (an unexpected error is a bare 500 "internal error").
"""

from __future__ import annotations

import importlib
import importlib.util

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from pharmcheck._version import __version__
from pharmcheck.service.settings import ServiceSettings


def create_app(settings: ServiceSettings) -> FastAPI:
    """The service for ``settings``: CDS Hooks under ``/cds-services``, rule pages under
    ``/rules``, and the pharmacist pages when :mod:`pharmcheck.service.web` is present."""
    app = FastAPI(
        title="pharmcheck CDS Hooks service",
        version=__version__,
        docs_url=None,  # the interactive pages load scripts from a CDN; the description stays
        redoc_url=None,
    )
    app.state.settings = settings

    @app.get("/cds-services")
    def discovery() -> dict[str, list[dict[str, object]]]:
        return {"services": []}

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"error": "internal error"}, status_code=500)

    if importlib.util.find_spec("pharmcheck.service.web") is not None:
        app.include_router(importlib.import_module("pharmcheck.service.web").router)
    return app
