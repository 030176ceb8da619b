"""Mixpanel's cohort sync to a custom webhook (apis.md §1), read as cohort pushes.

Mixpanel signs nothing: the only protection is the HTTP Basic pair set on the connection
(`webhook_username`, `webhook_password`), which Mixpanel's integration UI sends with every
call. `members` is the whole cohort spread over pages sharing one `mixpanel_session_id`;
`add_members` / `remove_members` are increments. The hub's answers are wrapped in Mixpanel's
own shape, `{"action", "status": "success" | "failure", "error": {"message", "code", …}}`:
Mixpanel shows the message in its UI, pauses the sync on 400/401/403/404 and retries 429/5xx.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

from connectors.mixpanel.kinds import MIXPANEL_DISTINCT_ID
from connectors.sdk import (
    EMAIL,
    CohortPush,
    InboundRequest,
    Member,
    Parsed,
    PayloadError,
    PushKind,
    Rejected,
    SignatureError,
)
from connectors.sdk.json_body import load_json, text_check
from connectors.sdk.parsing import Invalid

ACTIONS = {"members": PushKind.SNAPSHOT, "add_members": PushKind.ADDED, "remove_members": PushKind.REMOVED}
ACTION_OF: dict[Any, str] = {kind.value: action for action, kind in ACTIONS.items()}
MAX_ID_LEN = 100
MAX_REF_LEN = 255
MAX_PAGES = 1_000_000
NOT_TRAITS = frozenset({"mixpanel_distinct_id", "distinct_id", "email"})
PARAMS = "parameters"


class MixpanelWebhook:
    def verify(self, config: dict[str, Any], request: InboundRequest) -> None:
        username = str(config.get("webhook_username") or "")
        password = str(config.get("webhook_password") or "")
        if not password:
            raise SignatureError("the connection has no webhook_password to check Mixpanel's HTTP Basic pair")
        scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
        if scheme.lower() != "basic":
            raise SignatureError("HTTP Basic credentials are required (the pair set on Mixpanel's webhook)")
        try:
            given_user, _, given_password = base64.b64decode(token, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise SignatureError("HTTP Basic credentials must be base64 of username:password") from None
        same_user = hmac.compare_digest(given_user.encode(), username.encode())
        same_password = hmac.compare_digest(given_password.encode(), password.encode())
        if not (same_user and same_password):
            raise SignatureError("the HTTP Basic username or password does not match the connection's")

    def parse(self, config: dict[str, Any], request: InboundRequest) -> Parsed:
        body = load_json(request.body)
        if not isinstance(body, dict):
            raise PayloadError("must be an object with action and parameters", field="(body)")
        try:
            text_check(request.body)(body, "")
        except Invalid as exc:
            raise PayloadError(exc.problems[0][1], field=exc.problems[0][0]) from None
        action = body.get("action")
        if not isinstance(action, str) or action not in ACTIONS:
            raise PayloadError(f"must be one of {', '.join(ACTIONS)}", field="action")
        params = body.get(PARAMS)
        if not isinstance(params, dict):
            raise PayloadError("must be an object", field=PARAMS)
        kind = ACTIONS[action]
        cohort_id = _id(params, "mixpanel_cohort_id", required=True) or ""
        _check_project(config, params)
        session = _id(params, "mixpanel_session_id", required=kind is PushKind.SNAPSHOT)
        page, pages = _page_info(params.get("page_info"), required=kind is PushKind.SNAPSHOT)
        name = params.get("mixpanel_cohort_name")
        if name is not None and not isinstance(name, str):
            raise PayloadError("must be text", field=f"{PARAMS}.mixpanel_cohort_name")
        members, skipped = _members(params.get("members"))
        snapshot = kind is PushKind.SNAPSHOT  # a page of a session; increments are keyed by content
        key = f"{cohort_id}:{action}:{session}:{page}" if snapshot else _digest(cohort_id, action, body)
        push = CohortPush(
            source_ref=str(cohort_id),
            name=(name or "").strip() or f"Mixpanel cohort {cohort_id}",
            kind=kind,
            members=members,
            delivery_key=key,
            session=session,
            page=page,
            pages=pages,
            occurred_at=request.received_at,
        )
        return Parsed(rejected=skipped, cohort_push=push)

    def answer(self, body: bytes | None, status: int, answer: dict[str, Any]) -> dict[str, Any]:
        """Mixpanel's shape around ours. A success names the action the hub stored (a page may be
        megabytes: it is not read twice); a failure echoes it only when it is one Mixpanel sends."""
        if status < 400:
            return {"action": ACTION_OF.get(answer.get("kind")), "status": "success"}
        return {"action": _action_of(body), "status": "failure", "error": answer.get("error", {})}


def _id(params: dict[str, Any], name: str, *, required: bool) -> str | None:
    value = params.get(name)
    field = f"{PARAMS}.{name}"
    if value is None or value == "":
        if required:
            raise PayloadError("is required", field=field)
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise PayloadError("must be a string or a whole number", field=field)
    text = str(value).strip()
    if not text or len(text) > MAX_ID_LEN:
        raise PayloadError(f"must be 1 to {MAX_ID_LEN} characters", field=field)
    return text


def _check_project(config: dict[str, Any], params: dict[str, Any]) -> None:
    """Distinct ids are unique only inside one project: another project's cohort must not land here."""
    project = _id(params, "mixpanel_project_id", required=False)
    expected = config.get("project_id")
    if project is not None and expected not in (None, "") and project != str(expected):
        raise PayloadError(
            f"is {project}, but this connection is for Mixpanel project {expected}",
            field=f"{PARAMS}.mixpanel_project_id",
        )


def _page_info(value: Any, *, required: bool) -> tuple[int, int]:
    """(page, pages), 1-based as Mixpanel counts; increments without page_info are one page."""
    field = f"{PARAMS}.page_info"
    if value is None and not required:
        return 1, 1
    if not isinstance(value, dict):
        raise PayloadError("must be an object with total_pages and page_count", field=field)
    numbers = []
    for name in ("page_count", "total_pages"):
        number = value.get(name)
        if isinstance(number, bool) or not isinstance(number, int) or not 0 <= number <= MAX_PAGES:
            raise PayloadError(f"must be a whole number from 0 to {MAX_PAGES}", field=f"{field}.{name}")
        numbers.append(number)
    page, pages = numbers
    if pages == 0 and page <= 1:  # an empty cohort: one empty page
        return 1, 1
    if not 1 <= page <= pages:
        raise PayloadError(f"must be from 1 to total_pages ({pages})", field=f"{field}.page_count")
    return page, pages


def _members(value: Any) -> tuple[list[Member], list[Rejected]]:
    field = f"{PARAMS}.members"
    if value is None:
        return [], []
    if not isinstance(value, list):
        raise PayloadError("must be a list of members", field=field)
    members: list[Member] = []
    skipped: list[Rejected] = []
    for index, item in enumerate(value):
        member = _member(item, index)
        if member is None:
            skipped.append(Rejected(index, f"{field}.{index}", "names no mixpanel_distinct_id; skipped"))
        else:
            members.append(member)
    return members, skipped


def _member(item: Any, index: int) -> Member | None:
    """Run once per member of pages of thousands, so names are built only to report a problem."""
    if not isinstance(item, dict):
        raise PayloadError("must be an object", field=f"{PARAMS}.members.{index}")
    distinct_id = _text(item, "mixpanel_distinct_id", index) or _text(item, "distinct_id", index)
    if distinct_id is None:
        return None
    email = _text(item, "email", index)
    return Member(
        ref=distinct_id,
        identities={MIXPANEL_DISTINCT_ID.name: distinct_id, EMAIL.name: email},
        traits={k: v for k, v in item.items() if k not in NOT_TRAITS},
    )


def _text(item: dict[str, Any], name: str, index: int) -> str | None:
    value = item.get(name)
    if type(value) is not str:  # the usual case first: ids arrive as strings
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise PayloadError("must be a string", field=f"{PARAMS}.members.{index}.{name}")
        value = str(value)
    text = value.strip()
    if len(text) > MAX_REF_LEN:
        raise PayloadError(
            f"is longer than {MAX_REF_LEN} characters", field=f"{PARAMS}.members.{index}.{name}"
        )
    return text or None


def _digest(cohort_id: str, action: str, body: dict[str, Any]) -> str:
    """Increments are the same batch when their content is: a resent one changes nothing, and one
    reordered would change nothing either (adding a member present, removing one absent)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return f"{cohort_id}:{action}:sha256:{hashlib.sha256(canonical).hexdigest()}"


def _action_of(body: bytes | None) -> str | None:
    try:
        action = json.loads(body or b"").get("action")
    except (ValueError, AttributeError, RecursionError):
        return None
    return action if isinstance(action, str) and action in ACTIONS else None
