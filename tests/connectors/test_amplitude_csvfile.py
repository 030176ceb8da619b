"""Cohort file rows decoded as the bytes arrive, whatever the compression and chunking."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator

import pytest

from connectors.amplitude.csvfile import csv_rows

FILE = (
    '"amplitude_id","user_id","name","city"\n'
    '"1","","Zoë, the first","Zürich"\n'
    '"2","u-2","says ""hi""","two\nlines"\n'
    '"3","u-3","","Kraków"\n'
).encode()
EXPECTED = [
    {"amplitude_id": "1", "user_id": "", "name": "Zoë, the first", "city": "Zürich"},
    {"amplitude_id": "2", "user_id": "u-2", "name": 'says "hi"', "city": "two\nlines"},
    {"amplitude_id": "3", "user_id": "u-3", "name": "", "city": "Kraków"},
]


def pieces(data: bytes, size: int) -> Iterator[bytes]:
    return (data[i : i + size] for i in range(0, len(data), size))


@pytest.mark.parametrize("size", [1, 3, 7, 4096])
@pytest.mark.parametrize("compress", [False, True])
def test_rows_survive_any_chunking_with_or_without_gzip(size: int, compress: bool) -> None:
    data = gzip.compress(FILE) if compress else FILE
    assert list(csv_rows(pieces(data, size))) == EXPECTED


def test_nothing_and_a_bare_header_are_no_rows() -> None:
    assert list(csv_rows([])) == []
    assert list(csv_rows([b'"amplitude_id","user_id"\n'])) == []
    assert list(csv_rows([gzip.compress(b"")])) == []


@pytest.mark.parametrize("compress", [False, True])
def test_rows_arrive_before_the_rest_of_the_file_is_read(compress: bool) -> None:
    """A row complete in the bytes so far is handed on before more bytes are asked for."""
    sent = FILE[: FILE.index(b'"3"')]
    if compress:
        compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
        sent = compressor.compress(sent) + compressor.flush(zlib.Z_SYNC_FLUSH)

    def cut_after_two_rows() -> Iterator[bytes]:
        yield sent
        raise ConnectionError("the transfer broke")

    rows = csv_rows(cut_after_two_rows())
    assert [next(rows), next(rows)] == EXPECTED[:2]
    with pytest.raises(ConnectionError):
        next(rows)
