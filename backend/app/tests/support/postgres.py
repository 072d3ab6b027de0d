"""Finds a PostgreSQL server for the tests, or says why there is none.

Order: TEST_DATABASE_URL; else a throwaway cluster started from the local
PostgreSQL binaries. In CI (CI=true) a missing server fails the tests instead
of skipping them.
"""

from __future__ import annotations

import getpass
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from app.settings import normalize_database_url


@dataclass
class PostgresServer:
    """A server on which the tests may create and drop their own databases."""

    admin_url: str
    cleanup: list[str] = field(default_factory=list)

    def create_database(self, prefix: str = "ois_test") -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(self._libpq(self.admin_url), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = make_url(normalize_database_url(self.admin_url)).set(database=name)
        return url.render_as_string(hide_password=False)

    def drop_database(self, url: str) -> None:
        name = make_url(url).database
        with psycopg.connect(self._libpq(self.admin_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    @staticmethod
    def _libpq(url: str) -> str:
        return url.replace("postgresql+psycopg://", "postgresql://", 1)


class NoPostgres(Exception):
    """No PostgreSQL server could be found or started; the message says why."""


def find_server() -> PostgresServer:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        _check_reachable(url)
        return PostgresServer(admin_url=url)
    return _throwaway_cluster()


def _check_reachable(url: str) -> None:
    try:
        psycopg.connect(PostgresServer._libpq(normalize_database_url(url))).close()
    except psycopg.Error as exc:
        raise NoPostgres(f"TEST_DATABASE_URL is set but unreachable: {exc}") from exc


def _binaries() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    on_path = shutil.which("initdb")
    if on_path:
        found.append(on_path)
    if not found:
        raise NoPostgres(
            "no TEST_DATABASE_URL and no PostgreSQL binaries (initdb) on this machine"
        )
    return Path(found[-1]).parent


def _throwaway_cluster() -> PostgresServer:
    bin_dir = _binaries()
    run_as = _unprivileged_user()
    # The system temp folder, not pytest's: the `postgres` user must reach it.
    data = Path(tempfile.mkdtemp(prefix="ois-pg-"))
    if run_as:
        shutil.chown(data, user=run_as)
    port = _free_port()
    _run(
        run_as,
        [
            str(bin_dir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "--no-sync",
        ],
    )
    opts = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off"
    _run(
        run_as,
        [
            str(bin_dir / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            opts,
            "-l",
            str(data / "log"),
            "-w",
            "start",
        ],
    )
    stop = f"{bin_dir / 'pg_ctl'} -D {data} -m immediate stop"
    server = PostgresServer(
        admin_url=f"postgresql://postgres@127.0.0.1:{port}/postgres"
    )
    server.cleanup.append(f"runuser -u {run_as} -- {stop}" if run_as else stop)
    server.cleanup.append(f"rm -rf {data}")
    return server


def _unprivileged_user() -> str | None:
    """initdb refuses to run as root; as root, run it as the `postgres` user."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise NoPostgres(
            f"running as {getpass.getuser()} with no `postgres` user for initdb"
        ) from None
    return "postgres"


def _run(run_as: str | None, args: list[str]) -> None:
    if run_as:
        args = ["runuser", "-u", run_as, "--", *args]
    result = subprocess.run(args, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise NoPostgres(f"{' '.join(args)} failed: {result.stderr.strip()}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop(server: PostgresServer) -> None:
    for command in server.cleanup:
        subprocess.run(command, shell=True, capture_output=True, check=False)
