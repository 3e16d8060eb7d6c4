"""Running the service under uvicorn, after checking that the ``server`` extra is installed."""

from __future__ import annotations

from pharmcheck.extras import require_extra
from pharmcheck.service.settings import ServiceSettings


def run(settings: ServiceSettings, host: str, port: int) -> None:
    """Serve until interrupted."""
    require_extra("server", "pharmcheck serve")
    import uvicorn

    from pharmcheck.service.app import create_app

    uvicorn.run(create_app(settings), host=host, port=port, access_log=False, log_level="info")
