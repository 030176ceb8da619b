"""Body limits hold for every inbound door: declared, chunked, and once decompressed.

A limit checked only on Content-Length is no limit: a chunked request or a small gzip
body that inflates past it must be refused the same way, before anything is stored.
"""

from __future__ import annotations

import gzip
import http.client
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import close_app, make_app
from tests.inbound.support import EMPTY, add_connection, basic, counts, dumps, served, standard_headers

LIMIT = 4096


@pytest.fixture
def small_app(tmp_path: Path, database_url: str) -> Iterator[Flask]:
    """An app whose body limit is small enough to cross cheaply."""
    application = make_app(tmp_path, database_url, JOURNEYHUB_MAX_BODY_BYTES=str(LIMIT))
    yield application
    close_app(application)


def padded_event(size: int) -> bytes:
    return dumps({"event": "E", "user_id": "u", "properties": {"pad": "x" * size}})


def chunked_post(
    base_url: str, path: str, headers: dict[str, str], body: bytes
) -> tuple[int, dict[str, object]]:
    """A real HTTP/1.1 request with Transfer-Encoding: chunked and no Content-Length."""
    url = urlsplit(base_url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        chunks = (body[i : i + 1024] for i in range(0, len(body), 1024))
        conn.request("POST", path, body=chunks, headers=headers, encode_chunked=True)
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        conn.close()


def test_a_declared_body_over_the_limit_is_refused(small_app: Flask) -> None:
    connection_id, generated = add_connection(small_app, "generic")
    body = padded_event(LIMIT)
    headers = standard_headers(generated["secret"], body, "big")
    response = small_app.test_client().post(f"/hooks/generic/{connection_id}", data=body, headers=headers)
    assert response.status_code == 413
    assert response.json["error"]["code"] == "request_entity_too_large"
    assert counts(small_app) == EMPTY


def test_a_chunked_body_over_the_limit_is_refused(small_app: Flask) -> None:
    connection_id, generated = add_connection(small_app, "generic")
    _, tracking = add_connection(small_app, "tracking")
    body = padded_event(LIMIT)
    with served(small_app) as base_url:
        hook = chunked_post(
            base_url,
            f"/hooks/generic/{connection_id}",
            standard_headers(generated["secret"], body, "c"),
            body,
        )
        track = chunked_post(base_url, "/v1/track", basic(tracking["write_key"]), body)
        fits = padded_event(LIMIT // 2)
        small = chunked_post(
            base_url,
            f"/hooks/generic/{connection_id}",
            standard_headers(generated["secret"], fits, "s"),
            fits,
        )
    assert (hook[0], track[0]) == (413, 413)
    assert small[0] == 200 and small[1]["accepted"] == 1
    assert counts(small_app)["events"] == 1


def test_gzip_bodies_are_accepted_by_the_tracking_api(
    app: Flask, client: FlaskClient, write_key: str
) -> None:
    body = gzip.compress(dumps({"batch": [{"type": "track", "userId": "u", "event": "Zipped"}]}))
    headers = {**basic(write_key), "Content-Encoding": "gzip", "Content-Type": "application/json"}
    response = client.post("/v1/batch", data=body, headers=headers)
    assert response.status_code == 200 and response.json["accepted"] == 1
    assert counts(app)["events"] == 1


def test_a_gzip_body_that_inflates_past_the_limit_is_refused(small_app: Flask) -> None:
    _, tracking = add_connection(small_app, "tracking")
    body = gzip.compress(padded_event(LIMIT * 50))
    assert len(body) < LIMIT
    headers = {**basic(tracking["write_key"]), "Content-Encoding": "gzip"}
    response = small_app.test_client().post("/v1/track", data=body, headers=headers)
    assert response.status_code == 413
    assert "decompressed" in response.json["error"]["message"]
    assert counts(small_app) == EMPTY


def test_broken_gzip_and_unknown_encodings_are_refused(
    app: Flask, client: FlaskClient, write_key: str
) -> None:
    body = gzip.compress(dumps({"userId": "u", "event": "E"}))
    broken = client.post(
        "/v1/track", data=body[:-12], headers={**basic(write_key), "Content-Encoding": "gzip"}
    )
    garbage = client.post(
        "/v1/track", data=b"not gzip", headers={**basic(write_key), "Content-Encoding": "gzip"}
    )
    brotli = client.post("/v1/track", data=body, headers={**basic(write_key), "Content-Encoding": "br"})
    assert (broken.status_code, broken.json["error"]["code"]) == (400, "malformed_gzip")
    assert (garbage.status_code, garbage.json["error"]["code"]) == (400, "malformed_gzip")
    assert (brotli.status_code, brotli.json["error"]["code"]) == (415, "unsupported_encoding")
    assert counts(app) == EMPTY


def test_webhooks_are_verified_on_the_bytes_sent_so_gzip_is_refused_there(
    app: Flask, client: FlaskClient, generic: tuple[int, str]
) -> None:
    connection_id, secret = generic
    body = gzip.compress(padded_event(10))
    headers = {**standard_headers(secret, b"", "z"), "Content-Encoding": "gzip"}
    response = client.post(f"/hooks/generic/{connection_id}", data=body, headers=headers)
    assert response.status_code == 415
    assert counts(app) == EMPTY


def test_the_default_limit_is_one_mebibyte(app: Flask, client: FlaskClient, write_key: str) -> None:
    body = padded_event(1024 * 1024)
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024 < len(body)
    response = client.post("/v1/track", data=body, headers=basic(write_key))
    assert response.status_code == 413
    assert counts(app) == EMPTY
