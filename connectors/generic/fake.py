"""A Standard Webhooks receiver on loopback: what a `generic` connection's url points at in tests and the demo.

It does what a careful receiver does: verifies each delivery's signature with the secret
it hands out (401 when it does not hold), keeps a delivery once per `webhook-id` and
answers a repeat with 200 without keeping it again, so a test can see that a retried
invite is one event. What it accepted is at ``GET /_fake/deliveries``; faults and rate
limits come from the shared fake-server machinery.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import timedelta
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from connectors.sdk import SignatureError
from connectors.sdk import standard_webhooks as signature
from connectors.sdk.fakes.handlers import ApiError, json_response
from connectors.sdk.fakes.population import utcnow
from connectors.sdk.fakes.server import FakeServer, NoCohorts

DELIVERIES_PATH = "/_fake/deliveries"
TOLERANCE = timedelta(minutes=5)


class GenericFake(NoCohorts, FakeServer):
    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.token = ""
        key = hashlib.sha256(f"generic-fake:{self.seed}".encode()).digest()[: signature.SECRET_BYTES]
        self.secret = signature.PREFIX + base64.b64encode(key).decode()
        self.deliveries: list[dict[str, Any]] = []
        self.repeats = 0
        self._seen: set[str] = set()

    def routes(self) -> list[Rule]:
        return [
            Rule("/webhook", methods=["POST"], endpoint="receive"),
            Rule(DELIVERIES_PATH, methods=["GET"], endpoint="list_deliveries"),
        ]

    def authorized(self, request: Request) -> bool:
        return True  # deliveries prove themselves by their signature, checked in `receive`

    def receive(self, request: Request) -> Response:
        body = request.get_data()
        headers = {k.lower(): v for k, v in request.headers.items()}
        try:
            signature.verify(self.secret, headers, body, utcnow(), TOLERANCE)
        except SignatureError as exc:
            raise ApiError(401, str(exc), "bad_signature") from None
        msg_id = headers["webhook-id"]
        if msg_id in self._seen:
            self.repeats += 1
            return json_response({"received": msg_id, "duplicate": True})
        try:
            payload = json.loads(body)
        except ValueError:
            raise ApiError(400, "the body is not JSON", "invalid_json") from None
        self._seen.add(msg_id)
        self.deliveries.append(
            {
                "webhook_id": msg_id,
                "timestamp": int(headers["webhook-timestamp"]),
                "payload": payload,
                "received_at": utcnow().isoformat(),
            }
        )
        return json_response({"received": msg_id, "duplicate": False})

    def list_deliveries(self, request: Request) -> Response:
        return json_response(self.deliveries)

    @property
    def credentials(self) -> dict[str, str]:
        return {"url": self.base_url + "/webhook", "secret": self.secret}

    def describe(self) -> dict[str, Any]:
        return super().describe() | {"deliveries": self.base_url + DELIVERIES_PATH}

    def error(
        self,
        status: int,
        *,
        message: str | None = None,
        code: str | None = None,
        retry_after: int | None = None,
    ) -> Response:
        headers = {"Retry-After": str(retry_after or 1)} if status == 429 else {}
        return json_response(
            {"error": {"code": code or str(status), "message": message or "error"}}, status, headers
        )

    def decorate(self, request: Request, response: Response) -> None:
        return None


def start(*, port: int = 0, seed: int = 1, **options: Any) -> GenericFake:
    """Serve a webhook receiver; options: ``tls``."""
    return GenericFake(port=port, members=0, seed=seed, **options).serve()
