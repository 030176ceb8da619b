"""The generated workspace every fake serves: contacts, the changes tests make, and cohorts.

Separate from the server so that what a fake serves can be reasoned about (and reproduced
from a seed) without the HTTP, TLS and fault machinery around it; the provider modules
render this one population in their own dialects.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from itertools import chain
from typing import Any

FIRST_NAMES = (
    "Ada", "Grace", "Alan", "Katherine", "Linus", "Margaret", "Dennis", "Barbara", "Ken", "Frances",
    "Edsger", "Radia", "Tim", "Hedy", "John", "Sophie", "Guido", "Anita", "Bjarne", "Joan",
)  # fmt: skip
LAST_NAMES = (
    "Lovelace", "Hopper", "Turing", "Johnson", "Torvalds", "Hamilton", "Ritchie", "Liskov", "Thompson",
    "Allen", "Dijkstra", "Perlman", "Berners-Lee", "Lamarr", "McCarthy", "Wilson", "van Rossum", "Borg",
)  # fmt: skip
SLUGS = {name: re.sub(r"[^a-z]", "", name.lower()) for name in FIRST_NAMES + LAST_NAMES}
PLANS = ("free",) * 8 + ("trial",) * 5 + ("pro",) * 5 + ("enterprise",) * 2


@dataclass(frozen=True, slots=True)
class Country:
    code: str
    iso3: str
    name: str
    time_zone: str


COUNTRIES = (
    Country("US", "USA", "United States", "America/New_York"),
    Country("US", "USA", "United States", "America/Los_Angeles"),
    Country("GB", "GBR", "United Kingdom", "Europe/London"),
    Country("DE", "DEU", "Germany", "Europe/Berlin"),
    Country("FR", "FRA", "France", "Europe/Paris"),
    Country("IN", "IND", "India", "Asia/Kolkata"),
    Country("JP", "JPN", "Japan", "Asia/Tokyo"),
    Country("BR", "BRA", "Brazil", "America/Sao_Paulo"),
    Country("AU", "AUS", "Australia", "Australia/Sydney"),
    Country("CA", "CAN", "Canada", "America/Toronto"),
    Country("NL", "NLD", "Netherlands", "Europe/Amsterdam"),
    Country("ES", "ESP", "Spain", "Europe/Madrid"),
)
COUNTRY_BY_CODE = {country.code: country for country in COUNTRIES}

EPOCH = datetime(2022, 1, 1, tzinfo=UTC)
SPAN_S = 3 * 365 * 86_400
"""Generated sign-ups spread over three years and grow with the index, so id order is creation order."""


@dataclass(frozen=True, slots=True)
class CohortSpec:
    """A generated cohort: a share of the population, optionally only those on one plan."""

    key: str
    name: str
    percent: int = 100
    plan: str | None = None


COHORTS = (
    CohortSpec("all", "All customers"),
    CohortSpec("trial", "Trial users", plan="trial"),
    CohortSpec("detractors", "NPS detractors", percent=12),
    CohortSpec("churn-risk", "Churn risk", percent=6),
)


@dataclass(slots=True)
class Person:
    """One contact in provider-neutral terms; each fake renders it in its own dialect."""

    index: int
    email: str | None
    first_name: str
    last_name: str
    plan: str
    country: str
    time_zone: str
    created_at: datetime
    updated_at: datetime
    extra: dict[str, Any] = field(default_factory=dict)


PERSON_FIELDS = frozenset(f.name for f in fields(Person)) - {"index"}


@lru_cache(maxsize=16_384)  # a page checks membership, then renders the same members
def _digest(key: bytes, index: int) -> bytes:
    return hashlib.blake2b(index.to_bytes(8, "little"), key=key, digest_size=24).digest()


def utcnow() -> datetime:
    return datetime.now(UTC)


class Population:
    """Contacts 0..size-1 computed from (seed, index) on demand; only changes are stored.

    Ids derive from the index in every fake, so ascending index is ascending id and
    ascending creation date, which is what cursor pagination needs to stay cheap.
    """

    def __init__(self, size: int, seed: int, cohorts: tuple[CohortSpec, ...] = COHORTS) -> None:
        self.size = size
        self.cohorts = cohorts
        self.version = 0
        self._key = hashlib.sha256(f"journeyhub-fake:{seed}".encode()).digest()
        self._next = size
        self._overrides: dict[int, dict[str, Any]] = {}
        self._emails: dict[str, int] = {}
        self._joined: list[dict[int, datetime]] = [{} for _ in cohorts]
        self._left: list[set[int]] = [set() for _ in cohorts]
        self._base_counts: list[int] | None = None
        self._step = max(1, SPAN_S // max(size, 1))

    @property
    def total(self) -> int:
        return self._next

    def exists(self, index: int) -> bool:
        return 0 <= index < self._next

    def person(self, index: int) -> Person:
        """Computed afresh each time (a page of a million-member walk renders each person once):
        positional arguments throughout, since keyword parsing is most of the cost at this size."""
        if not 0 <= index < self._next:
            raise KeyError(index)
        b = _digest(self._key, index)
        first, last = FIRST_NAMES[b[0] % len(FIRST_NAMES)], LAST_NAMES[b[1] % len(LAST_NAMES)]
        country = COUNTRIES[b[2] % len(COUNTRIES)]
        step = self._step
        created = EPOCH + timedelta(0, index * step + int.from_bytes(b[4:8], "little") % step)
        person = Person(
            index,
            f"{SLUGS[first]}.{SLUGS[last]}.{index}@example.com",
            first,
            last,
            PLANS[b[3] % len(PLANS)],
            country.code,
            country.time_zone,
            created,
            created,
        )
        changes = self._overrides.get(index)
        if changes:
            for name, value in changes.items():
                setattr(person, name, dict(value) if name == "extra" else value)
        return person

    def add(self, values: Mapping[str, Any] | None = None) -> int:
        index, now = self._next, utcnow()
        self._next += 1
        self._overrides[index] = {"created_at": now, "updated_at": now}
        self.update(index, **(values or {}))
        return index

    def update(self, index: int, **values: Any) -> Person:
        """Apply changes; ``extra`` merges, so provider-specific fields accumulate."""
        unknown = set(values) - PERSON_FIELDS
        if unknown:
            raise ValueError(f"unknown person fields: {sorted(unknown)}")
        old = self.person(index)
        changes = self._overrides.setdefault(index, {})
        if "extra" in values:
            values = {**values, "extra": {**old.extra, **values["extra"]}}
        changes.update(values)
        if "updated_at" not in values:
            changes["updated_at"] = utcnow()
        if "email" in values:
            if old.email and self._emails.get(old.email.lower()) == index:
                del self._emails[old.email.lower()]
            if values["email"]:
                self._emails[values["email"].lower()] = index
        self.version += 1
        return self.person(index)

    def index_of_email(self, email: str) -> int | None:
        """Find by email without an index: generated addresses carry their index."""
        wanted = email.lower()
        if wanted in self._emails:
            return self._emails[wanted]
        match = re.search(r"\.(\d+)@", wanted)
        if match and self.exists(int(match.group(1))):
            current = self.person(int(match.group(1))).email
            if current and current.lower() == wanted:
                return int(match.group(1))
        return None

    def _base_member(self, cohort: int, index: int, digest: bytes | None = None) -> bool:
        spec = self.cohorts[cohort]
        if index >= self.size:
            return False
        if spec.percent >= 100 and spec.plan is None:
            return True
        b = digest or _digest(self._key, index)
        if spec.plan is not None and PLANS[b[3] % len(PLANS)] != spec.plan:
            return False
        slot = 8 + 2 * (cohort % 4)
        return int.from_bytes(b[slot : slot + 2], "little") % 100 < spec.percent

    def in_cohort(self, cohort: int, index: int) -> bool:
        if index in self._joined[cohort]:
            return True
        return index not in self._left[cohort] and self._base_member(cohort, index)

    def join(self, cohort: int, index: int) -> None:
        if not self.exists(index):
            raise KeyError(index)
        self._left[cohort].discard(index)
        self._joined[cohort][index] = utcnow()
        self.version += 1

    def leave(self, cohort: int, index: int) -> None:
        if not self.in_cohort(cohort, index):
            raise KeyError(f"{index} is not in cohort {self.cohorts[cohort].key}")
        self._joined[cohort].pop(index, None)
        if self._base_member(cohort, index):
            self._left[cohort].add(index)
        self.version += 1

    def joined_at(self, cohort: int, index: int) -> datetime:
        if index in self._joined[cohort]:
            return self._joined[cohort][index]
        b = _digest(self._key, index)  # generated members joined within 30 days of signing up
        return self.person(index).created_at + timedelta(0, int.from_bytes(b[16:20], "little") % 2_592_000)

    def count(self, cohort: int) -> int:
        if self._base_counts is None:
            everyone = [c for c, spec in enumerate(self.cohorts) if spec.percent >= 100 and spec.plan is None]
            some = [c for c in range(len(self.cohorts)) if c not in everyone]
            counts = [self.size if c in everyone else 0 for c in range(len(self.cohorts))]
            for i in range(self.size if some else 0):  # index-major, so each digest is computed once
                digest = _digest.__wrapped__(self._key, i)  # a walk of every index would only churn the cache
                for c in some:
                    counts[c] += self._base_member(c, i, digest)
            self._base_counts = counts
        added = sum(1 for i in self._joined[cohort] if not self._base_member(cohort, i))
        return self._base_counts[cohort] - len(self._left[cohort]) + added

    def members(self, cohort: int, after: int = -1, *, before: int | None = None) -> Iterator[int]:
        """Member indices ascending after ``after``, or descending below ``before`` when given."""
        extra = sorted(i for i in self._joined[cohort] if i >= self.size)
        if before is None:
            candidates = chain(range(after + 1, self.size), (i for i in extra if i > after))
        else:
            candidates = chain(
                (i for i in reversed(extra) if i < before), range(min(before, self.size) - 1, -1, -1)
            )
        return (i for i in candidates if self.in_cohort(cohort, i))
