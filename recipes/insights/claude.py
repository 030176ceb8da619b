"""Synthesis by Claude through the official `anthropic` SDK.

Structured output is a forced tool call whose input schema is the answer's shape; the
SDK's own retries (with `retry-after`) handle 429 and 529. What comes back is checked before
anything is kept: an input that does not fit the schema, or that quotes nothing the
respondent said, is rejected and asked again, and each call, kept or not, is counted in the
spend. A 429 that says the organisation's spend limit is reached is not retried.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from recipes.insights import prompt
from recipes.insights.pricing import Usage, cost
from recipes.insights.quotes import locate, respondent_turns
from recipes.insights.synthesis import MAX_QUOTES, MAX_THEMES, Quote, Sentiment, Synthesis, Theme

log = logging.getLogger(__name__)
ATTEMPTS = 3
"""Answers asked for per synthesis when they come back unusable (each may be retried by the SDK)."""
MAX_TOKENS = 2048
SPEND_LIMIT_CODE = "enforced_spend_limit_reached"


class ToolQuote(BaseModel):
    text: str = Field(min_length=1, max_length=2000)
    turn: int = Field(ge=0)


class ToolInput(BaseModel):
    model_config = ConfigDict(extra="ignore")

    themes: list[Theme] = Field(min_length=1, max_length=MAX_THEMES)
    sentiment: Sentiment
    quotes: list[ToolQuote] = Field(max_length=MAX_QUOTES)
    quality: int = Field(ge=1, le=5)
    quality_reason: str = Field(min_length=1, max_length=1000)


@dataclass(frozen=True)
class Call:
    model: str
    usage: Usage
    cost_usd: float
    outcome: str
    """stored, rejected or error"""
    note: str | None = None


@dataclass
class Failure(Exception):
    """Synthesis did not produce a result; `calls` still cost money and are recorded."""

    note: str
    calls: list[Call] = field(default_factory=list)
    kind: str = "transient"
    """transient (try again later), rejected (unusable answers), spend_limit, or permanent."""

    def __str__(self) -> str:
        return self.note


@dataclass(frozen=True)
class Settings:
    api_key: str
    model: str
    base_url: str | None = None
    max_retries: int = 2
    timeout_s: float = 120.0


def synthesise(
    settings: Settings,
    transcript: Sequence[Mapping[str, Any]],
    answers: Sequence[Mapping[str, Any]],
    questions: Sequence[Mapping[str, Any]],
    codebook: Sequence[str],
    may_spend: Callable[[], str | None] = lambda: None,
) -> tuple[Synthesis, list[Call], list[str]]:
    """The synthesis, the calls it took and notes (quotes refused); raises Failure.

    `may_spend` is asked before every call and answers why not (the monthly limit) or None.
    """
    import anthropic  # the SDK is only loaded by the worker that synthesises

    client = anthropic.Anthropic(
        api_key=settings.api_key,
        base_url=settings.base_url,
        max_retries=settings.max_retries,
        timeout=settings.timeout_s,
    )
    request = {
        "model": settings.model,
        "max_tokens": MAX_TOKENS,
        "system": prompt.system(codebook),
        "tools": [prompt.TOOL],
        "tool_choice": {"type": "tool", "name": prompt.TOOL_NAME},
        "messages": [{"role": "user", "content": prompt.interview(transcript, answers, questions)}],
    }
    calls: list[Call] = []
    for _ in range(ATTEMPTS):
        refusal = may_spend()
        if refusal:
            raise Failure(refusal, calls, "spend_limit")
        message = _call(anthropic, client, request, settings.model, calls)
        usage = _usage(message.usage)
        try:
            synthesis, notes = _checked(message, transcript)
        except ValueError as exc:
            calls.append(Call(settings.model, usage, cost(settings.model, usage), "rejected", str(exc)))
            log.warning("synthesis: Claude's answer was rejected: %s", exc)
            continue
        calls.append(Call(settings.model, usage, cost(settings.model, usage), "stored"))
        return synthesis, calls, notes
    raise Failure(f"Claude's answer was unusable {ATTEMPTS} times: {calls[-1].note}", calls, "rejected")


def _call(anthropic: Any, client: Any, request: dict[str, Any], model: str, calls: list[Call]) -> Any:
    """One Messages API call (the SDK retrying 429/529 itself); its errors as Failure kinds."""
    try:
        return client.messages.create(**request)
    except anthropic.RateLimitError as exc:
        if _spend_limit(exc):
            raise Failure(
                "Anthropic refused: the organisation's spend limit is reached", calls, "spend_limit"
            ) from None
        raise Failure(f"rate limited by Anthropic after retries: {_said(exc)}", calls) from None
    except (anthropic.AuthenticationError, anthropic.PermissionDeniedError) as exc:
        raise Failure(f"ANTHROPIC_API_KEY was refused: {_said(exc)}", calls, "permanent") from None
    except (anthropic.BadRequestError, anthropic.NotFoundError, anthropic.UnprocessableEntityError) as exc:
        raise Failure(
            f"Anthropic refused the request (model {model}): {_said(exc)}", calls, "permanent"
        ) from None
    except anthropic.APIStatusError as exc:
        raise Failure(f"Anthropic answered {exc.status_code} after retries: {_said(exc)}", calls) from None
    except anthropic.APIConnectionError as exc:
        raise Failure(f"Anthropic could not be reached: {exc}", calls) from None


def _said(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return str(body["error"].get("message", ""))[:300]
    return str(exc)[:300]


def _spend_limit(exc: Any) -> bool:
    body = getattr(exc, "body", None)
    error = body.get("error") if isinstance(body, dict) else None
    details = error.get("details") if isinstance(error, dict) else None
    return isinstance(details, dict) and details.get("error_code") == SPEND_LIMIT_CODE


def _usage(usage: Any) -> Usage:
    return Usage(
        input_tokens=int(getattr(usage, "input_tokens", 0) or 0),
        output_tokens=int(getattr(usage, "output_tokens", 0) or 0),
        cache_creation_input_tokens=int(getattr(usage, "cache_creation_input_tokens", 0) or 0),
        cache_read_input_tokens=int(getattr(usage, "cache_read_input_tokens", 0) or 0),
    )


def _checked(message: Any, transcript: Sequence[Mapping[str, Any]]) -> tuple[Synthesis, list[str]]:
    """The tool's input as a Synthesis with located quotes; ValueError says why it is unusable."""
    block = next(
        (b for b in message.content if b.type == "tool_use" and b.name == prompt.TOOL_NAME),
        None,
    )
    if block is None:
        raise ValueError(f"no {prompt.TOOL_NAME} tool call in the answer (stop_reason {message.stop_reason})")
    try:
        given = ToolInput.model_validate(block.input)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "(input)"
        raise ValueError(f"the tool input does not fit the schema: {where}: {first['msg']}") from None
    quotes: list[Quote] = []
    notes = []
    for quote in given.quotes:
        found = locate(quote.text, quote.turn, transcript)
        if found is None:
            notes.append(f"quote not in any respondent turn, refused: {quote.text[:80]!r}")
        elif all(q.start != found.start or q.turn != found.turn for q in quotes):
            quotes.append(found)
    if not quotes and given.quotes and respondent_turns(transcript):
        raise ValueError("; ".join(notes) or "no quote")
    synthesis = Synthesis(
        themes=given.themes,
        sentiment=given.sentiment,
        quotes=quotes,
        quality=given.quality,
        quality_reason=given.quality_reason,
    )
    return synthesis, notes
