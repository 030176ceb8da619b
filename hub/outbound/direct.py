"""One request over a guarded session's own connection pool, without the session around it.

The outbox sends one POST per webhook and follows no redirect; a requests session spent more of
a delivery's CPU on that call (preparing, merging, hooks, cookies: 360 µs of CPU a POST to a local
receiver) than urllib3 spends sending it (~150 µs). This path keeps everything that makes the call
safe and comparable: the URL is checked by the SSRF guard and the connection comes from the
session's guarded pool, which checks the address each new connection reached; TLS is verified
as requests would (the session's `verify`, `REQUESTS_CA_BUNDLE`, certifi); failures are raised as
the requests exceptions the shared failure table already classifies. What it leaves out: cookies,
`~/.netrc` credentials, hooks and redirects. A request that would go through a proxy takes the
session's ordinary path.
"""

from __future__ import annotations

from collections.abc import Mapping

import requests
from requests.adapters import HTTPAdapter
from requests.auth import HTTPBasicAuth
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers, select_proxy
from urllib3.connectionpool import HTTPConnectionPool
from urllib3.exceptions import (
    ClosedPoolError,
    ConnectTimeoutError,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    ResponseError,
)
from urllib3.exceptions import ProxyError as _ProxyError
from urllib3.exceptions import SSLError as _SSLError
from urllib3.util import Timeout

from hub.outbound.ssrf import check_outbound_url

Timeouts = float | tuple[float, float]


def send(
    session: requests.Session,
    method: str,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    timeout: Timeouts,
    allowed_hosts: tuple[str, ...],
) -> requests.Response:
    """Sends once and answers the response, its body read; redirects are returned, not followed."""
    check_outbound_url(url, allowed_hosts)
    settings = session.merge_environment_settings(url, {}, None, None, None)
    if select_proxy(url, settings["proxies"]) is not None:
        return session.request(
            method, url, data=body, headers=dict(headers), timeout=timeout, allow_redirects=False
        )
    request = _prepared(session, method, url, body, headers)
    adapter = session.get_adapter(url)
    assert isinstance(adapter, HTTPAdapter)  # noqa: S101 - guarded sessions mount HTTPAdapters only
    pool = adapter.get_connection_with_tls_context(request, settings["verify"], None, settings["cert"])
    assert isinstance(pool, HTTPConnectionPool)  # noqa: S101 - no proxy, so a plain pool
    try:
        raw = pool.urlopen(
            method,
            request.path_url,
            body=body,
            headers=request.headers,
            redirect=False,
            assert_same_host=False,
            preload_content=True,
            decode_content=True,
            retries=adapter.max_retries,
            timeout=_timeout(timeout),
            chunked=False,
        )
    except Exception as exc:
        mapped = _as_requests_error(exc, request)
        if mapped is exc:
            raise
        raise mapped from exc
    response = requests.Response()
    response.status_code = raw.status
    response.headers = CaseInsensitiveDict(raw.headers)
    response.encoding = get_encoding_from_headers(response.headers)
    response.reason = raw.reason or ""
    response.url = url
    response.request = request
    response.raw = raw
    response._content = raw.data
    return response


def _prepared(
    session: requests.Session, method: str, url: str, body: bytes, headers: Mapping[str, str]
) -> requests.PreparedRequest:
    request = requests.PreparedRequest()
    request.method, request.url, request.body = method, url, body
    merged: CaseInsensitiveDict[str] = CaseInsensitiveDict()
    merged.update({k: v for k, v in session.headers.items() if isinstance(v, str)})
    merged.update(headers)
    merged["Content-Length"] = str(len(body))
    request.headers = merged
    auth = session.auth
    if isinstance(auth, tuple):
        auth = HTTPBasicAuth(*auth)
    return auth(request) if auth is not None else request


def _timeout(timeout: Timeouts) -> Timeout:
    connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
    return Timeout(connect=connect, read=read)


def _as_requests_error(exc: Exception, request: requests.PreparedRequest) -> Exception:
    """urllib3's failure as requests' `HTTPAdapter.send` reports it, so one table classifies both."""
    if isinstance(exc, MaxRetryError):
        reason = exc.reason
        if isinstance(reason, ConnectTimeoutError) and not isinstance(reason, NewConnectionError):
            return requests.ConnectTimeout(exc, request=request)
        if isinstance(reason, ResponseError):
            return requests.exceptions.RetryError(exc, request=request)
        if isinstance(reason, _ProxyError):
            return requests.exceptions.ProxyError(exc, request=request)
        if isinstance(reason, _SSLError):
            return requests.exceptions.SSLError(exc, request=request)
        return requests.ConnectionError(exc, request=request)
    if isinstance(exc, (ProtocolError, OSError, ClosedPoolError)):
        return requests.ConnectionError(exc, request=request)
    if isinstance(exc, _SSLError):
        return requests.exceptions.SSLError(exc, request=request)
    if isinstance(exc, ReadTimeoutError):
        return requests.ReadTimeout(exc, request=request)
    return exc
