"""One invite as an email: text and HTML alternatives, a Message-ID that is the same on every attempt, one-click unsubscribe.

The Message-ID comes from the invite's idempotency key, not from the clock, so a resend
after a worker died between "sent" and "marked" carries the id of the first attempt and
mail systems that deduplicate on it (Gmail does) show one message. `List-Unsubscribe`
with `List-Unsubscribe-Post` is RFC 8058's one-click form that mailbox providers ask
bulk senders for.
"""

from __future__ import annotations

import hashlib
import re
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from typing import Any

from connectors.sdk import Message

MESSAGE_ID_DOMAIN = "journeyhub"
_ADDRESS = re.compile(r"[^@\s<>(),;:\"\[\]\\]{1,64}@[^@\s<>(),;:\"\[\]\\.]+(\.[^@\s<>(),;:\"\[\]\\.]+)+")
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9-]+")
MAX_ADDRESS_LEN = 254


def valid_address(address: str) -> bool:
    """A mailbox that SMTP can be asked to deliver to; no display names, no header tricks."""
    return len(address) <= MAX_ADDRESS_LEN and _ADDRESS.fullmatch(address) is not None


def message_id(idempotency_key: str) -> str:
    """`<invite-42-a1b2.1f3c…@journeyhub>`: readable, valid as a dot-atom, unique per key."""
    readable = _UNSAFE_ID.sub("-", idempotency_key).strip("-")[:64] or "invite"
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:16]
    return f"<{readable}.{digest}@{MESSAGE_ID_DOMAIN}>"


def _one_line(text: str) -> str:
    """Rendered subjects and names may hold line breaks, which would end the header early."""
    return " ".join(text.split())


def compose(config: dict[str, Any], message: Message, to: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = formataddr((_one_line(str(config.get("from_name") or "")), str(config["from_address"])))
    email["To"] = formataddr((_one_line(message.recipient.name or ""), to))
    email["Subject"] = _one_line(message.subject)
    email["Date"] = formatdate(usegmt=True)
    email["Message-ID"] = message_id(message.idempotency_key)
    email["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
    email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email.set_content(message.text)
    if message.html:
        email.add_alternative(message.html, subtype="html")
    return email
