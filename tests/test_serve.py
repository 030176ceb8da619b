"""`journeyhub serve` on waitress, stopped the ways operators stop it: SIGTERM and Ctrl-C (SIGINT).

A stop closes the door to new connections, answers what was accepted, lets the in-process
jobs finish, and exits 0: nothing acknowledged is dropped by a restart.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from hub.config import SettingsError, load_settings
from tests.servers import free_port
from tests.test_cli import JOURNEYHUB, env_for

EVENTS = 20


def start_serve(tmp_path: Path, **env: str) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    process = subprocess.Popen(
        [*JOURNEYHUB, "serve", "--port", str(port)],
        env=env_for(tmp_path, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()  # printed once it listens
    assert line == f"journeyhub listening on http://127.0.0.1:{port}\n", process.communicate(timeout=10)
    return process, f"http://127.0.0.1:{port}"


def add_tracking(tmp_path: Path) -> str:
    added = subprocess.run(
        [*JOURNEYHUB, "connection", "add", "tracking", "--name", "web"],
        env=env_for(tmp_path),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return str(json.loads(added.stdout)["write_key"])


def evaluated_event_ids(tmp_path: Path) -> list[int]:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'home' / 'journeyhub.db'}")
    with engine.connect() as conn:
        stats = conn.execute(sa.text("SELECT stats FROM runs WHERE kind = 'evaluate'")).scalars().all()
    engine.dispose()
    return sorted(i for s in stats for i in (json.loads(s) if isinstance(s, str) else s)["event_ids"])


def stopped(process: subprocess.Popen[str], within_s: float = 30) -> tuple[int, str]:
    _, stderr = process.communicate(timeout=within_s)
    return process.returncode, stderr


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_evaluates_every_event_accepted_before_it_and_exits_0(
    tmp_path: Path, signum: signal.Signals
) -> None:
    write_key = add_tracking(tmp_path)
    process, address = start_serve(tmp_path)
    try:
        with requests.Session() as session:
            for n in range(EVENTS):
                answer = session.post(
                    f"{address}/v1/track",
                    json={"userId": f"u{n}", "event": "Signed Up", "messageId": f"m{n}"},
                    auth=(write_key, ""),
                    timeout=10,
                )
                assert answer.status_code == 200 and answer.json()["accepted"] == 1
        process.send_signal(signum)  # at once: the last evaluations are still queued or running
        code, stderr = stopped(process)
    finally:
        process.kill()
    assert code == 0, stderr
    assert "Traceback" not in stderr
    assert evaluated_event_ids(tmp_path) == list(range(1, EVENTS + 1))


def test_a_stop_refuses_new_connections_but_answers_the_request_it_is_receiving(tmp_path: Path) -> None:
    write_key = add_tracking(tmp_path)
    process, address = start_serve(tmp_path)
    port = int(address.rsplit(":", 1)[1])
    body = json.dumps(
        {"batch": [{"type": "track", "userId": "late", "event": "Paid", "messageId": "late-1"}]}
    )
    head = (
        f"POST /v1/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Authorization: Basic {_basic(write_key)}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sending:
            sending.sendall(head.encode() + body[:10].encode())
            time.sleep(0.3)  # the server has read the first part
            process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 10
            while _accepts(port):
                assert time.monotonic() < deadline, "still accepting connections after SIGTERM"
                time.sleep(0.05)
            sending.sendall(body[10:].encode())
            answer = _read_all(sending)
        code, stderr = stopped(process)
    finally:
        process.kill()
    assert answer.startswith(b"HTTP/1.1 200 "), answer
    assert code == 0, stderr
    assert evaluated_event_ids(tmp_path) == [1]


def test_request_threads_are_a_setting_greater_than_zero() -> None:
    assert load_settings().journeyhub_threads == 8
    assert load_settings({"JOURNEYHUB_THREADS": "3"}).journeyhub_threads == 3
    for bad in ("0", "-2", "many"):
        with pytest.raises(SettingsError, match="JOURNEYHUB_THREADS"):
            load_settings({"JOURNEYHUB_THREADS": bad})


def _basic(write_key: str) -> str:
    import base64

    return base64.b64encode(f"{write_key}:".encode()).decode()


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)
