"""Shared machinery for the local imitations of SaaS APIs (``connectors/*/fake.py``).

The fakes back the embedded demo and the test suite, so they must behave like the real
services wherever our code could tell the difference: paths, bodies, cursors, error shapes
and rate-limit signals. What every fake needs lives here: a loopback WSGI server (HTTPS with
a throwaway CA from ``tls`` when the provider's SDK insists on https), fault injection and
rate limiting, over the deterministic population of ``population``, and ``GET /_fake/requests``,
the record of what it received that tests and the demo read back over HTTP. Each provider
module adds its routes and its own error dialect.
"""

from __future__ import annotations

import abc
import math
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self, TypeVar

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from connectors.sdk.fakes.handlers import ApiError, json_response
from connectors.sdk.fakes.population import Person, Population
from connectors.sdk.fakes.record import RECORD_PATH, record
from connectors.sdk.fakes.tls import issue_certificates

T = TypeVar("T")

LOG_SIZE = 10_000
"""Only the most recent requests are kept, so a 100k-member walk cannot grow memory unbounded."""


@dataclass(slots=True)
class _Fault:
    status: int
    after: int
    times: int
    retry_after: int | None


@dataclass(frozen=True, slots=True)
class Usage:
    """The current rate-limit window as the provider's headers describe it."""

    limit: int
    used: int
    window_s: float
    reset_at: float

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)


class _QuietHandler(WSGIRequestHandler):
    """Tests page through thousands of requests; one log line each would drown their output."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class FakeServer(abc.ABC):
    """A provider imitation on 127.0.0.1 with one control surface shared by all fakes.

    Requests are handled one at a time under a lock: the fakes favour exact, race-free
    bookkeeping (faults, rate windows, membership) over throughput. Order of checks for
    every request: authentication (401), rate limit, injected fault, then the route.
    """

    default_rate_limit: tuple[int, float] = (100, 10.0)
    """(limit, window seconds) reported in headers; enforced only after ``rate_limit()``."""
    standard_custom_fields: frozenset[str] = frozenset()
    """Custom fields the generated account already has (like ``plan``)."""

    def __init__(
        self,
        *,
        port: int = 0,
        members: int = 100,
        seed: int = 1,
        tls: bool = False,
        custom_fields: Iterable[str] = (),
    ) -> None:
        self.population = Population(members, seed)
        self.custom_fields = set(self.standard_custom_fields) | set(custom_fields)
        self.seed, self.tls = seed, tls
        self.ca_path: Path | None = None
        self._port = port
        self._lock = threading.RLock()
        self._faults: deque[_Fault] = deque()
        self._limit, self._window_s = self.default_rate_limit
        self._enforce = False
        self._hits: deque[float] = deque()
        self._log: deque[dict[str, Any]] = deque(maxlen=LOG_SIZE)
        self._count = 0
        self._cache: dict[Hashable, tuple[int, Any]] = {}
        self._url_map = Map(self.routes(), strict_slashes=False, merge_slashes=False)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    # -- provider hooks -------------------------------------------------------------------
    @abc.abstractmethod
    def routes(self) -> list[Rule]:
        """Werkzeug rules whose endpoint names are handler method names."""

    token: str
    """The access token the fake accepts; each provider mints it in its own format."""

    def authorized(self, request: Request) -> bool:
        """Bearer auth, which every imitated provider uses; a provider with more schemes overrides."""
        return request.headers.get("Authorization") == f"Bearer {self.token}"

    @abc.abstractmethod
    def error(
        self,
        status: int,
        *,
        message: str | None = None,
        code: str | None = None,
        retry_after: int | None = None,
    ) -> Response:
        """The provider's own error response for ``status`` (429 in its rate-limit form)."""

    @abc.abstractmethod
    def member_id(self, index: int) -> str: ...

    @abc.abstractmethod
    def member_index(self, member_id: str) -> int:
        """Inverse of ``member_id``; raises KeyError for ids this fake never issued."""

    @abc.abstractmethod
    def source_ref(self, cohort: int) -> str: ...

    def provider_credentials(self) -> dict[str, str]:
        """Connection settings beyond ``base_url``/``ca_bundle``, as ``--set`` keys."""
        return {"access_token": self.token}

    @abc.abstractmethod
    def decorate(self, request: Request, response: Response) -> None:
        """Add headers the provider sends on every response (rate-limit counters, ids)."""

    # -- lifecycle ----------------------------------------------------------------------------
    def serve(self) -> Self:
        context = None
        if self.tls:
            self._tmp = tempfile.TemporaryDirectory(prefix="journeyhub-fake-")
            self.ca_path, context = issue_certificates(Path(self._tmp.name))
        self._server = make_server(
            "127.0.0.1",
            self._port,
            self._wsgi,
            threaded=True,
            request_handler=_QuietHandler,
            ssl_context=context,
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{type(self).__name__}:{self._server.server_port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> Self:
        return self if self._server is not None else self.serve()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- what clients need --------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake is not serving; call serve() first")
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self._server.server_port}"

    @property
    def credentials(self) -> dict[str, str]:
        settings = {"base_url": self.base_url, **self.provider_credentials()}
        if self.ca_path is not None:
            settings["ca_bundle"] = str(self.ca_path)
        return settings

    def cohorts(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                {"source_ref": self.source_ref(c), "name": spec.name, "members": self.population.count(c)}
                for c, spec in enumerate(self.population.cohorts)
            ]

    def describe(self) -> dict[str, Any]:
        """What ``journeyhub fake`` prints."""
        return {"base_url": self.base_url, "credentials": self.credentials, "cohorts": self.cohorts()}

    # -- control surface ----------------------------------------------------------------------
    def inject_fault(
        self, status: int, *, after: int = 0, times: int = 1, retry_after: int | None = None
    ) -> None:
        """After ``after`` admitted requests, answer the next ``times`` with the provider's error."""
        if status < 400 or times < 1 or after < 0:
            raise ValueError("status must be an error status, times >= 1 and after >= 0")
        with self._lock:
            self._faults.append(_Fault(status, after, times, retry_after))

    def rate_limit(self, burst: int, window_s: float) -> None:
        """Enforce ``burst`` requests per rolling ``window_s``; beyond it, the provider's 429."""
        with self._lock:
            self._limit, self._window_s, self._enforce = burst, window_s, True
            self._hits.clear()

    def reset_faults(self) -> None:
        """Drop pending faults and go back to the unenforced default rate limit."""
        with self._lock:
            self._faults.clear()
            self._limit, self._window_s = self.default_rate_limit
            self._enforce = False
            self._hits.clear()

    def add_member(self, source_ref: str, member: Mapping[str, Any] | str | None = None) -> str:
        """Put a member into a cohort: a new generated one, a new one with these fields, or an existing id."""
        with self._lock:
            cohort = self.cohort_index(source_ref)
            index = self.member_index(member) if isinstance(member, str) else self.population.add(member)
            self.population.join(cohort, index)
            return self.member_id(index)

    def remove_member(self, source_ref: str, member_id: str) -> None:
        with self._lock:
            self.population.leave(self.cohort_index(source_ref), self.member_index(member_id))

    def set_email(self, member_id: str, email: str | None) -> None:
        with self._lock:
            self.population.update(self.member_index(member_id), email=email)

    def define_field(self, name: str) -> None:
        """Create a custom field/property, as an admin would before a connector may write it."""
        with self._lock:
            self.custom_fields.add(name)

    def person(self, member_id: str) -> Person:
        """The current state of a member, to assert that writes landed."""
        with self._lock:
            return self.population.person(self.member_index(member_id))

    @property
    def request_count(self) -> int:
        return self._count

    # -- helpers for provider modules ---------------------------------------------------------
    def cohort_index(self, source_ref: str) -> int:
        for cohort in range(len(self.population.cohorts)):
            if self.source_ref(cohort) == source_ref:
                return cohort
        raise KeyError(f"unknown cohort {source_ref!r}")

    def usage(self) -> Usage:
        with self._lock:
            now = time.monotonic()
            self._expire(now)
            wait = self._hits[0] + self._window_s - now if self._hits else self._window_s
            return Usage(self._limit, len(self._hits), self._window_s, time.time() + wait)

    def cached(self, key: Hashable, compute: Callable[[], T]) -> T:
        """Memoise an expensive match list until the population next changes."""
        hit = self._cache.get(key)
        if hit is not None and hit[0] == self.population.version:
            cached: T = hit[1]
            return cached
        value = compute()
        self._cache[key] = (self.population.version, value)
        while len(self._cache) > 16:
            del self._cache[next(iter(self._cache))]
        return value

    # -- request path ---------------------------------------------------------------------------
    def _wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        with self._lock:
            if request.path == RECORD_PATH and request.method == "GET":
                return json_response(list(self._log))(environ, start_response)
            response = self._respond(request)
            self.decorate(request, response)
        return response(environ, start_response)

    def _respond(self, request: Request) -> Response:
        self._count += 1
        self._log.append(record(request))
        if not self.authorized(request):
            return self.error(401)
        refusal = self._admit()
        if refusal is not None:
            return self.error(refusal[0], retry_after=refusal[1])
        try:
            endpoint, args = self._url_map.bind_to_environ(request.environ).match()
            handler: Callable[..., Response] = getattr(self, endpoint)
            return handler(request, **args)
        except NotFound:
            return self.error(404)
        except MethodNotAllowed:
            return self.error(405)
        except ApiError as exc:
            return self.error(exc.status, message=exc.message, code=exc.code)

    def _expire(self, now: float) -> None:
        while self._hits and self._hits[0] <= now - self._window_s:
            self._hits.popleft()

    def _admit(self) -> tuple[int, int | None] | None:
        now = time.monotonic()
        self._expire(now)
        if self._enforce and len(self._hits) >= self._limit:
            return 429, max(1, math.ceil(self._hits[0] + self._window_s - now))
        if self._faults:
            fault = self._faults[0]
            if fault.after > 0:
                fault.after -= 1
            else:
                fault.times -= 1
                if fault.times == 0:
                    self._faults.popleft()
                return fault.status, fault.retry_after
        self._hits.append(now)
        return None


class NoCohorts:
    """The source hooks of a FakeServer for systems that hold no cohorts (destinations, webhook
    receivers, the LLM): there is no cohort and no member to name. Listed before FakeServer."""

    def cohorts(self) -> list[dict[str, Any]]:
        return []

    def member_id(self, index: int) -> str:
        raise KeyError(index)

    def member_index(self, member_id: str) -> int:
        raise KeyError(member_id)

    def source_ref(self, cohort: int) -> str:
        raise KeyError(cohort)
