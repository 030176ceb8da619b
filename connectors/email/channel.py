"""Invites by email: one SMTP session per message, through the guard, classified like every channel.

SMTP cannot be asked afterwards whether a message arrived, so `lookup` has nothing to say;
what keeps a resend from being a second email in the inbox is the Message-ID, which is
the same on every attempt (see compose.py).
"""

from __future__ import annotations

from typing import Any

from connectors.email import smtp
from connectors.email.compose import compose, valid_address
from connectors.sdk import ConfigError, ErrorResolution, FailureType, Message, Receipt, ResponseAction

_NO_ADDRESS = ErrorResolution(ResponseAction.FAIL, FailureType.CONFIG_ERROR, "no usable email address")


class EmailChannel:
    def send(self, config: dict[str, Any], message: Message) -> Receipt:
        to = (message.recipient.email or "").strip()
        if not valid_address(to):
            problem = "has no email address" if not to else "has an email address SMTP cannot deliver to"
            raise ConfigError(f"profile {message.recipient.profile_id} {problem}", resolution=_NO_ADDRESS)
        email = compose(config, message, to)
        with smtp.session(config) as server:
            server.send_message(email, from_addr=str(config["from_address"]), to_addrs=[to])
        message_id = str(email["Message-ID"])
        return Receipt(provider_id=message_id, detail={"message_id": message_id, "to": to})

    def lookup(self, config: dict[str, Any], message: Message) -> Receipt | None:
        return None
