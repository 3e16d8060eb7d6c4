"""Signed-token checks of the CDS Hooks service (CDS Hooks 2.0, "Trusting CDS Clients"), over
real HTTP, with test keys made here: every failure is a bare 401."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import cds_data
from tests.service_server import serving

httpx = pytest.importorskip("httpx", reason="the service needs the server extra")
jwt = pytest.importorskip("jwt", reason="the service needs the server extra")
pytest.importorskip("fastapi", reason="the service needs the server extra")

ISSUER = "https://ehr.example.org/fhir"
JKU = "https://ehr.example.org/jwks"


@pytest.fixture(scope="module")
def keys() -> dict[str, Any]:
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    return {
        "ec": ec.generate_private_key(ec.SECP384R1()),
        "rsa": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "stranger": ec.generate_private_key(ec.SECP384R1()),
        "p256": ec.generate_private_key(ec.SECP256R1()),
    }


@pytest.fixture(scope="module")
def secured_url(
    keys: dict[str, Any], kb_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    from jwt.algorithms import ECAlgorithm, RSAAlgorithm

    from pharmcheck.service.settings import ServiceSettings

    folder = tmp_path_factory.mktemp("issuers")
    ec_jwk = {
        **json.loads(ECAlgorithm.to_jwk(keys["ec"].public_key())),
        "kid": "ec-1",
        "alg": "ES384",
    }
    rsa_jwk = {
        **json.loads(RSAAlgorithm.to_jwk(keys["rsa"].public_key())),
        "kid": "rsa-1",
        "alg": "RS384",
    }
    (folder / "ehr-jwks.json").write_text(json.dumps({"keys": [ec_jwk, rsa_jwk]}))
    (folder / "issuers.yaml").write_text(
        f"issuers:\n  - iss: {ISSUER}\n    jwks_file: ehr-jwks.json\n    jku: [{JKU}]\n"
        f"    fhir_servers: [{ISSUER}]\n"
    )
    settings = ServiceSettings(db_url=kb_url, trusted_issuers=folder / "issuers.yaml")
    with serving(settings) as url:
        yield url


def token(
    key: Any,
    aud: str,
    *,
    alg: str = "ES384",
    kid: str = "ec-1",
    iss: str = ISSUER,
    lifetime: int = 300,
    jti: str | None = None,
    headers: dict[str, Any] | None = None,
) -> str:
    now = int(time.time())
    claims = {
        "iss": iss,
        "aud": aud,
        "iat": now,
        "exp": now + lifetime,
        "jti": jti or str(uuid.uuid4()),
    }
    return str(
        jwt.encode(
            claims, key, algorithm=alg, headers={"kid": kid, "typ": "JWT", **(headers or {})}
        )
    )


def hs256(header: dict[str, Any], claims: dict[str, Any], secret: bytes) -> str:
    """A token signed with HMAC-SHA256 (PyJWT itself refuses a public key as the secret)."""
    import base64
    import hashlib
    import hmac

    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signed = f"{part(json.dumps(header).encode())}.{part(json.dumps(claims).encode())}"
    mac = hmac.new(secret, signed.encode(), hashlib.sha256).digest()
    return f"{signed}.{part(mac)}"


def discovery(url: str, bearer: str | None) -> Any:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer is not None else {}
    return httpx.get(f"{url}/cds-services", headers=headers)


def refused(answer: Any) -> bool:
    return bool(answer.status_code == 401 and answer.content == b"")


def test_a_signed_token_from_a_trusted_issuer_is_accepted(
    secured_url: str, keys: dict[str, Any]
) -> None:
    aud = f"{secured_url}/cds-services"
    assert discovery(secured_url, token(keys["ec"], aud)).status_code == 200
    assert (
        discovery(secured_url, token(keys["rsa"], aud, alg="RS384", kid="rsa-1")).status_code == 200
    )
    assert discovery(secured_url, token(keys["ec"], [aud], headers={"jku": JKU})).status_code == 200  # type: ignore[arg-type]


def test_a_hook_call_needs_a_token_for_its_own_url(secured_url: str, keys: dict[str, Any]) -> None:
    sign = f"{secured_url}/cds-services/pharmcheck-order-sign"
    body = cds_data.call()
    good = httpx.post(
        sign, json=body, headers={"Authorization": f"Bearer {token(keys['ec'], sign)}"}
    )
    assert good.status_code == 200 and good.json()["cards"]
    discovery_token = token(keys["ec"], f"{secured_url}/cds-services")
    wrong = httpx.post(sign, json=body, headers={"Authorization": f"Bearer {discovery_token}"})
    assert refused(wrong)
    assert refused(httpx.post(sign, json=body))


def test_no_token_or_not_a_token_is_refused(secured_url: str) -> None:
    assert refused(discovery(secured_url, None))
    assert refused(discovery(secured_url, "not-a-jwt"))
    assert refused(
        httpx.get(f"{secured_url}/cds-services", headers={"Authorization": "Basic dTpw"})
    )


def test_wrong_algorithms_are_refused(secured_url: str, keys: dict[str, Any]) -> None:
    aud = f"{secured_url}/cds-services"
    unsigned = jwt.encode(
        {
            "iss": ISSUER,
            "aud": aud,
            "iat": int(time.time()),
            "exp": int(time.time()) + 300,
            "jti": "n1",
        },
        None,
        algorithm="none",
        headers={"kid": "ec-1", "typ": "JWT"},
    )
    assert refused(discovery(secured_url, unsigned))
    # HS256 with the issuer's public key as the shared secret: the classic confusion attack.
    from cryptography.hazmat.primitives import serialization

    public_pem = (
        keys["ec"]
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    claims = {"iss": ISSUER, "aud": aud, "iat": int(time.time()), "exp": int(time.time()) + 300}
    forged = hs256(
        {"alg": "HS256", "typ": "JWT", "kid": "ec-1"}, {**claims, "jti": "h1"}, public_pem
    )
    assert refused(discovery(secured_url, forged))
    assert refused(
        discovery(secured_url, token(keys["p256"], aud, alg="ES256"))
    )  # not ES384 or RS384
    assert refused(discovery(secured_url, token(keys["rsa"], aud, alg="RS256", kid="rsa-1")))


def test_wrong_audience_is_refused(secured_url: str, keys: dict[str, Any]) -> None:
    assert refused(
        discovery(secured_url, token(keys["ec"], "https://other.example.org/cds-services"))
    )
    assert refused(discovery(secured_url, token(keys["ec"], f"{secured_url}/cds-services/")))


def test_expired_or_too_long_lived_tokens_are_refused(
    secured_url: str, keys: dict[str, Any]
) -> None:
    aud = f"{secured_url}/cds-services"
    assert refused(discovery(secured_url, token(keys["ec"], aud, lifetime=-600)))
    assert refused(discovery(secured_url, token(keys["ec"], aud, lifetime=24 * 3600)))


def test_a_replayed_token_is_refused(secured_url: str, keys: dict[str, Any]) -> None:
    once = token(keys["ec"], f"{secured_url}/cds-services", jti="replay-me")
    assert discovery(secured_url, once).status_code == 200
    assert refused(discovery(secured_url, once))


def test_unknown_issuer_key_or_jku_is_refused(secured_url: str, keys: dict[str, Any]) -> None:
    aud = f"{secured_url}/cds-services"
    assert refused(discovery(secured_url, token(keys["ec"], aud, iss="https://evil.example.org")))
    assert refused(discovery(secured_url, token(keys["stranger"], aud)))  # right kid, wrong key
    assert refused(discovery(secured_url, token(keys["ec"], aud, kid="nope")))
    assert refused(
        discovery(
            secured_url, token(keys["ec"], aud, headers={"jku": "https://evil.example.org/jwks"})
        )
    )


def test_a_call_may_name_only_its_issuers_fhir_servers(
    secured_url: str, keys: dict[str, Any]
) -> None:
    sign = f"{secured_url}/cds-services/pharmcheck-order-sign"
    for server, status in (
        (ISSUER, 200),  # everything prefetched: nothing is fetched
        (f"{ISSUER}/", 200),
        ("https://attacker.example.org/fhir", 400),  # the EHR's token would go there
        (f"{ISSUER}-evil.example.org", 400),
    ):
        body = {**cds_data.call(), "fhirServer": server}
        auth = {"Authorization": f"Bearer {token(keys['ec'], sign)}"}
        assert httpx.post(sign, json=body, headers=auth).status_code == status, server


def test_an_unusable_allowlist_is_one_line(tmp_path: Path, kb_url: str) -> None:
    from click.testing import CliRunner

    from pharmcheck.cli import cli

    bad = tmp_path / "issuers.yaml"
    bad.write_text("issuers:\n  - iss: https://ehr.example.org\n    jwks_file: missing.json\n")
    done = CliRunner().invoke(cli, ["serve", "--trusted-issuers", str(bad), "--db", kb_url])
    assert done.exit_code == 2 and "cannot read the JWK Set" in done.output
