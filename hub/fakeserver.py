"""Shared machinery for the local imitations of SaaS APIs (``connectors/*/fake.py``).

The fakes back the embedded demo and the test suite, so they must behave like the real
services wherever our code could tell the difference: paths, bodies, cursors, error shapes
and rate-limit signals. What every fake needs lives here: a loopback WSGI server (HTTPS with
a throwaway CA when the provider's SDK insists on https), a deterministic population of
contacts that costs memory only for what a test changes, cohort membership, fault injection
and rate limiting. Each provider module adds its routes and its own error dialect.
"""

from __future__ import annotations

import abc
import hashlib
import ipaddress
import json
import math
import re
import ssl
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import Any, Self, TypeVar

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

T = TypeVar("T")

LOG_SIZE = 10_000
"""Only the most recent requests are kept, so a 100k-member walk cannot grow memory unbounded."""

FIRST_NAMES = (
    "Ada", "Grace", "Alan", "Katherine", "Linus", "Margaret", "Dennis", "Barbara", "Ken", "Frances",
    "Edsger", "Radia", "Tim", "Hedy", "John", "Sophie", "Guido", "Anita", "Bjarne", "Joan",
)  # fmt: skip
LAST_NAMES = (
    "Lovelace", "Hopper", "Turing", "Johnson", "Torvalds", "Hamilton", "Ritchie", "Liskov", "Thompson",
    "Allen", "Dijkstra", "Perlman", "Berners-Lee", "Lamarr", "McCarthy", "Wilson", "van Rossum", "Borg",
)  # fmt: skip
SLUGS = {name: re.sub(r"[^a-z]", "", name.lower()) for name in FIRST_NAMES + LAST_NAMES}
PLANS = ("free",) * 8 + ("trial",) * 5 + ("pro",) * 5 + ("enterprise",) * 2


@dataclass(frozen=True, slots=True)
class Country:
    code: str
    iso3: str
    name: str
    time_zone: str


COUNTRIES = (
    Country("US", "USA", "United States", "America/New_York"),
    Country("US", "USA", "United States", "America/Los_Angeles"),
    Country("GB", "GBR", "United Kingdom", "Europe/London"),
    Country("DE", "DEU", "Germany", "Europe/Berlin"),
    Country("FR", "FRA", "France", "Europe/Paris"),
    Country("IN", "IND", "India", "Asia/Kolkata"),
    Country("JP", "JPN", "Japan", "Asia/Tokyo"),
    Country("BR", "BRA", "Brazil", "America/Sao_Paulo"),
    Country("AU", "AUS", "Australia", "Australia/Sydney"),
    Country("CA", "CAN", "Canada", "America/Toronto"),
    Country("NL", "NLD", "Netherlands", "Europe/Amsterdam"),
    Country("ES", "ESP", "Spain", "Europe/Madrid"),
)
COUNTRY_BY_CODE = {country.code: country for country in COUNTRIES}

EPOCH = datetime(2022, 1, 1, tzinfo=UTC)
SPAN_S = 3 * 365 * 86_400
"""Generated sign-ups spread over three years and grow with the index, so id order is creation order."""


@dataclass(frozen=True, slots=True)
class CohortSpec:
    """A generated cohort: a share of the population, optionally only those on one plan."""

    key: str
    name: str
    percent: int = 100
    plan: str | None = None


COHORTS = (
    CohortSpec("all", "All customers"),
    CohortSpec("trial", "Trial users", plan="trial"),
    CohortSpec("detractors", "NPS detractors", percent=12),
    CohortSpec("churn-risk", "Churn risk", percent=6),
)


@dataclass(slots=True)
class Person:
    """One contact in provider-neutral terms; each fake renders it in its own dialect."""

    index: int
    email: str | None
    first_name: str
    last_name: str
    plan: str
    country: str
    time_zone: str
    created_at: datetime
    updated_at: datetime
    extra: dict[str, Any] = field(default_factory=dict)


PERSON_FIELDS = frozenset(f.name for f in fields(Person)) - {"index"}


@lru_cache(maxsize=16_384)  # a page checks membership, then renders the same members
def _digest(key: bytes, index: int) -> bytes:
    return hashlib.blake2b(index.to_bytes(8, "little"), key=key, digest_size=24).digest()


def utcnow() -> datetime:
    return datetime.now(UTC)


class Population:
    """Contacts 0..size-1 computed from (seed, index) on demand; only changes are stored.

    Ids derive from the index in every fake, so ascending index is ascending id and
    ascending creation date, which is what cursor pagination needs to stay cheap.
    """

    def __init__(self, size: int, seed: int, cohorts: tuple[CohortSpec, ...] = COHORTS) -> None:
        self.size = size
        self.cohorts = cohorts
        self.version = 0
        self._key = hashlib.sha256(f"journeyhub-fake:{seed}".encode()).digest()
        self._next = size
        self._overrides: dict[int, dict[str, Any]] = {}
        self._emails: dict[str, int] = {}
        self._joined: list[dict[int, datetime]] = [{} for _ in cohorts]
        self._left: list[set[int]] = [set() for _ in cohorts]
        self._base_counts: list[int] | None = None

    @property
    def total(self) -> int:
        return self._next

    def exists(self, index: int) -> bool:
        return 0 <= index < self._next

    def person(self, index: int) -> Person:
        if not self.exists(index):
            raise KeyError(index)
        b = _digest(self._key, index)
        first, last = FIRST_NAMES[b[0] % len(FIRST_NAMES)], LAST_NAMES[b[1] % len(LAST_NAMES)]
        country = COUNTRIES[b[2] % len(COUNTRIES)]
        step = max(1, SPAN_S // max(self.size, 1))
        created = EPOCH + timedelta(seconds=index * step + int.from_bytes(b[4:8], "little") % step)
        person = Person(
            index=index,
            email=f"{SLUGS[first]}.{SLUGS[last]}.{index}@example.com",
            first_name=first,
            last_name=last,
            plan=PLANS[b[3] % len(PLANS)],
            country=country.code,
            time_zone=country.time_zone,
            created_at=created,
            updated_at=created,
        )
        for name, value in self._overrides.get(index, {}).items():
            setattr(person, name, dict(value) if name == "extra" else value)
        return person

    def add(self, values: Mapping[str, Any] | None = None) -> int:
        index, now = self._next, utcnow()
        self._next += 1
        self._overrides[index] = {"created_at": now, "updated_at": now}
        self.update(index, **(values or {}))
        return index

    def update(self, index: int, **values: Any) -> Person:
        """Apply changes; ``extra`` merges, so provider-specific fields accumulate."""
        unknown = set(values) - PERSON_FIELDS
        if unknown:
            raise ValueError(f"unknown person fields: {sorted(unknown)}")
        old = self.person(index)
        changes = self._overrides.setdefault(index, {})
        if "extra" in values:
            values = {**values, "extra": {**old.extra, **values["extra"]}}
        changes.update(values)
        if "updated_at" not in values:
            changes["updated_at"] = utcnow()
        if "email" in values:
            if old.email and self._emails.get(old.email.lower()) == index:
                del self._emails[old.email.lower()]
            if values["email"]:
                self._emails[values["email"].lower()] = index
        self.version += 1
        return self.person(index)

    def index_of_email(self, email: str) -> int | None:
        """Find by email without an index: generated addresses carry their index."""
        wanted = email.lower()
        if wanted in self._emails:
            return self._emails[wanted]
        match = re.search(r"\.(\d+)@", wanted)
        if match and self.exists(int(match.group(1))):
            current = self.person(int(match.group(1))).email
            if current and current.lower() == wanted:
                return int(match.group(1))
        return None

    def _base_member(self, cohort: int, index: int) -> bool:
        spec = self.cohorts[cohort]
        if index >= self.size:
            return False
        if spec.percent >= 100 and spec.plan is None:
            return True
        b = _digest(self._key, index)
        if spec.plan is not None and PLANS[b[3] % len(PLANS)] != spec.plan:
            return False
        slot = 8 + 2 * (cohort % 4)
        return int.from_bytes(b[slot : slot + 2], "little") % 100 < spec.percent

    def in_cohort(self, cohort: int, index: int) -> bool:
        if index in self._joined[cohort]:
            return True
        return index not in self._left[cohort] and self._base_member(cohort, index)

    def join(self, cohort: int, index: int) -> None:
        if not self.exists(index):
            raise KeyError(index)
        self._left[cohort].discard(index)
        self._joined[cohort][index] = utcnow()
        self.version += 1

    def leave(self, cohort: int, index: int) -> None:
        if not self.in_cohort(cohort, index):
            raise KeyError(f"{index} is not in cohort {self.cohorts[cohort].key}")
        self._joined[cohort].pop(index, None)
        if self._base_member(cohort, index):
            self._left[cohort].add(index)
        self.version += 1

    def joined_at(self, cohort: int, index: int) -> datetime:
        if index in self._joined[cohort]:
            return self._joined[cohort][index]
        b = _digest(self._key, index)  # generated members joined within 30 days of signing up
        return self.person(index).created_at + timedelta(
            seconds=int.from_bytes(b[16:20], "little") % 2_592_000
        )

    def count(self, cohort: int) -> int:
        if self._base_counts is None:
            counts = [0] * len(self.cohorts)
            for i in range(self.size):  # index-major, so each digest is computed once
                for c in range(len(self.cohorts)):
                    counts[c] += self._base_member(c, i)
            self._base_counts = counts
        added = sum(1 for i in self._joined[cohort] if not self._base_member(cohort, i))
        return self._base_counts[cohort] - len(self._left[cohort]) + added

    def members(self, cohort: int, after: int = -1, *, before: int | None = None) -> Iterator[int]:
        """Member indices ascending after ``after``, or descending below ``before`` when given."""
        extra = sorted(i for i in self._joined[cohort] if i >= self.size)
        if before is None:
            candidates = chain(range(after + 1, self.size), (i for i in extra if i > after))
        else:
            candidates = chain(
                (i for i in reversed(extra) if i < before), range(min(before, self.size) - 1, -1, -1)
            )
        return (i for i in candidates if self.in_cohort(cohort, i))


class ApiError(Exception):
    """Raised by handlers to answer in the provider's own error dialect."""

    def __init__(self, status: int, message: str | None = None, code: str | None = None) -> None:
        super().__init__(message or str(status))
        self.status, self.message, self.code = status, message, code


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


def json_response(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        json.dumps(data, separators=(",", ":")),
        status,
        headers=dict(headers or {}),
        mimetype="application/json",
    )


def read_json(request: Request) -> Any:
    try:
        return json.loads(request.get_data() or b"null")
    except ValueError as exc:
        raise ApiError(400, f"Invalid JSON body: {exc}", "invalid_json") from exc


def as_int(value: Any, name: str) -> int:
    """A numeric request parameter, or the provider's 400 instead of a crash."""
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise ApiError(400, f"{name} must be an integer, got {value!r}") from exc


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def issue_certificates(folder: Path) -> tuple[Path, ssl.SSLContext]:
    """A CA and a 127.0.0.1/localhost server certificate that live only as long as the fake.

    The extensions (key usage, key identifiers) are the ones strict verifiers such as
    Python 3.13's VERIFY_X509_STRICT insist on, so clients need no special flags.
    """
    now = utcnow()
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "journeyhub fake CA")])
    server_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    addresses = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]

    def builder(subject: x509.Name, public_key: ec.EllipticCurvePublicKey) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(ca_name)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=30))
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        )

    ca_cert = (
        builder(ca_name, ca_key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    cert = (
        builder(server_name, key.public_key())
        .add_extension(x509.SubjectAlternativeName(addresses), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(ca=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, cert_path, key_path = folder / "ca.pem", folder / "server.pem", folder / "server-key.pem"
    ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    return ca_path, context


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
        self.seed, self.tls, self.ca_path = seed, tls, None
        self._port = port
        self._lock = threading.RLock()
        self._faults: deque[_Fault] = deque()
        self._limit, self._window_s = self.default_rate_limit
        self._enforce = False
        self._hits: deque[float] = deque()
        self._log: deque[tuple[str, str]] = deque(maxlen=LOG_SIZE)
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

    @abc.abstractmethod
    def authorized(self, request: Request) -> bool: ...

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

    @abc.abstractmethod
    def provider_credentials(self) -> dict[str, str]:
        """Connection settings beyond ``base_url``/``ca_bundle``, as ``--set`` keys."""

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

    @property
    def requests(self) -> list[tuple[str, str]]:
        """(method, path) of the most recent requests, oldest first."""
        with self._lock:
            return list(self._log)

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
            return hit[1]
        value = compute()
        self._cache[key] = (self.population.version, value)
        while len(self._cache) > 16:
            del self._cache[next(iter(self._cache))]
        return value

    # -- request path ---------------------------------------------------------------------------
    def _wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        with self._lock:
            response = self._respond(request)
            self.decorate(request, response)
        return response(environ, start_response)

    def _respond(self, request: Request) -> Response:
        self._count += 1
        self._log.append((request.method, request.path))
        if not self.authorized(request):
            return self.error(401)
        refusal = self._admit()
        if refusal is not None:
            return self.error(refusal[0], retry_after=refusal[1])
        try:
            endpoint, args = self._url_map.bind_to_environ(request.environ).match()
            return getattr(self, endpoint)(request, **args)
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
