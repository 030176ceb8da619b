"""The outbox handler of invites: read a batch once, stop the ones that must not go, send the rest.

Per batch: the invites with their campaign, person, trigger event and recipe (one query),
the people's identities (one), the suppression rules and the delivering connections. Each
link is signed and stored before its first send (one commit), so every attempt carries the
same link. Just before sending, the person is checked again: an opt-out or a suppression
rule that began to match since the decision stops the send. A row tried before asks its
channel whether the first attempt arrived (`lookup`) before sending again; every attempt
carries the invite's key (`invite-<id>`), so a receiver that deduplicates sees one message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from connectors.registry import UnknownConnector, get_connector
from connectors.sdk import Channel, Message, Receipt
from hub.connections import settings
from hub.db import utcnow
from hub.models import Campaign, Connection, Event, Identity, Invite, Profile, Recipe
from hub.models.delivery import DEAD, FAILED, SENT
from hub.outbox.types import Item, Outcome, Refused, Send, Sent, Settled
from hub.secrets import SecretsError
from recipes.campaigns.links import invite_token, invite_url
from recipes.campaigns.message import InviteRow, build, link_context
from recipes.campaigns.optout import held_back, suppression_rules
from recipes.campaigns.render import RenderProblem

MAX_LINK = 2000
INVITES = cast(sa.Table, Invite.__table__)
DELIVERED = ("opened", "completed")
"""An invite in these states reached its person already: nothing is sent again."""
HELD_BACK, UNROUTED = "held_back", "unrouted"
KEEP = (HELD_BACK, UNROUTED)
"""Refusals that do not fail the invite: a held-back one expires; one whose campaign has no
connection yet stays pending, to be replayed once the campaign has one."""


class InviteHandler:
    def prepare(self, session: Session, items: Sequence[Item]) -> Mapping[int, Send | Outcome]:
        now = utcnow()
        rows = _rows(session, [int(item.payload.get("invite_id", 0)) for item in items])
        identities = _identities(session, {row.profile_id for row in rows.values()})
        rules = suppression_rules()
        _store_links(session, rows)
        channels = _Channels(session)
        prepared: dict[int, Send | Outcome] = {}
        for item in items:
            row = rows.get(int(item.payload.get("invite_id", 0)))
            if row is None:
                prepared[item.id] = Refused("the invite no longer exists", code="gone")
            elif row.status in DELIVERED:
                prepared[item.id] = Sent(
                    {"invite_status": row.status}, f"not sent again: the invite was {row.status}"
                )
            elif row.status == "expired":
                prepared[item.id] = Refused("not sent: the invite has expired", code=HELD_BACK)
            elif (reason := held_back(row.traits, row.properties, rules, now)) is not None:
                prepared[item.id] = Refused(f"not sent: {reason}", code=HELD_BACK)
            else:
                prepared[item.id] = _send_or_refusal(item, row, identities.get(row.profile_id, {}), channels)
        return prepared

    def settle(self, session: Session, settled: Sequence[Settled]) -> None:
        now = utcnow()
        sent = [_invite_id(s) for s in settled if s.status == SENT]
        held = [_invite_id(s) for s in settled if _code(s) == HELD_BACK]
        failed = [_invite_id(s) for s in settled if s.status in (FAILED, DEAD) and _code(s) not in KEEP]
        for ids, values, before in (
            (sent, {"status": "sent", "sent_at": now}, ("pending", "failed", "scheduled")),
            (held, {"status": "expired"}, ("pending", "scheduled")),
            (failed, {"status": "failed"}, ("pending",)),
        ):
            if ids:
                session.execute(
                    sa.update(INVITES)
                    .where(INVITES.c.id.in_(ids), INVITES.c.status.in_(before))
                    .values(**values, updated_at=now)
                )


def _invite_id(settled: Settled) -> int:
    return int(settled.item.payload.get("invite_id", 0))


def _code(settled: Settled) -> str | None:
    return settled.outcome.code if isinstance(settled.outcome, Refused) else None


def _send_or_refusal(
    item: Item, row: InviteRow, identities: Mapping[str, str], channels: _Channels
) -> Send | Outcome:
    found = channels.get(row.campaign)
    if isinstance(found, Refused):
        return found
    if not row.link or len(row.link) > MAX_LINK:
        return Refused(
            f"the link is longer than {MAX_LINK} characters; list fewer context traits", code="config_error"
        )
    try:
        message = build(row, row.link, item.idempotency_key, identities)
    except RenderProblem as exc:
        return Refused(str(exc), code="config_error")
    return lambda: _deliver(found, message, item.tried_before)


def _deliver(route: _Route, message: Message, ask_first: bool) -> Sent:
    name = route.name
    if ask_first:
        earlier = route.channel.lookup(route.config, message)
        if earlier is not None:
            return Sent(
                _result(earlier, name, found=True), f"{name}: an earlier attempt arrived; not sent again"
            )
    receipt = route.channel.send(route.config, message)
    to = message.recipient.email if name == "email" else route.where
    return Sent(_result(receipt, name, found=False), f"sent by {name} to {to}")


def _result(receipt: Receipt, channel: str, *, found: bool) -> dict[str, Any]:
    return {
        "channel": channel,
        "provider_id": receipt.provider_id,
        "detail": dict(receipt.detail),
        "found_by_lookup": found,
    }


@dataclass(frozen=True)
class _Route:
    """How a campaign's invites travel: the channel, its connection's settings, in words where."""

    channel: Channel
    config: dict[str, Any]
    name: str
    where: str


class _Channels:
    """The delivering connection of each campaign, its settings read (decrypted) once per batch."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._found: dict[int, _Route | Refused] = {}

    def get(self, campaign: Mapping[str, Any]) -> _Route | Refused:
        connection_id = campaign.get("connection_id")
        if not connection_id:
            return Refused(
                "the campaign has no connection to deliver with; set its connection_id, then replay",
                code=UNROUTED,
            )
        if connection_id not in self._found:
            self._found[connection_id] = self._load(int(connection_id), str(campaign.get("channel")))
        return self._found[connection_id]

    def _load(self, connection_id: int, channel_name: str) -> _Route | Refused:
        connection = self._session.get(Connection, connection_id)
        if connection is None:
            return Refused(f"the campaign's connection {connection_id} no longer exists", code="config_error")
        try:
            channel = get_connector(connection.connector).channel
            config = settings(connection)
        except (UnknownConnector, SecretsError) as exc:
            return Refused(f"connection {connection_id}: {exc}", code="config_error")
        if channel is None:
            return Refused(f"a {connection.connector} connection cannot deliver invites", code="config_error")
        return _Route(channel, config, channel_name, f"connection {connection_id} ({connection.name})")


def _rows(session: Session, invite_ids: list[int]) -> dict[int, InviteRow]:
    stmt = (
        sa.select(
            Invite.id,
            Invite.status,
            Invite.profile_id,
            Invite.campaign_id,
            Invite.recipe_id,
            Invite.event_id,
            Invite.due_at,
            Invite.link,
            Campaign.definition,
            Campaign.name,
            Profile.traits,
            Event.name,
            Event.properties,
            Event.occurred_at,
            Recipe.name,
        )
        .join(Campaign, Campaign.id == Invite.campaign_id)
        .join(Profile, Profile.id == Invite.profile_id)
        .outerjoin(Event, Event.id == Invite.event_id)
        .outerjoin(Recipe, Recipe.id == Invite.recipe_id)
        .where(Invite.id.in_(sorted(set(invite_ids))))
    )
    return {row[0]: InviteRow(*row) for row in session.execute(stmt)}


def _identities(session: Session, profile_ids: set[int]) -> dict[int, dict[str, str]]:
    found: dict[int, dict[str, str]] = {}
    stmt = sa.select(Identity.profile_id, Identity.kind, Identity.value).where(
        Identity.profile_id.in_(sorted(profile_ids))
    )
    for profile_id, kind, value in session.execute(stmt.order_by(Identity.id)):
        found.setdefault(profile_id, {}).setdefault(kind, value)
    return found


def _store_links(session: Session, rows: dict[int, InviteRow]) -> None:
    """Signs and stores the link of each invite that has none yet, before anything is sent.

    Read back after the write: a worker that took the row over after a lease ran out may
    have stored one first, and every attempt must carry the link that was stored.
    """
    missing = [row.id for row in rows.values() if not row.link]
    if not missing:
        return
    links = []
    for invite_id in missing:
        row = rows[invite_id]
        days = int(row.campaign.get("link_expiry_days", 30))
        links.append(
            {"invite_id": invite_id, "new_link": invite_url(invite_token(row.id, link_context(row), days))}
        )
    session.execute(
        sa.update(INVITES)
        .where(INVITES.c.id == sa.bindparam("invite_id"), INVITES.c.link.is_(None))
        .values(link=sa.bindparam("new_link")),
        links,
    )
    session.commit()
    stored = session.execute(sa.select(Invite.id, Invite.link).where(Invite.id.in_(missing)))
    for invite_id, link in stored:
        rows[invite_id] = replace(rows[invite_id], link=link)
