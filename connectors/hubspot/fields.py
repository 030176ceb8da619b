"""Result actions into HubSpot contact properties: `update_fields`, up to 100 contacts a request.

Each action names a person (their `hubspot_contact` id when the hub knows it, else their
email, which HubSpot takes as the input's `idProperty`) and the properties the recipe's
rendered `fields` set. One `perform` is one `POST /crm/v3/objects/contacts/batch/update`
through hubspot-api-client. Two actions for one contact in a batch become one input (the
later values win), since a batch naming a record twice is refused as a whole.

HubSpot answers 207 when it could not write some inputs and names them in its errors
(`context.ids`); those actions are Rejected and the others Done, so the outbox retries only
what may still work. A 400 is the whole batch's (a property that does not exist or is
read-only): the recipe's fields are wrong for every record, so it fails them all at once.
Setting the same values twice changes nothing, so `lookup` has nothing to find.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from connectors.hubspot.client import MAX_BATCH_UPDATE, HubSpotClient
from connectors.hubspot.kinds import HUBSPOT_CONTACT
from connectors.sdk.actions import Action, Answer, Done, Pace, Rejected

RETRYABLE = frozenset({"RATE_LIMITS", "LOCKED", "INTERNAL_ERROR", "TIMEOUT"})
"""Per-record error categories that a later attempt can get past [unconf: HubSpot lists no such set]."""

Key = tuple[str, str | None]
"""How a contact is addressed in a batch input: (id or email, idProperty)."""


def contact_key(action: Action) -> Key | None:
    """The hub keeps per-account ids as `<connection id>:<id>`; HubSpot wants the id alone."""
    respondent = action.respondent
    if respondent is None:
        return None
    contact = respondent.identities.get(HUBSPOT_CONTACT.name)
    if contact:
        return str(contact).rsplit(":", 1)[-1], None
    return (respondent.email.strip().lower(), "email") if respondent.email else None


def _failed_ids(batch: Any) -> dict[str, Rejected]:
    """What a 207 names: each error's ids (as sent: ids, or emails for email inputs)."""
    failed: dict[str, Rejected] = {}
    for error in getattr(batch, "errors", None) or []:
        category = str(getattr(error, "category", "") or "")
        message = str(getattr(error, "message", "") or category or "HubSpot refused the record")
        context = getattr(error, "context", None) or {}
        for record in context.get("ids") or context.get("id") or []:
            failed[str(record).lower()] = Rejected(message, retry=category in RETRYABLE)
    return failed


class HubSpotFields:
    operations = frozenset({"update_fields"})
    batch_size = MAX_BATCH_UPDATE
    pace: Pace | None = None

    def perform(self, config: dict[str, Any], actions: Sequence[Action]) -> Mapping[str, Answer]:
        answers: dict[str, Answer] = {}
        inputs: dict[Key, dict[str, str]] = {}
        addressed: dict[str, Key] = {}
        for action in actions:
            key = contact_key(action)
            if key is None:
                answers[action.key] = Rejected("the person has no HubSpot contact id or email")
            elif not action.fields:
                answers[action.key] = Rejected("the action sets no properties")
            else:
                inputs.setdefault(key, {}).update({name: str(v) for name, v in action.fields.items()})
                addressed[action.key] = key
        if not inputs:
            return answers
        batch = HubSpotClient(config, attempts=1).update_contacts(
            [(key, id_property, properties) for (key, id_property), properties in inputs.items()]
        )
        failed = _failed_ids(batch)
        for action_key, (record, id_property) in addressed.items():
            answers[action_key] = failed.get(record.lower()) or Done(
                ref=record,
                detail={"by": id_property or "id", "properties": sorted(inputs[record, id_property])},
            )
        return answers

    def lookup(self, config: dict[str, Any], action: Action) -> Done | None:
        return None

    def fields(self, config: dict[str, Any], operation: str) -> list[str] | None:
        """Contact properties a client may write: not read-only, not calculated by HubSpot."""
        names = []
        for prop in HubSpotClient(config).contact_properties():
            meta = getattr(prop, "modification_metadata", None)
            if getattr(meta, "read_only_value", False) or getattr(prop, "calculated", False):
                continue
            names.append(str(prop.name))
        return sorted(names)
