"""What a Claude call costs, from its usage: list prices per million tokens, by model family.

Cache writes cost 1.25x the input price (5-minute cache), cache reads 0.1x. A model this table
does not know is priced as the dearest family, so the monthly limit never undercounts.
"""

from __future__ import annotations

from dataclasses import dataclass

PER_MILLION: tuple[tuple[str, float, float], ...] = (
    # (model name prefix, input USD, output USD), most specific first
    ("claude-opus-4-5", 5.0, 25.0),
    ("claude-opus-4-6", 5.0, 25.0),
    ("claude-opus-4-7", 5.0, 25.0),
    ("claude-opus-4-8", 5.0, 25.0),
    ("claude-opus-4", 15.0, 75.0),
    ("claude-3-opus", 15.0, 75.0),
    ("claude-sonnet", 3.0, 15.0),
    ("claude-3-7-sonnet", 3.0, 15.0),
    ("claude-3-5-sonnet", 3.0, 15.0),
    ("claude-haiku-4", 1.0, 5.0),
    ("claude-haiku", 1.0, 5.0),
    ("claude-3-5-haiku", 0.8, 4.0),
    ("claude-3-haiku", 0.25, 1.25),
)
DEAREST = (15.0, 75.0)
CACHE_WRITE, CACHE_READ = 1.25, 0.1


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_creation_input_tokens + other.cache_creation_input_tokens,
            self.cache_read_input_tokens + other.cache_read_input_tokens,
        )


def prices(model: str) -> tuple[float, float]:
    for prefix, given, produced in PER_MILLION:
        if model.startswith(prefix):
            return given, produced
    return DEAREST


def cost(model: str, usage: Usage) -> float:
    given, produced = prices(model)
    total = (
        usage.input_tokens * given
        + usage.cache_creation_input_tokens * given * CACHE_WRITE
        + usage.cache_read_input_tokens * given * CACHE_READ
        + usage.output_tokens * produced
    )
    return round(total / 1_000_000, 6)
