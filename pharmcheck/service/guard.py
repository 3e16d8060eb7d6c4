"""The ASGI layer in front of every route: signed-token check and request-body limits.

For ``/cds-services`` (discovery included) a call without an acceptable token gets a bare 401
and its body is never read; a body over the size limit is refused with 413 without reading it
whole; a body must be JSON nested no deeper than the limit, parsed once here and handed to the
route in ``request.state.json``. Other paths (rule pages, the pharmacist pages) pass through.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pharmcheck.errors import InputError
from pharmcheck.service.auth import UNAUTHENTICATED, Caller, TokenVerifier, Unauthorized
from pharmcheck.service.limits import parse_json

CDS_PREFIX = "/cds-services"
log = logging.getLogger("pharmcheck.service")


def operation_outcome(code: str, reason: str) -> dict[str, Any]:
    """A FHIR OperationOutcome with one error issue (CDS Hooks 3.0 asks for one on non-2xx)."""
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": reason}],
    }


class Guard:
    def __init__(
        self,
        app: ASGIApp,
        verifier: TokenVerifier | None,
        base_url: str,
        max_body_bytes: int,
        max_json_depth: int,
    ):
        self.app = app
        self.verifier = verifier
        self.base_url = base_url
        self.max_body_bytes = max_body_bytes
        self.max_json_depth = max_json_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if not (path == CDS_PREFIX or path.startswith(CDS_PREFIX + "/")):
            await self.app(scope, receive, send)  # other pages keep their own limits (uploads)
            return
        state = scope.setdefault("state", {})
        try:
            state["caller"] = self._caller(scope, path)
        except Unauthorized as refused:
            log.warning("401 on %s: %s", path, refused)  # the reason, never the token
            await _send(send, 401, b"", {"www-authenticate": "Bearer"})
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            await _problem(send, 413, "too-costly", self._too_large())
            return
        if scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body.extend(message.get("body", b""))
            if len(body) > self.max_body_bytes:
                await _problem(send, 413, "too-costly", self._too_large())
                return
            if not message.get("more_body"):
                break
        try:
            state["json"] = parse_json(bytes(body), self.max_json_depth)
        except InputError as exc:
            await _problem(send, 400, "invalid", str(exc))
            return
        await self.app(scope, _replay(bytes(body)), send)

    def _caller(self, scope: Scope, path: str) -> Caller:
        if self.verifier is None:
            return UNAUTHENTICATED
        authorization = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
        return self.verifier.verify(authorization, self.base_url + path)

    def _too_large(self) -> str:
        return f"the request body is larger than {self.max_body_bytes} bytes"


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _problem(send: Send, status: int, code: str, reason: str) -> None:
    body = json.dumps(operation_outcome(code, reason)).encode()
    await _send(send, status, body, {"content-type": "application/json"})


async def _send(send: Send, status: int, body: bytes, headers: dict[str, str]) -> None:
    raw = [(k.encode(), v.encode()) for k, v in headers.items()]
    raw.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
