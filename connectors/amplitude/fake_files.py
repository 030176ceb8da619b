"""How the Amplitude fake hands out cohort files: streamed gzip CSV, and a storage host for large ones.

A file is rendered as it is sent (rows to CSV to gzip, flushed every batch), so a million
members never sit in memory. Large files are fetched from `Bucket`, an imitation of the
pre-signed storage URLs Amplitude redirects to: another host (port), links that expire after
a minute, and S3's refusal of a request that also carries an Authorization header.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import os
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

FLUSH_EVERY = 1000
AMZ_DATE = "%Y%m%dT%H%M%SZ"
TWO_AUTH = (
    "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string"
    " parameter or the Authorization header should be specified"
)


FileBody = tuple[Iterator[bytes], dict[str, str]]
"""A file's bytes as they are produced, and the headers that describe them."""


class DownloadCut(ConnectionAbortedError):
    """Raised inside a response body: the server drops the connection, as a broken transfer would."""


def _take(buffer: io.StringIO) -> bytes:
    data = buffer.getvalue().encode()
    buffer.seek(0)
    buffer.truncate()
    return data


def gzip_csv(
    header: list[str],
    rows: Iterable[list[str]],
    *,
    cut_after: int | None = None,
    on_cut: Callable[[], None] | None = None,
) -> Iterator[bytes]:
    """Quoted CSV (as Amplitude writes it) compressed as it goes; `cut_after` rows, then a dropped connection.

    Before a cut the compressor is sync-flushed, so the client can read every row sent so far.
    """
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(header)
    for count, row in enumerate(rows, 1):
        writer.writerow(row)
        if count == cut_after:
            yield compressor.compress(_take(buffer)) + compressor.flush(zlib.Z_SYNC_FLUSH)
            if on_cut is not None:
                on_cut()
            raise DownloadCut(f"the fake cut this download after {count} rows")
        if count % FLUSH_EVERY == 0 and (out := compressor.compress(_take(buffer))):
            yield out
    yield compressor.compress(_take(buffer)) + compressor.flush()


class _Quiet(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


def _s3_error(status: int, code: str, message: str) -> Response:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>"
        f"<RequestId>{os.urandom(8).hex().upper()}</RequestId></Error>"
    )
    return Response(body, status, mimetype="application/xml")


class Bucket:
    """Serves `body(key)` at pre-signed, expiring URLs on its own loopback port."""

    def __init__(self, body: Callable[[str], FileBody | None], *, ttl_s: int = 60) -> None:
        self.ttl_s = ttl_s
        self.log: deque[tuple[str, int]] = deque(maxlen=1000)
        """(path, status) of each request received, newest last."""
        self._body = body
        self._key = os.urandom(32)
        self._expired_links = 0
        self._lock = threading.Lock()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def serve(self) -> None:
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True, request_handler=_Quiet)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-bucket", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def expire_next_links(self, count: int = 1) -> None:
        """The next `count` links are issued already expired, as if the client took over a minute."""
        with self._lock:
            self._expired_links += count

    def link(self, key: str) -> str:
        if self._server is None:
            raise RuntimeError("the bucket is not serving")
        signed_at = time.time()
        with self._lock:
            if self._expired_links:
                self._expired_links -= 1
                signed_at -= self.ttl_s + 1
        date = datetime.fromtimestamp(signed_at, UTC).strftime(AMZ_DATE)
        query = {
            "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
            "X-Amz-Date": date,
            "X-Amz-Expires": str(self.ttl_s),
            "X-Amz-SignedHeaders": "host",
            "X-Amz-Signature": self._sign(key, date, str(self.ttl_s)),
        }
        return f"http://127.0.0.1:{self._server.server_port}/{key}?{urlencode(query)}"

    def _sign(self, key: str, date: str, expires: str) -> str:
        return hmac.new(self._key, f"{key}\n{date}\n{expires}".encode(), hashlib.sha256).hexdigest()

    def _wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        response = self._respond(request)
        self.log.append((request.path, response.status_code))
        return response(environ, start_response)

    def _respond(self, request: Request) -> Response:
        key, args = request.path.lstrip("/"), request.args
        if "Authorization" in request.headers:
            return _s3_error(400, "InvalidArgument", TWO_AUTH)
        date, expires = args.get("X-Amz-Date", ""), args.get("X-Amz-Expires", "")
        if not hmac.compare_digest(args.get("X-Amz-Signature", ""), self._sign(key, date, expires)):
            return _s3_error(
                403, "SignatureDoesNotMatch", "The request signature we calculated does not match"
            )
        signed_at = datetime.strptime(date, AMZ_DATE).replace(tzinfo=UTC).timestamp()
        if time.time() > signed_at + int(expires):
            return _s3_error(403, "AccessDenied", "Request has expired")
        found = self._body(key)
        if found is None:
            return _s3_error(404, "NoSuchKey", "The specified key does not exist.")
        return Response(found[0], 200, headers=found[1], direct_passthrough=True)
