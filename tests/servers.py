"""Real PostgreSQL and Redis servers on loopback, started once per test session.

PostgreSQL refuses to run as root, so as root initdb and pg_ctl run as the `postgres`
system user on a temporary folder it owns. A missing binary stops the run with what to
install: nothing is skipped.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

INSTALL_HINT = "install it with: apt-get install -y postgresql redis-server"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _find(binary: str, pattern: str | None = None) -> str:
    found = shutil.which(binary)
    if not found and pattern:
        candidates = sorted(glob.glob(pattern))
        found = candidates[-1] if candidates else None
    if not found:
        pytest.exit(f"{binary} not found; {INSTALL_HINT}", returncode=4)
    return found


def _as_postgres(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


@dataclass
class Postgres:
    folder: Path
    port: int
    pg_ctl: str

    @property
    def admin_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        subprocess.run(
            _as_postgres([self.pg_ctl, "-D", str(self.folder / "data"), "-m", "immediate", "stop"]),
            check=False,
            capture_output=True,
        )
        shutil.rmtree(self.folder, ignore_errors=True)


def start_postgres() -> Postgres:
    initdb = _find("initdb", "/usr/lib/postgresql/*/bin/initdb")
    pg_ctl = _find("pg_ctl", "/usr/lib/postgresql/*/bin/pg_ctl")
    folder = Path(tempfile.mkdtemp(prefix="journeyhub-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    data = folder / "data"
    port = free_port()
    subprocess.run(
        _as_postgres([initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]),
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=200"
    result = subprocess.run(
        _as_postgres(
            [pg_ctl, "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "-t", "60", "start"]
        ),
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        log = (folder / "log").read_text() if (folder / "log").exists() else ""
        pytest.exit(f"PostgreSQL did not start: {result.stderr}\n{log}", returncode=4)
    return Postgres(folder, port, pg_ctl)


@dataclass
class Redis:
    process: subprocess.Popen[bytes]
    port: int

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def start_redis() -> Redis:
    binary = _find("redis-server")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return Redis(process, port)
        except OSError:
            time.sleep(0.05)
    process.kill()
    pytest.exit("redis-server did not answer PING within 20 s", returncode=4)
