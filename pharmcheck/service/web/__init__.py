"""The pharmacist's web pages: the check page (``/``) and the ward page (``/screen``).

Server-rendered (Jinja2) with plain CSS; every asset is served by the package and scripts are an
enhancement: with JavaScript off, every form submits and renders on the server.
"""

from pharmcheck.service.web.routes import router

__all__ = ["router"]
