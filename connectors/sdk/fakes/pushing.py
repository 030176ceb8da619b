"""Fakes that push: a provider's cohort sync to a webhook URL, replayed from the fake's population.

A provider syncing a cohort to a URL sends all of it first, then only who entered or left
since. `Pusher` remembers per (URL, cohort) what it last told that URL, so each `push()` sends
what the provider's next scheduled sync would; a refused delivery makes it forget, so the
next push is whole again, as providers refresh after errors. Each fake says how its provider
shapes the bodies (`push_bodies`) and authenticates (`push_headers`); ``POST /_fake/push``
(`{"url", "cohort", "full", "size", …credentials}`) does the same over HTTP for the demo
and for `journeyhub fake`.
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import requests
from werkzeug.wrappers import Request, Response

from connectors.sdk.fakes.handlers import ApiError, json_response, read_json

T = TypeVar("T")
PUSH_PATH = "/_fake/push"
TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Sent:
    """One delivery as sent and as the receiver answered it."""

    body: dict[str, Any]
    status: int
    answer: Any


@dataclass(frozen=True)
class Changes:
    """What the next push holds: everyone (`whole`), or who entered and who left since the last."""

    whole: bool
    entered: list[int]
    left: list[int]


def batches(items: Sequence[T], size: int) -> list[list[T]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


class Pusher(abc.ABC):
    """Mixed into a FakeServer (after it) whose provider pushes cohorts; its lock guards the memory."""

    _lock: threading.RLock

    @abc.abstractmethod
    def push_bodies(
        self, url: str, source_ref: str, *, full: bool = False, size: int | None = None
    ) -> list[Any]:
        """The bodies the provider would send now, in order; called holding the lock, remembered as told."""

    @abc.abstractmethod
    def push_headers(self, credentials: dict[str, Any]) -> dict[str, str]:
        """The headers that authenticate a delivery, from the credentials the receiver was given."""

    def push_changes(self, url: str, source_ref: str, members: Iterable[int], *, full: bool) -> Changes:
        now = frozenset(members)
        told = self._push_told().get((url, source_ref))
        self._push_told()[(url, source_ref)] = now
        if told is None or full:
            return Changes(True, sorted(now), [])
        return Changes(False, sorted(now - told), sorted(told - now))

    def forget_push(self, url: str, source_ref: str) -> None:
        with self._lock:
            self._push_told().pop((url, source_ref), None)

    def push(
        self,
        url: str,
        source_ref: str,
        credentials: dict[str, Any],
        *,
        full: bool = False,
        size: int | None = None,
    ) -> list[Sent]:
        """Sends what changed since the last push to `url`; stops at the first refusal."""
        with self._lock:
            bodies = self.push_bodies(url, source_ref, full=full, size=size)
        headers = self.push_headers(credentials)
        sent: list[Sent] = []
        for body in bodies:
            sent.append(deliver(url, body, headers))
            if not 200 <= sent[-1].status < 300:
                self.forget_push(url, source_ref)
                break
        return sent

    def push_route(self, request: Request) -> Response:
        """``POST /_fake/push``: the same as `push()`, answered with each delivery's status."""
        spec = read_json(request)
        if not isinstance(spec, dict) or not isinstance(spec.get("url"), str):
            raise ApiError(
                400, 'send JSON (Content-Type: application/json): {"url": ..., "cohort": ..., ...}'
            )
        try:
            sent = self.push(
                spec["url"],
                str(spec.get("cohort", "")),
                spec,
                full=bool(spec.get("full", False)),
                size=int(spec["size"]) if spec.get("size") is not None else None,
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise ApiError(400, f"cannot push: {exc}") from None
        except requests.RequestException as exc:
            raise ApiError(502, f"the receiver did not answer: {exc}") from None
        return json_response({"sent": [{"status": s.status, "answer": s.answer} for s in sent]})

    def _push_told(self) -> dict[tuple[str, str], frozenset[int]]:
        told: dict[tuple[str, str], frozenset[int]] = self.__dict__.setdefault("_push_memory", {})
        return told


def deliver(url: str, body: Any, headers: dict[str, str]) -> Sent:
    response = requests.post(url, json=body, headers=headers, timeout=TIMEOUT_S)
    try:
        answer: Any = response.json()
    except ValueError:
        answer = response.text
    return Sent(body, response.status_code, answer)
