"""Result actions into Salesforce Contact fields: `update_fields`, up to 200 records a request.

One `perform` is one sObject Collections update (`PATCH .../composite/sobjects`, allOrNone
off) through simple-salesforce. A person is addressed by their `salesforce_contact` id; people
the hub knows only by email are looked up first (one SOQL query for the whole batch, so a
batch of email-only people costs two requests). Two actions for one Contact in a batch become
one record (the later values win): a collection naming a record twice is refused.

Salesforce answers a SaveResult per record, in request order: `success: false` records are
Rejected with their errors (retryable when the error is a lock or a limit that passes), the
others Done, so the outbox retries only what may still work. Setting the same values twice
changes nothing, so `lookup` has nothing to find.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from connectors.salesforce.client import MAX_COLLECTION, SalesforceClient
from connectors.salesforce.kinds import SALESFORCE_CONTACT
from connectors.sdk.actions import Action, Answer, Done, Pace, Rejected

RETRYABLE = frozenset(
    {"UNABLE_TO_LOCK_ROW", "REQUEST_LIMIT_EXCEEDED", "SERVER_UNAVAILABLE", "UNKNOWN_EXCEPTION"}
)


def _rejected(result: Mapping[str, Any]) -> Rejected:
    errors = [e for e in result.get("errors") or [] if isinstance(e, dict)]
    codes = {str(e.get("statusCode")) for e in errors}
    words = "; ".join(
        f"{e.get('statusCode')}: {e.get('message')}"
        + (f" ({', '.join(e['fields'])})" if e.get("fields") else "")
        for e in errors
    )
    return Rejected(words or "Salesforce refused the record", retry=bool(codes) and codes <= RETRYABLE)


def _contact_ids(client: SalesforceClient, actions: Sequence[Action]) -> dict[str, str]:
    """Contact id per action key, by identity, else by email through one SOQL query."""
    ids: dict[str, str] = {}
    by_email: dict[str, str] = {}
    for action in actions:
        respondent = action.respondent
        if respondent is None:
            continue
        known = respondent.identities.get(SALESFORCE_CONTACT.name)
        if known:
            ids[action.key] = str(known).rsplit(":", 1)[-1]
        elif respondent.email:
            by_email[action.key] = respondent.email.strip().lower()
    if by_email:
        found = client.contacts_by_email(sorted(set(by_email.values())))
        ids |= {key: found[email] for key, email in by_email.items() if email in found}
    return ids


class SalesforceFields:
    operations = frozenset({"update_fields"})
    batch_size = MAX_COLLECTION
    pace: Pace | None = None

    def perform(self, config: dict[str, Any], actions: Sequence[Action]) -> Mapping[str, Answer]:
        client = SalesforceClient(config, attempts=1)
        ids = _contact_ids(client, [a for a in actions if a.fields])
        answers: dict[str, Answer] = {}
        records: dict[str, dict[str, Any]] = {}
        for action in actions:
            if not action.fields:
                answers[action.key] = Rejected("the action sets no fields")
            elif action.key not in ids:
                answers[action.key] = Rejected("the person has no Salesforce Contact (by id or email)")
            else:
                records.setdefault(ids[action.key], {}).update(action.fields)
        if not records:
            return answers
        results = client.update_contacts([{"id": cid, **values} for cid, values in records.items()])
        by_contact = dict(zip(records, results, strict=False))
        for action in actions:
            if action.key in answers:
                continue
            contact = ids[action.key]
            result = by_contact.get(contact) or {"errors": [{"message": "Salesforce answered no result"}]}
            answers[action.key] = (
                Done(ref=contact, detail={"fields": sorted(records[contact])})
                if result.get("success")
                else _rejected(result)
            )
        return answers

    def lookup(self, config: dict[str, Any], action: Action) -> Done | None:
        return None

    def fields(self, config: dict[str, Any], operation: str) -> list[str] | None:
        """Contact fields this user may update, as `describe` says."""
        return sorted(
            str(f["name"]) for f in SalesforceClient(config).contact_fields() if f.get("updateable")
        )
