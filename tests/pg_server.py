"""A throwaway PostgreSQL cluster for tests: initdb in a temporary folder, started on a free
loopback port with its socket in that folder, stopped and removed afterwards.

PostgreSQL refuses to run as root, so as root the server runs as the ``postgres`` user (or
``nobody``) through ``runuser``. Without server binaries the tests using it skip, saying why.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest


def server_binaries() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``: $PHARMCHECK_PG_BIN, Debian's newest
    /usr/lib/postgresql/N/bin, or the PATH."""
    configured = os.environ.get("PHARMCHECK_PG_BIN")
    candidates = [Path(configured)] if configured else []
    candidates += (
        sorted(
            Path("/usr/lib/postgresql").glob("*/bin"),
            key=lambda p: int(p.parent.name),
            reverse=True,
        )
        if Path("/usr/lib/postgresql").is_dir()
        else []
    )
    on_path = shutil.which("initdb")
    candidates += [Path(on_path).parent] if on_path else []
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    return None


def _server_user() -> str | None:
    """Who runs the server: the current user unless root, then ``postgres`` or ``nobody``."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    pytest.skip(
        "running as root and neither a 'postgres' nor a 'nobody' user exists for PostgreSQL"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PostgresServer:
    bin: Path
    folder: Path
    port: int
    user: str | None

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=check, timeout=120)

    def sql(self, statement: str) -> None:
        """Run one statement outside a transaction (CREATE DATABASE needs that)."""
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(statement)  # type: ignore[arg-type]

    def create_database(self, name: str, template: str | None = None) -> str:
        self.sql(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return self.url(name)


def start(bin_dir: Path) -> PostgresServer:
    user = _server_user()
    folder = Path(tempfile.mkdtemp(prefix="pharmcheck-pg-"))
    server = PostgresServer(bin_dir, folder, 0, user)
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    try:
        server.run(
            "initdb", "-D", str(folder / "data"), "-U", "postgres", "--auth=trust",
            "-E", "UTF8", "--locale=C",
        )  # fmt: skip
        for _attempt in range(3):  # another process may take the free port before the server does
            server.port = _free_port()
            options = (
                f"-p {server.port} -k {folder} -c listen_addresses=127.0.0.1 "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                "-c max_connections=200"
            )
            started = server.run(
                "pg_ctl", "-D", str(folder / "data"), "-l", str(folder / "server.log"),
                "-o", options, "-w", "-t", "60", "start", check=False,
            )  # fmt: skip
            if started.returncode == 0 and _accepts(server):
                return server
            server.run("pg_ctl", "-D", str(folder / "data"), "-m", "immediate", "stop", check=False)
        log = (folder / "server.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"PostgreSQL did not start: {started.stderr.strip()} {log}")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _accepts(server: PostgresServer, within_s: float = 30) -> bool:
    import psycopg

    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            server.sql("SELECT 1")
            return True
        except psycopg.OperationalError:
            time.sleep(0.2)
    return False


def stop(server: PostgresServer) -> None:
    try:
        server.run(
            "pg_ctl", "-D", str(server.folder / "data"), "-m", "fast", "-w", "stop", check=False
        )
    finally:
        shutil.rmtree(server.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    bin_dir = server_binaries()
    if bin_dir is None:
        pytest.skip(
            "no PostgreSQL server binaries (initdb, pg_ctl): install postgresql-15 or set "
            "PHARMCHECK_PG_BIN"
        )
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed: pip install 'pharmcheck[postgres]'")
    server = start(bin_dir)
    try:
        yield server
    finally:
        stop(server)
