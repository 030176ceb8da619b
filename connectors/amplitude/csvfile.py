"""Rows of a cohort file read as its bytes arrive: never the whole file in memory.

Amplitude serves the file gzip-compressed, either as the transfer's Content-Encoding (which
requests undoes) or as a .csv.gz body; which one is unconfirmed, so the first bytes decide.
Bytes flow through gzip, a UTF-8 decoder and the csv module one chunk at a time, so memory
stays at a chunk plus a row however large the cohort is.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterable, Iterator
from typing import IO

GZIP_MAGIC = b"\x1f\x8b"


class ChunkStream(io.RawIOBase):
    """A readable stream over an iterator of byte chunks; a read returns what one chunk holds.

    Short reads matter: a reader that insisted on full buffers would wait for bytes beyond a
    row that is already complete (and, on a broken download, lose it).
    """

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def _fill(self) -> bool:
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return False
            self._pending = memoryview(chunk)
        return True

    def peek(self, size: int) -> bytes:
        """The next `size` bytes without consuming them (fewer at the end of the stream)."""
        while len(self._pending) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._pending = memoryview(bytes(self._pending) + chunk)
        return bytes(self._pending[:size])

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if not self._fill():
            return 0
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def csv_rows(chunks: Iterable[bytes]) -> Iterator[dict[str, str]]:
    """Each data row as {column: value}, the header row naming the columns."""
    raw = ChunkStream(chunks)
    binary: IO[bytes] = gzip.GzipFile(fileobj=raw) if raw.peek(2) == GZIP_MAGIC else raw  # type: ignore[assignment]
    text = io.TextIOWrapper(binary, encoding="utf-8", newline="")
    yield from csv.DictReader(text)
