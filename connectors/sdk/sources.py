"""What a cohort source yields: the cohorts a person can pick, and their members page by page."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Member:
    """One member of a cohort as its system describes them."""

    ref: str
    identities: Mapping[str, Any]
    traits: Mapping[str, Any]


@dataclass(frozen=True)
class CohortInfo:
    source_ref: str
    name: str
    size: int | None = None


class CohortSource(Protocol):
    def cohorts(self, config: dict[str, Any]) -> list[CohortInfo]:
        """The lists / campaigns / segments a user can pick from."""

    def members(self, config: dict[str, Any], source_ref: str) -> Iterator[list[Member]]:
        """Page by page, never the whole cohort in memory."""
