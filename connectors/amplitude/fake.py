"""Amplitude Behavioral Cohorts API imitation: the cohort list and the asynchronous download (apis.md §2).

A download takes Amplitude's three steps. ``GET /api/5/cohorts/request/{id}`` starts an
export job (202 with a ``request_id``); its status answers 202 ``JOB INPROGRESS`` for the
first ``ready_after`` polls (0 unless asked, so a plain sync does not wait) and then 200
``JOB COMPLETED``, and only then does ``.../file`` serve it. A job freezes the cohort when
it completes, as Amplitude's computed file does, so downloading it again gives the same
rows. Files over ``inline_limit`` rows are answered with a 302 to a `Bucket` on another
port, whose links expire after ``link_ttl_s``; smaller ones come in the body. Either way the
file is quoted CSV compressed with gzip: as the transfer's Content-Encoding by default, or
as a ``.csv.gz`` body with ``file_format="gz"`` (which one Amplitude uses is unconfirmed).

Basic auth ``api_key:secret_key``; wrong keys are a 401. Past the allowance (60 cohort
requests per 10 minutes per app, enforced only after ``rate_limit()``) comes a 429 without
Retry-After, since the docs name none. Error bodies are ``{"error": ...}`` (unconfirmed).
``break_download()`` cuts the next file transfer short and answers the requests after it
with an error: a dropped connection followed by a busy provider. It also pushes, as Amplitude's
cohort webhooks do (``fake_push``).
"""

from __future__ import annotations

import hashlib
import uuid
from array import array
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Self

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from connectors.amplitude.fake_files import Bucket, FileBody, gzip_csv
from connectors.amplitude.fake_ingest import HTTPAPI_PATH, AmplitudeIngest
from connectors.amplitude.fake_push import AmplitudePusher
from connectors.sdk.fakes.handlers import ApiError, basic_matches, json_response, numeric_index
from connectors.sdk.fakes.population import Person
from connectors.sdk.fakes.pushing import PUSH_PATH
from connectors.sdk.fakes.server import FakeServer

ID_BASE = 300_000_000_000
USER_PROPERTIES = ("email", "first_name", "last_name", "plan", "country", "time_zone")
MAX_JOBS = 64
BATCH = 1000
MESSAGES = {
    400: "Bad request",
    401: "Invalid API key or secret key",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    429: "Too many requests: at most 60 single-cohort requests per 10 minutes per app",
}


@dataclass(slots=True)
class Job:
    """One export request: the cohort, the columns asked for, and once done, the frozen members."""

    request_id: str
    cohort: int
    columns: tuple[str, ...]
    polls: int = 0
    members: array[int] | None = None


@dataclass(slots=True)
class _Break:
    after_rows: int
    downloads: int
    status: int | None
    times: int
    retry_after: int | None


class AmplitudeFake(FakeServer, AmplitudePusher, AmplitudeIngest):
    default_rate_limit = (60, 600.0)
    standard_custom_fields = frozenset({"plan"})

    def __init__(
        self,
        *,
        api_key: str | None = None,
        secret_key: str | None = None,
        ready_after: int = 0,
        inline_limit: int = 100,
        link_ttl_s: int = 60,
        file_format: str = "gzip",
        **options: Any,
    ) -> None:
        super().__init__(**options)
        uid = uuid.uuid5(uuid.NAMESPACE_URL, f"amplitude-fake:{self.seed}")
        self.api_key = api_key or uid.hex
        self.token = secret_key or hashlib.sha256(uid.bytes).hexdigest()[:32]
        self.app_id = 400_000 + self.seed
        self.ready_after, self.inline_limit, self.file_format = ready_after, inline_limit, file_format
        self.jobs: OrderedDict[str, Job] = OrderedDict()
        self.bucket = Bucket(self._bucket_file, ttl_s=link_ttl_s)
        self._break: _Break | None = None

    def routes(self) -> list[Rule]:
        return [
            Rule("/api/3/cohorts", methods=["GET"], endpoint="list_cohorts"),
            Rule("/api/5/cohorts/request/<cohort_id>", methods=["GET"], endpoint="request_cohort"),
            Rule("/api/5/cohorts/request-status/<request_id>", methods=["GET"], endpoint="request_status"),
            Rule("/api/5/cohorts/request/<request_id>/file", methods=["GET"], endpoint="download"),
            Rule(PUSH_PATH, methods=["POST"], endpoint="push_route"),
            Rule(HTTPAPI_PATH, methods=["POST"], endpoint="httpapi"),
        ]

    def serve(self) -> Self:
        self.bucket.serve()
        return super().serve()

    def stop(self) -> None:
        self.bucket.stop()
        super().stop()

    # -- identity and dialect ---------------------------------------------------------------
    def authorized(self, request: Request) -> bool:
        """The push control route is the fake's own, like /_fake/requests: no Amplitude keys; the HTTP V2
        API takes the project's api_key in its body instead."""
        return request.path in (PUSH_PATH, HTTPAPI_PATH) or basic_matches(request, self.api_key, self.token)

    def provider_credentials(self) -> dict[str, str]:
        return {"api_key": self.api_key, "secret_key": self.token}

    def member_id(self, index: int) -> str:
        return str(ID_BASE + index)

    def member_index(self, member_id: str) -> int:
        return numeric_index(member_id, ID_BASE, self.population.exists)

    def source_ref(self, cohort: int) -> str:
        return hashlib.sha1(f"amplitude-fake:{self.seed}:{cohort}".encode()).hexdigest()[:7]  # noqa: S324 - an id, not a digest

    def error(
        self,
        status: int,
        *,
        message: str | None = None,
        code: str | None = None,
        retry_after: int | None = None,
    ) -> Response:
        if status in (401, 429):
            message = MESSAGES[status]
        text = message or MESSAGES.get(status, "Internal server error" if status >= 500 else "Bad request")
        return json_response({"error": text}, status)

    def decorate(self, request: Request, response: Response) -> None:
        """The cohort API sends no rate-limit counters."""

    # -- control surface ----------------------------------------------------------------------
    def break_download(
        self,
        after_rows: int,
        status: int | None = None,
        *,
        downloads: int = 1,
        times: int = 1,
        retry_after: int | None = None,
    ) -> None:
        """The next `downloads` file transfers stop after `after_rows` rows; then `times` requests get `status`."""
        if after_rows < 1 or downloads < 1:
            raise ValueError("after_rows and downloads must be at least 1")
        with self._lock:
            self._break = _Break(after_rows, downloads, status, times, retry_after)

    # -- rendering ----------------------------------------------------------------------------
    def user_id(self, person: Person) -> str:
        """Most people are signed in; every seventh is known only by their amplitude_id."""
        default = "" if person.index % 7 == 3 else f"user-{person.index}"
        return str(person.extra.get("user_id", default))

    def user_properties(self, person: Person) -> dict[str, str]:
        values = {name: getattr(person, name) for name in USER_PROPERTIES}
        values |= {k: v for k, v in person.extra.items() if k != "user_id"}
        return {k: "" if v is None else str(v) for k, v in values.items()}

    def cohort(self, index: int) -> dict[str, Any]:
        spec = self.population.cohorts[index]
        created = int(self.population.person(0).created_at.timestamp()) if self.population.total else 0
        return {
            "appId": self.app_id,
            "archived": False,
            "definition": {"version": 3, "cohortType": "UNIQUES", "andClauses": []},
            "description": f"{spec.name} (generated)",
            "finished": True,
            "hidden": False,
            "id": self.source_ref(index),
            "name": spec.name,
            "owners": ["owner@example.com"],
            "viewers": [],
            "published": True,
            "size": self.population.count(index),
            "type": "redshift",
            "createdAt": created,
            "lastMod": created,
            "lastComputed": created,
        }

    def _rows(self, job: Job) -> Iterator[list[str]]:
        """Rows rendered a batch at a time under the lock, so the transfer never holds it for long."""
        members = job.members if job.members is not None else array("q")
        for start in range(0, len(members), BATCH):
            with self._lock:
                people = [self.population.person(i) for i in members[start : start + BATCH]]
                batch = [
                    [
                        self.member_id(p.index),
                        self.user_id(p),
                        *(self.user_properties(p).get(c, "") for c in job.columns),
                    ]
                    for p in people
                ]
            yield from batch

    def _file(self, job: Job) -> FileBody:
        with self._lock:
            cut = self._break
            if cut is not None:
                cut.downloads -= 1
                self._break = cut if cut.downloads else None
        header = ["amplitude_id", "user_id", *job.columns]

        def fail_next() -> None:
            if cut is not None and not cut.downloads and cut.status is not None:
                self.inject_fault(cut.status, times=cut.times, retry_after=cut.retry_after)

        body = gzip_csv(header, self._rows(job), cut_after=cut.after_rows if cut else None, on_cut=fail_next)
        name = f"{job.request_id}.csv"
        if self.file_format == "gz":
            return body, {
                "Content-Type": "application/gzip",
                "Content-Disposition": f'attachment; filename="{name}.gz"',
            }
        return body, {
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Encoding": "gzip",
            "Content-Disposition": f'attachment; filename="{name}"',
        }

    def _bucket_file(self, key: str) -> FileBody | None:
        with self._lock:
            job = self.jobs.get(key.removesuffix(".csv.gz"))
        return self._file(job) if job is not None and job.members is not None else None

    def _job(self, request_id: str) -> Job:
        if request_id not in self.jobs:
            raise ApiError(404, f"No cohort request with id {request_id}")
        return self.jobs[request_id]

    # -- routes ---------------------------------------------------------------------------------
    def list_cohorts(self, request: Request) -> Response:
        return json_response({"cohorts": [self.cohort(c) for c in range(len(self.population.cohorts))]})

    def request_cohort(self, request: Request, cohort_id: str) -> Response:
        try:
            cohort = self.cohort_index(cohort_id)
        except KeyError:
            raise ApiError(404, f"Cohort {cohort_id} not found") from None
        keys = [k for raw in request.args.getlist("propKeys") for k in raw.split(",") if k]
        columns = keys or (list(USER_PROPERTIES) if request.args.get("props") == "1" else [])
        job = Job(uuid.uuid4().hex, cohort, tuple(dict.fromkeys(columns)))
        self.jobs[job.request_id] = job
        while len(self.jobs) > MAX_JOBS:
            self.jobs.popitem(last=False)
        return json_response({"request_id": job.request_id, "cohort_id": cohort_id}, 202)

    def request_status(self, request: Request, request_id: str) -> Response:
        job = self._job(request_id)
        job.polls += 1
        answer = {"request_id": request_id, "cohort_id": self.source_ref(job.cohort)}
        if job.polls <= self.ready_after:
            return json_response(answer | {"async_status": "JOB INPROGRESS"}, 202)
        if job.members is None:
            job.members = array("q", self.population.members(job.cohort))
        return json_response(answer | {"async_status": "JOB COMPLETED"})

    def download(self, request: Request, request_id: str) -> Response:
        job = self._job(request_id)
        if job.members is None:
            raise ApiError(400, f"Cohort request {request_id} has not completed; poll its status first")
        if len(job.members) > self.inline_limit:
            return Response(status=302, headers={"Location": self.bucket.link(f"{request_id}.csv.gz")})
        body, headers = self._file(job)
        return Response(body, 200, headers=headers, direct_passthrough=True)


def start(*, port: int = 0, members: int = 100, seed: int = 1, **options: Any) -> AmplitudeFake:
    """Serve an Amplitude fake; options: ``ready_after``, ``inline_limit``, ``link_ttl_s``, ``file_format``,
    ``api_key``, ``secret_key``, ``custom_fields``."""
    return AmplitudeFake(port=port, members=members, seed=seed, **options).serve()
