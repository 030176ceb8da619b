"""A saved object that is well formed but wrong in a way only the database can tell."""

from __future__ import annotations


class Problem(Exception):
    """`code` for machines, `field` the path of the value at fault (`trigger.cohort_id`)."""

    def __init__(self, code: str, field: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.field = field
        self.status = status
