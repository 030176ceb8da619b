"""Secrets never reach a log line or an error message: registered values and credential shapes are masked."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

MASK = "***"


_MIN_SECRET_LEN = 4  # shorter values are not credentials, and masking them would mangle ordinary text
_CREDENTIAL_PARAMS = (
    r"api[_-]?key|apikey|hapikey|(?:access_|refresh_|id_)?token|client_secret|secret|password|sig"
)
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?i)(\bauthorization[\"']?\s*[:=]\s*[\"']?)[^\"'\r\n]+"), rf"\g<1>{MASK}"),
    (re.compile(r"\b([Bb]earer|BEARER|Basic)\s+[A-Za-z0-9\-._~+/]{8,}=*"), rf"\g<1> {MASK}"),
    (re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/\s@]+@"), rf"\g<1>{MASK}@"),
    (re.compile(rf"(?i)((?<![A-Za-z0-9_])(?:{_CREDENTIAL_PARAMS})=)[^&\s#\"']+"), rf"\g<1>{MASK}"),
)


def _variants(secrets: Iterable[str]) -> list[str]:
    """A secret also appears percent-encoded when it travels in a query string or form body."""
    found = {
        form
        for secret in secrets
        if secret and len(secret) >= _MIN_SECRET_LEN
        for form in (secret, quote(secret, safe=""), quote_plus(secret))
    }
    return sorted(found, key=len, reverse=True)


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    for secret in _variants(secrets):
        text = text.replace(secret, MASK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class SecretScrubber(logging.Filter):
    """Masks registered secrets and credential-shaped text in log records before any handler sees them.

    A secret once registered stays registered: a token that was rotated out must not start
    appearing in logs either.
    """

    def __init__(self, secrets: Iterable[str] = (), name: str = "") -> None:
        super().__init__(name)
        self._lock = threading.Lock()
        self._secrets: frozenset[str] = frozenset()
        self.add(*secrets)

    def add(self, *secrets: str) -> None:
        with self._lock:
            self._secrets = self._secrets | {s for s in secrets if s}

    def scrub(self, text: str) -> str:
        return scrub(text, self._secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.scrub(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = self.scrub(record.stack_info)
        return True


# Process-wide, so urllib3's own request lines (which carry query strings) are masked too.
# A logger's filter sees only the records logged on that very logger, not its children's, so
# each logger that writes URLs is named. The application's logging setup also adds it to its
# handlers, to cover SDK loggers.
SCRUBBER = SecretScrubber()
for _name in (
    "hub.outbound.client",
    "hub.outbound.retries",
    "urllib3.connectionpool",
    "urllib3.connection",
    "urllib3.util.retry",
):
    logging.getLogger(_name).addFilter(SCRUBBER)


def install_on_root_handlers(level: str) -> None:
    """Masks every log line the process writes, SDK loggers included, whatever handler prints it."""
    root = logging.getLogger()
    if not root.handlers:
        stream = logging.StreamHandler()
        stream.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(stream)
    for handler in root.handlers:
        if SCRUBBER not in handler.filters:
            handler.addFilter(SCRUBBER)
    logging.getLogger("hub").setLevel(level)
    logging.getLogger("connectors").setLevel(level)
    logging.getLogger("recipes").setLevel(level)
