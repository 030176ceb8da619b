"""The answer by Claude, from the retrieved passages only, through the official `anthropic` SDK.

The same call discipline as synthesis (recipes.insights.claude): a forced tool call whose input
is the claims and, for each, the passage ids and exact words it rests on; the instructions
cached (`cache_control`); the SDK retrying 429/529; every call priced into the month's spend,
which is asked before calling. A citation of a passage that was not given, or of words its
passage does not hold, is dropped, and a claim left with none is dropped with it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from recipes.insights.ask.cite import Citation
from recipes.insights.ask.search import Passage
from recipes.insights.claude import Call, Failure, Settings, _call, _usage
from recipes.insights.pricing import cost
from recipes.insights.quotes import locate

TOOL_NAME = "answer_with_citations"
MAX_TOKENS = 2048
INSTRUCTIONS = (
    "You answer a product team's question about their customer interviews. Use only the numbered "
    "passages you are given: each is a respondent's own words. Make a few short claims that answer "
    "the question; every claim must cite one or more passages by id, with the exact words of the "
    "passage that support it, copied character for character. Never state anything the passages do "
    "not say, never cite a passage id you were not given, and say so plainly when the passages do "
    "not answer the question. Report the theme shares only as given."
)
TOOL: dict[str, Any] = {
    "name": TOOL_NAME,
    "description": "The answer: claims, each backed by citations of the given passages.",
    "input_schema": {
        "type": "object",
        "properties": {
            "claims": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "text": {"type": "string"},
                        "citations": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {"passage": {"type": "string"}, "quote": {"type": "string"}},
                                "required": ["passage", "quote"],
                            },
                        },
                    },
                    "required": ["text", "citations"],
                },
            }
        },
        "required": ["claims"],
    },
}


class _Cited(BaseModel):
    passage: str = Field(max_length=2000)
    quote: str = Field(min_length=1, max_length=2000)


class _Claim(BaseModel):
    text: str = Field(min_length=1, max_length=2000)
    citations: list[_Cited] = Field(default_factory=list, max_length=20)


class _Input(BaseModel):
    model_config = ConfigDict(extra="ignore")
    claims: list[_Claim] = Field(max_length=20)


@dataclass(frozen=True)
class Claim:
    text: str
    citations: list[Citation]


def answer(
    settings: Settings,
    question: str,
    given: list[Passage],
    context: str,
    may_spend: Callable[[], str | None],
) -> tuple[list[Claim], Call]:
    """Claude's claims with the citations that hold; raises Failure (recorded calls in it)."""
    import anthropic  # loaded only when a key is set

    client = anthropic.Anthropic(
        api_key=settings.api_key,
        base_url=settings.base_url,
        max_retries=settings.max_retries,
        timeout=settings.timeout_s,
    )
    ids = {f"p{i + 1}": p for i, p in enumerate(given)}
    listed = "\n".join(f"[{pid}] (interview {p.result_id}, turn {p.turn}) {p.text}" for pid, p in ids.items())
    request = {
        "model": settings.model,
        "max_tokens": MAX_TOKENS,
        "system": [{"type": "text", "text": INSTRUCTIONS, "cache_control": {"type": "ephemeral"}}],
        "tools": [TOOL],
        "tool_choice": {"type": "tool", "name": TOOL_NAME},
        "messages": [
            {"role": "user", "content": f"{context}\n\nPassages:\n{listed}\n\nQuestion: {question}"}
        ],
    }
    refusal = may_spend()
    if refusal:
        raise Failure(refusal, [], "spend_limit")
    message = _call(anthropic, client, request, settings.model, [])
    usage = _usage(message.usage)
    try:
        claims = _claims(message, ids)
    except ValueError as exc:
        raise Failure(
            str(exc),
            [Call(settings.model, usage, cost(settings.model, usage), "rejected", str(exc))],
            "rejected",
        ) from None
    return claims, Call(settings.model, usage, cost(settings.model, usage), "stored", "ask")


def _claims(message: Any, ids: dict[str, Passage]) -> list[Claim]:
    block = next((b for b in message.content if b.type == "tool_use" and b.name == TOOL_NAME), None)
    if block is None:
        raise ValueError(f"no {TOOL_NAME} tool call in the answer")
    try:
        given = _Input.model_validate(block.input)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        raise ValueError(f"the tool input does not fit the schema: {first['loc']}: {first['msg']}") from None
    claims = []
    for claim in given.claims:
        held = [c for cited in claim.citations if (c := _held(cited, ids)) is not None]
        if held:
            claims.append(Claim(claim.text.strip(), held))
    return claims


def _held(cited: _Cited, ids: dict[str, Passage]) -> Citation | None:
    passage = ids.get(cited.passage.strip().strip("[]"))
    if passage is None:
        return None
    found = locate(cited.quote, 0, [{"speaker": "respondent", "text": passage.text}])
    if found is None:
        return None
    return Citation(passage.result_id, passage.turn, found.start, found.end, found.text)
