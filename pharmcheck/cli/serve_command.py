"""``pharmcheck serve``: run the CDS Hooks service."""

from __future__ import annotations

from pathlib import Path

import click

from pharmcheck.cli.options import db_option


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--public-url",
    metavar="URL",
    help="The base URL EHRs call (each token's aud is this URL plus the path called; "
    "default: http://HOST:PORT).",
)
@click.option(
    "--trusted-issuers",
    metavar="FILE",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="PHARMCHECK_TRUSTED_ISSUERS",
    help="YAML or JSON allowlist of the EHRs (iss, keys, jku) whose signed calls are accepted "
    "(env PHARMCHECK_TRUSTED_ISSUERS).",
)
@click.option(
    "--allow-unauthenticated",
    is_flag=True,
    help="Accept calls without a token: for local trials, on a loopback address only.",
)
@db_option
def serve(
    host: str,
    port: int,
    public_url: str | None,
    trusted_issuers: Path | None,
    allow_unauthenticated: bool,
    db_url: str | None,
) -> None:
    """Run the CDS Hooks service (order-select, order-sign, patient-view) over HTTP."""
    from pharmcheck.service.settings import ServiceSettings

    settings = ServiceSettings(
        db_url=db_url,
        public_url=public_url or f"http://{_url_host(host)}:{port}",
        trusted_issuers=trusted_issuers,
        allow_unauthenticated=allow_unauthenticated,
        host=host,
    )
    if allow_unauthenticated:
        click.echo(
            "pharmcheck: warning: --allow-unauthenticated: calls without a signed token are "
            "accepted; never use this with real patient data",
            err=True,
        )
    from pharmcheck.service.run import run

    run(settings, host, port)


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
