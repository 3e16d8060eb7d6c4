"""Running the service under uvicorn, after checking that the ``server`` extra is installed."""

from __future__ import annotations

import importlib.util

from pharmcheck.errors import PharmcheckError
from pharmcheck.service.settings import ServiceSettings

SERVER_MODULES = ("fastapi", "uvicorn", "httpx", "jwt", "fhir.resources")


def require_server_extra() -> None:
    """Raise a one-line error naming the extra when a library the service needs is missing."""
    missing = [name for name in SERVER_MODULES if not _installed(name)]
    if missing:
        raise PharmcheckError(
            f"the service needs {', '.join(missing)}: pip install 'pharmcheck[server]'"
        )


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # a dotted name whose parent package is missing
        return False


def run(settings: ServiceSettings, host: str, port: int) -> None:
    """Serve until interrupted."""
    require_server_extra()
    import uvicorn

    from pharmcheck.service.app import create_app

    uvicorn.run(create_app(settings), host=host, port=port, access_log=False, log_level="info")
