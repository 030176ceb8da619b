"""The demo's HTTP client: the JSON API with a bearer token, and signed webhooks (Standard Webhooks)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import requests


class DemoError(Exception):
    """A step of the demo the hub refused: the message names the call and the hub's answer."""


class HubClient:
    def __init__(self, address: str, token: str) -> None:
        self.address = address
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, body: Any = None) -> Any:
        answer = self.session.request(method, self.address + path, json=body, timeout=60)
        if answer.status_code >= 300:
            raise DemoError(f"{method} {path} answered {answer.status_code}: {answer.text[:300]}")
        return answer.json() if answer.content else None

    def post(self, path: str, body: Any) -> Any:
        return self.call("POST", path, body)

    def signed(self, path: str, secret: str, body: Any) -> None:
        """POSTs `body` signed as a Standard Webhooks sender signs it; no bearer token on webhooks."""
        data = json.dumps(body).encode()
        msg_id, stamp = f"msg_{uuid.uuid4().hex}", str(int(time.time()))
        key = base64.b64decode(secret.removeprefix("whsec_"))
        digest = hmac.new(key, f"{msg_id}.{stamp}.".encode() + data, hashlib.sha256).digest()
        headers = {
            "webhook-id": msg_id,
            "webhook-timestamp": stamp,
            "webhook-signature": "v1," + base64.b64encode(digest).decode(),
            "Content-Type": "application/json",
        }
        answer = requests.post(self.address + path, data=data, headers=headers, timeout=60)
        if answer.status_code >= 300:
            raise DemoError(f"POST {path} answered {answer.status_code}: {answer.text[:300]}")

    def follow(self, link: str) -> int:
        """Opens an invite link as the invited person's browser would, without leaving for the interview site."""
        return requests.get(link, allow_redirects=False, timeout=30).status_code
