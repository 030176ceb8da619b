"""Failed sign-ins are limited per account and per address, so passwords cannot be guessed at speed.

The limit: 5 failed attempts per email and 20 per client address within 15 minutes; while
either is reached, further attempts for it are refused (429) without checking the password,
until the oldest failure leaves the window. A successful sign-in clears its account's count.
Counts live in the process's memory: a restart forgets them, and each server process counts
on its own (with N processes an address gets at most N times the budget).
"""

from __future__ import annotations

import threading
import time
from collections import deque

WINDOW_S = 15 * 60
PER_ACCOUNT = 5
PER_ADDRESS = 20
MAX_KEYS = 50_000
"""Memory stays bounded however many addresses try; the stalest keys go first."""


class Limiter:
    def __init__(self) -> None:
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def wait_s(self, account: str, address: str) -> int:
        """Seconds until a new attempt is allowed; 0 when it is."""
        now = time.monotonic()
        with self._lock:
            return max(
                self._wait(f"account:{account}", PER_ACCOUNT, now),
                self._wait(f"address:{address}", PER_ADDRESS, now),
            )

    def failed(self, account: str, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in (f"account:{account}", f"address:{address}"):
                self._failures.setdefault(key, deque()).append(now)
                self._failures[key] = self._failures.pop(key)  # most recently used last
            while len(self._failures) > MAX_KEYS:
                del self._failures[next(iter(self._failures))]

    def succeeded(self, account: str) -> None:
        with self._lock:
            self._failures.pop(f"account:{account}", None)

    def _wait(self, key: str, limit: int, now: float) -> int:
        times = self._failures.get(key)
        if not times:
            return 0
        while times and times[0] <= now - WINDOW_S:
            times.popleft()
        if len(times) < limit:
            return 0
        return int(times[-limit] + WINDOW_S - now) + 1
