"""A private PostgreSQL server for the scale tests, started and stopped by the test session.

``initdb`` creates a cluster in a fresh folder under the system's temporary directory, and
``pg_ctl`` starts it on a free port of 127.0.0.1 (trust authentication there, and only
there) with its socket directory in the same folder. PostgreSQL refuses to run as root, so
as root the folder is handed to the ``postgres`` system user (created by Debian's package)
and the server runs as that user. Every test gets a database of its own. A machine without
PostgreSQL fails these tests, pointing at ``scripts/setup``: the scale path is not optional.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SERVER_USER = "postgres"
START_ATTEMPTS = 3


@dataclass(frozen=True)
class PostgresServer:
    """A running server: its port and version, and a way to make databases on it."""

    port: int
    version: str

    def uri(self, database: str) -> str:
        # SQLAlchemy 2.1 reads a bare ``postgresql://`` as psycopg 3; the driver installed
        # with the dev extras is psycopg2, so the URI names it.
        return f"postgresql+psycopg2://{SERVER_USER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create database ``name`` and return its URI."""
        import psycopg2

        connection = psycopg2.connect(
            host="127.0.0.1", port=self.port, user=SERVER_USER, dbname="postgres"
        )
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{name}"')
        finally:
            connection.close()
        return self.uri(name)


def _bindir() -> Path:
    """The newest installed PostgreSQL's program folder; fails the test when there is none."""
    found = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    if found:
        newest = max(found, key=lambda p: int(re.sub(r"\D", "", Path(p).parts[-3]) or 0))
        return Path(newest).parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    pytest.fail(
        "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb, no initdb on "
        "PATH): run scripts/setup, which installs Debian's postgresql"
    )


def _as_server_user() -> list[str]:
    """The command prefix that runs a PostgreSQL program as a user it accepts."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError:
        pytest.fail(
            f"running as root, but there is no {SERVER_USER!r} user to run PostgreSQL as: "
            "run scripts/setup, which installs Debian's postgresql (it creates that user)"
        )
    return ["runuser", "-u", SERVER_USER, "--"]


def _run(command: list[str], folder: Path) -> str:
    done = subprocess.run(
        command, cwd=folder, capture_output=True, text=True, timeout=120, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"{shlex.join(command)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
        )
    return done.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no server log)"


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server of this test session, on 127.0.0.1; removed with its files after."""
    bindir = _bindir()
    prefix = _as_server_user()
    folder = Path(tempfile.mkdtemp(prefix="glass-metrics-postgres-"))
    data, sockets, logfile = folder / "data", folder / "sockets", folder / "server.log"
    sockets.mkdir()
    if prefix:
        for path in (folder, sockets):
            shutil.chown(path, SERVER_USER, SERVER_USER)
    pg_ctl = [*prefix, str(bindir / "pg_ctl"), "-D", str(data)]
    started = False
    try:
        _run(
            [
                *prefix,
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                SERVER_USER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ],
            folder,
        )
        # Trust on 127.0.0.1 only: no line for the socket, none for other addresses.
        (data / "pg_hba.conf").write_text("host all all 127.0.0.1/32 trust\n")
        if prefix:
            shutil.chown(data / "pg_hba.conf", SERVER_USER, SERVER_USER)

        for attempt in range(1, START_ATTEMPTS + 1):
            port = _free_port()  # another process may take it before the server does
            options = (
                f"-p {port} -k {shlex.quote(str(sockets))} -c listen_addresses=127.0.0.1 "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            )
            try:
                _run(
                    [*pg_ctl, "-l", str(logfile), "-w", "-t", "60", "-o", options, "start"], folder
                )
                started = True
                break
            except RuntimeError as exc:
                if attempt == START_ATTEMPTS:
                    raise RuntimeError(f"{exc}\nserver log:\n{_tail(logfile)}") from None

        version = _run([str(bindir / "postgres"), "--version"], folder).strip()
        yield PostgresServer(port=port, version=version)
    finally:
        if started:
            subprocess.run(
                [*pg_ctl, "-w", "-m", "fast", "stop"],
                cwd=folder,
                capture_output=True,
                timeout=60,
                check=False,
            )
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postgres_uri(postgres: PostgresServer, request) -> str:
    """The URI of a new, empty database on the session's server, for this test alone."""
    name = re.sub(r"\W", "_", request.node.name).lower()[:50]
    return postgres.create_database(name)
