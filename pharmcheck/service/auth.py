"""Who may call: signed JWTs from an allowlist of issuers (CDS Hooks 2.0, "Trusting CDS Clients").

The allowlist file (YAML or JSON) names each trusted EHR::

    issuers:
      - iss: https://ehr.example.org/fhir        # the token's iss, exactly
        jwks_file: ehr-jwks.json                 # its public keys (a JWK Set), beside this file
        jku: [https://ehr.example.org/jwks]      # jku headers accepted (optional; never fetched)
        tenants: [hospital-a]                    # tenant claims accepted (optional)
        fhir_servers: [https://ehr.example.org/fhir]  # fhirServer values accepted (optional)

A token passes only if: its ``alg`` is ES384 or RS384 (never ``none`` or a shared-secret
HMAC); ``typ`` is JWT; ``iss`` is listed; a ``jku`` header, if any, is listed for that issuer;
``kid`` names one of that issuer's keys and the signature verifies; ``aud`` is exactly the URL
called; ``exp``, ``iat`` and ``jti`` are present, ``exp`` is in the future and at most an hour
ahead; and its ``jti`` was not seen before. Keys come only from the file: the service never
downloads a key set.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pharmcheck.errors import InputError

ALGORITHMS = ("ES384", "RS384")
MAX_LIFETIME_SECONDS = 3600  # jti are remembered this long; a token valid for longer is refused
LEEWAY_SECONDS = 60  # clock skew between the EHR and this service


class Unauthorized(Exception):
    """The call carries no acceptable token. Its reason is logged, never sent back."""


@dataclass(frozen=True)
class TrustedIssuer:
    iss: str
    keys: dict[str, Any]  # kid -> a PyJWK
    jku: frozenset[str] = frozenset()
    tenants: frozenset[str] = frozenset()
    fhir_servers: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Caller:
    """Who made an accepted call: logged and stored with feedback (never the token itself)."""

    iss: str
    sub: str | None = None
    tenant: str | None = None
    fhir_servers: frozenset[str] = frozenset()  # where its calls may send the service (empty: any)

    def may_use(self, fhir_server: str) -> bool:
        """Whether this caller's calls may have the service fetch from ``fhir_server`` (and
        send it their FHIR access token)."""
        base = fhir_server.rstrip("/")
        return not self.fhir_servers or any(
            base == s.rstrip("/") or base.startswith(s.rstrip("/") + "/") for s in self.fhir_servers
        )

    def __str__(self) -> str:
        return " ".join(  # the allowed FHIR servers are configuration, not identity
            [
                self.iss,
                *([f"sub={self.sub}"] if self.sub else []),
                *([f"tenant={self.tenant}"] if self.tenant else []),
            ]
        )


UNAUTHENTICATED = Caller("unauthenticated")


def load_issuers(path: Path) -> dict[str, TrustedIssuer]:
    """The allowlist in ``path``, by ``iss``; InputError naming what is wrong."""
    import yaml
    from jwt import PyJWKSet
    from jwt.exceptions import PyJWKSetError

    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"trusted issuers file {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"trusted issuers file {path} is not YAML or JSON: {exc}") from None
    entries = document.get("issuers") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise InputError(f"trusted issuers file {path}: give a non-empty list `issuers`")
    issuers: dict[str, TrustedIssuer] = {}
    for number, entry in enumerate(entries, 1):
        where = f"trusted issuers file {path}, issuer {number}"
        if not isinstance(entry, dict) or not isinstance(entry.get("iss"), str) or not entry["iss"]:
            raise InputError(f"{where}: give `iss`, the issuer URL its tokens carry")
        jwks = entry.get("jwks")
        if "jwks_file" in entry:
            jwks_path = path.parent / str(entry["jwks_file"])
            try:
                jwks = json.loads(jwks_path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise InputError(f"{where}: cannot read the JWK Set {jwks_path}: {exc}") from None
        if not isinstance(jwks, dict):
            raise InputError(f"{where}: give `jwks_file` (a JWK Set file) or `jwks` (inline)")
        try:
            key_set = PyJWKSet.from_dict(jwks)
        except PyJWKSetError as exc:
            raise InputError(f"{where}: the JWK Set is unusable: {exc}") from None
        keys = {key.key_id: key for key in key_set.keys if key.key_id}
        if not keys:
            raise InputError(f"{where}: no key with a `kid` in its JWK Set")
        issuers[entry["iss"]] = TrustedIssuer(
            iss=entry["iss"],
            keys=keys,
            jku=frozenset(_strings(entry.get("jku"), where, "jku")),
            tenants=frozenset(_strings(entry.get("tenants"), where, "tenants")),
            fhir_servers=frozenset(_strings(entry.get("fhir_servers"), where, "fhir_servers")),
        )
    return issuers


def _strings(value: Any, where: str, name: str) -> list[str]:
    if value is None:
        return []
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
        raise InputError(f"{where}: `{name}` must be a URL or a list of them")
    return values


class TokenVerifier:
    """Checks bearer tokens against the allowlist and remembers every ``jti`` it accepted."""

    def __init__(self, issuers: dict[str, TrustedIssuer]):
        self.issuers = issuers
        self._seen: dict[tuple[str, str], float] = {}  # (iss, jti) -> when it may be forgotten
        self._lock = threading.Lock()
        self._next_purge = 0.0

    def verify(self, authorization: str | None, audience: str) -> Caller:
        """The caller for an ``Authorization`` header value, or :class:`Unauthorized`."""
        import jwt

        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("no bearer token")
        token = token.strip()
        try:
            header = jwt.get_unverified_header(token)
            claimed = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"malformed token: {exc}") from None
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            raise Unauthorized(f"algorithm {alg!r} is not accepted")
        if str(header.get("typ", "")).upper() != "JWT":
            raise Unauthorized("typ is not JWT")
        issuer = self.issuers.get(str(claimed.get("iss")))
        if issuer is None:
            raise Unauthorized("issuer not trusted")
        if "jku" in header and header["jku"] not in issuer.jku:
            raise Unauthorized("jku not trusted for this issuer")
        key = issuer.keys.get(str(header.get("kid")))
        if key is None:
            raise Unauthorized("unknown kid")
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[alg],
                audience=audience,
                issuer=issuer.iss,
                leeway=LEEWAY_SECONDS,
                options={"require": ["iss", "aud", "exp", "iat", "jti"]},
            )
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"token refused: {type(exc).__name__}") from None
        now = time.time()
        if float(claims["exp"]) > now + MAX_LIFETIME_SECONDS + LEEWAY_SECONDS:
            raise Unauthorized("exp is more than an hour ahead")
        tenant = claims.get("tenant")
        if issuer.tenants and tenant not in issuer.tenants:
            raise Unauthorized("tenant not trusted")
        jti = claims["jti"]
        if not isinstance(jti, str) or not jti:
            raise Unauthorized("jti is not a string")
        self._remember(issuer.iss, jti, float(claims["exp"]) + LEEWAY_SECONDS, now)
        sub = claims.get("sub")
        return Caller(
            issuer.iss,
            sub if isinstance(sub, str) and sub else None,
            tenant if isinstance(tenant, str) and tenant else None,
            issuer.fhir_servers,
        )

    def _remember(self, iss: str, jti: str, until: float, now: float) -> None:
        with self._lock:
            if now >= self._next_purge:  # forget expired ids once a minute, not on every call
                self._seen = {k: t for k, t in self._seen.items() if t > now}
                self._next_purge = now + 60
            if self._seen.get((iss, jti), 0.0) > now:
                raise Unauthorized("jti already used")
            self._seen[(iss, jti)] = until
