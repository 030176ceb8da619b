"""Which invite a result answers: by the invite's id, or by the signed token of its link.

The token is read by the delivery's link module (recipes.campaigns.links); an altered token,
or one whose link has expired, leaves the result unattributed, as an expired invite does.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from connectors.sdk.identity import normalise
from connectors.sdk.results import InterviewResult
from hub.models import Identity, Invite
from recipes.campaigns.links import LinkProblem, read_invite

MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class Link:
    invite: Invite | None
    profile_id: int | None
    reason: str | None
    """Why the result is unattributed; None when it is linked to its invite."""


def invite_id_from_token(token: str) -> tuple[int | None, str | None]:
    """(invite id, None), or (None, why the token names no invite: altered, or its link expired)."""
    try:
        return read_invite(token).invite_id, None
    except LinkProblem as problem:
        return None, f"invite_token: {problem}"


def link(session: Session, result: InterviewResult) -> Link:
    invite_id, reason = result.invite_id, None
    if result.invite_token is not None:
        invite_id, reason = invite_id_from_token(result.invite_token)
    elif invite_id is None:
        reason = "the result names no invite (invite_token or invite_id)"
    invite = session.get(Invite, invite_id) if invite_id is not None and invite_id <= MAX_ID else None
    if invite_id is not None and invite is None:
        reason = f"no invite {invite_id}"
    elif invite is not None and invite.status == "expired":
        reason, invite = f"invite {invite_id} has expired", None
    if invite is not None:
        return Link(invite, invite.profile_id, None)
    return Link(None, _respondent_profile(session, result), reason)


def _respondent_profile(session: Session, result: InterviewResult) -> int | None:
    """An unattributed result still names its person when the respondent's email is known."""
    email = result.respondent.get("email")
    try:
        key = normalise("email", email) if isinstance(email, str) else None
    except ValueError:
        return None
    if key is None:
        return None
    kind, value = key  # a merge moves identities to the survivor, so their owner is current
    return session.scalar(
        sa.select(Identity.profile_id).where(Identity.kind == kind, Identity.value == value)
    )
