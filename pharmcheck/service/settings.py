"""How one service instance is configured: the KB, the URL EHRs call, who may call, and limits."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

from pharmcheck.errors import InputError

MAX_BODY_BYTES = 5 * 1024 * 1024  # a 20-medication request with full prefetch is about 60 kB
MAX_JSON_DEPTH = 40  # a prefetched Bundle nests about 14 levels deep inside a hook request
FHIR_TIMEOUT_SECONDS = 2.0  # per outbound FHIR query; CDS Hooks asks for answers in about 500 ms


@dataclass(frozen=True)
class ServiceSettings:
    """``public_url`` is the base URL as the EHR calls it: every token's ``aud`` must be that URL
    followed by the path called. ``trusted_issuers`` is the allowlist file (see
    :mod:`pharmcheck.service.auth`); without it only ``allow_unauthenticated`` on a loopback
    host lets calls in."""

    db_url: str | None = None
    public_url: str = "http://127.0.0.1:8080"
    trusted_issuers: Path | None = None
    allow_unauthenticated: bool = False
    host: str = "127.0.0.1"
    max_body_bytes: int = MAX_BODY_BYTES
    max_json_depth: int = MAX_JSON_DEPTH
    fhir_timeout_seconds: float = FHIR_TIMEOUT_SECONDS

    def __post_init__(self) -> None:
        if self.allow_unauthenticated and not is_loopback(self.host):
            raise InputError(
                f"--allow-unauthenticated is refused on {self.host}: only on a loopback address "
                "(127.0.0.1, ::1, localhost)"
            )
        if not self.allow_unauthenticated and self.trusted_issuers is None:
            raise InputError(
                "the service needs --trusted-issuers FILE (the EHRs allowed to call it), or "
                "--allow-unauthenticated for a local trial on a loopback address"
            )
        if not self.public_url.startswith(("http://", "https://")):
            raise InputError(f"the public URL {self.public_url!r} must start with http(s)://")

    @property
    def base_url(self) -> str:
        return self.public_url.rstrip("/")


def is_loopback(host: str) -> bool:
    """True for localhost and any loopback IP address; a host name other than localhost is not."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
