"""The bench's load generator: closed-loop clients on keep-alive connections, spread over processes.

One Python process with `requests` tops out near 1,000 requests/s, which is what the server
being measured reached too, so the client, not the server, set the figure. Here each client
is a thread holding one `http.client` connection (a few tens of microseconds per request),
and the clients are spread over several processes so the GIL of one does not pace the rest.
Each process reports the CPU it used, so the bench can show the client is not the limit.
Standard library only: spawned processes import nothing else.
"""

from __future__ import annotations

import http.client
import multiprocessing as mp
import os
import statistics
import threading
import time
from dataclasses import dataclass
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from pathlib import Path
from urllib.parse import urlsplit

Outcome = tuple[float, bool]


@dataclass
class Result:
    name: str
    requests: int
    events: int
    seconds: float
    latencies_ms: list[float]
    failures: int
    client_cpu_s: float = 0.0
    app_cpu_s: float = 0.0
    db_cpu_s: float = 0.0

    @property
    def events_per_s(self) -> float:
        return self.events / self.seconds

    @property
    def requests_per_s(self) -> float:
        return self.requests / self.seconds

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms)

    @property
    def p99(self) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]

    def cpu_ms(self, seconds: float) -> float:
        """CPU per request: unlike the rates, barely moved by whatever else the machine runs."""
        return 1000 * seconds / self.requests

    @property
    def client_cores(self) -> float:
        """How many cores the load generator kept busy: well under one means it was not the limit."""
        return self.client_cpu_s / self.seconds


def drive(
    name: str,
    url: str,
    path: str,
    bodies: list[bytes],
    per_body: int,
    *,
    clients: int,
    processes: int,
    headers: dict[str, str],
) -> Result:
    """Sends every body once over `clients` connections; a request counts when answered 200."""
    context = mp.get_context("spawn")
    start, results = context.Event(), context.Queue()
    shares = [bodies[i::clients] for i in range(clients)]
    groups = [shares[p::processes] for p in range(processes) if shares[p::processes]]
    workers = [
        context.Process(target=_client_process, args=(url, path, headers, group, start, results), daemon=True)
        for group in groups
    ]
    for worker in workers:
        worker.start()
    for _ in workers:
        results.get(timeout=60)  # "connected"
    began = time.perf_counter()
    start.set()
    reports = [results.get(timeout=600) for _ in workers]
    for worker in workers:
        worker.join()
    seconds = max(finished for finished, _, _ in reports) - began
    outcomes = [o for _, _, chunk in reports for o in chunk]
    ok = sum(1 for _, good in outcomes if good)
    return Result(
        name,
        len(bodies),
        ok * per_body,
        seconds,
        [ms for ms, _ in outcomes],
        len(bodies) - ok,
        client_cpu_s=sum(cpu for _, cpu, _ in reports),
    )


def process_cpu_seconds(roots: list[int]) -> float:
    """CPU used so far by these processes and all their descendants (Linux /proc; 0 elsewhere)."""
    children: dict[int, list[int]] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        pid = int(stat.parent.name)
        children.setdefault(int(fields[1]), []).append(pid)
        times[pid] = (int(fields[11]) + int(fields[12])) / tick
    total, todo = 0.0, list(roots)
    while todo:
        pid = todo.pop()
        total += times.get(pid, 0.0)
        todo.extend(children.get(pid, []))
    return total


def _client_process(
    url: str,
    path: str,
    headers: dict[str, str],
    shares: list[list[bytes]],
    start: Event,
    results: Queue[tuple[float, float, list[Outcome]] | str],
) -> None:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    connections = [http.client.HTTPConnection(host, port, timeout=60) for _ in shares]
    for connection in connections:
        connection.connect()
    outcomes: list[list[Outcome]] = [[] for _ in shares]
    threads = [
        threading.Thread(target=_client, args=(c, path, headers, share, start, out))
        for c, share, out in zip(connections, shares, outcomes, strict=True)
    ]
    for thread in threads:
        thread.start()
    results.put("connected")
    start.wait()
    cpu = time.process_time()
    for thread in threads:
        thread.join()
    finished = time.perf_counter()
    results.put((finished, time.process_time() - cpu, [o for out in outcomes for o in out]))


def _client(
    connection: http.client.HTTPConnection,
    path: str,
    headers: dict[str, str],
    bodies: list[bytes],
    start: Event,
    out: list[Outcome],
) -> None:
    start.wait()
    for body in bodies:
        began = time.perf_counter()
        try:
            connection.request("POST", path, body, headers)
            response = connection.getresponse()
            response.read()
            good = response.status == 200
        except (OSError, http.client.HTTPException):
            connection.close()  # http.client reconnects on the next request
            good = False
        out.append(((time.perf_counter() - began) * 1000, good))
    connection.close()
