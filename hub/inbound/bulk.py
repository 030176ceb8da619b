"""The ingest path's batch statements: one round trip each, whatever the batch's size.

On PostgreSQL a batch travels as one JSON parameter that the server unpacks with
`json_to_recordset`: the statement text is the same for every batch, so psycopg converts it
once and PostgreSQL prepares it once, each row costs an index probe whether or not the
tables have statistics yet, and Python's C encoder writes the whole batch in one call. The
alternatives measured worse: a multi-row VALUES list is new text per batch size, which
psycopg re-parses in Python on every call (a quarter of a batch's CPU in a profile), and
arrays are dumped by psycopg element by element in Python (as much again). SQLite gets the
same rows through executemany, which its driver runs in C.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from connectors.sdk.identity import Key
from hub.models import Event, Identity, Profile


def insert_events(connection: sa.Connection, rows: list[dict[str, Any]]) -> list[tuple[int, int, str]]:
    """Inserts the rows no earlier delivery stored; (id, profile id, external id) of each new one."""
    if connection.dialect.name == "postgresql":
        first = rows[0]
        batch = [
            {**{k: row[k] for k in _EVENT_FIELDS}, "occurred_at": row["occurred_at"].isoformat()}
            for row in rows
        ]
        params = {"rows": _json(batch), "connection_id": first["connection_id"], "now": first["received_at"]}
        result = connection.execute(_INSERT_EVENTS, params)
    else:
        result = connection.execute(_INSERT_EVENT_ROWS, rows)
    return [(int(i), int(p), str(e)) for i, p, e in result]


def insert_known(
    connection: sa.Connection, rows: list[dict[str, Any]], keys: list[list[Key]]
) -> tuple[dict[Key, int], list[tuple[int, int, str]]]:
    """Looks up every key and inserts, at once, the rows whose keys all belong to one profile.

    Returns the owners of the keys found and (id, profile id, external id) of each row newly
    inserted; rows with a key nobody holds, or keys of two profiles, are left to the resolver
    (`single_owner` tells which, from the owners returned). On PostgreSQL this is one
    statement, so a delivery from people already known costs one round trip between BEGIN and
    COMMIT; SQLite runs the lookup and the insert as two.
    """
    if connection.dialect.name != "postgresql":
        return _insert_known_apart(connection, rows, keys)
    batch = [
        {
            **{k: row[k] for k in ("external_id", "name", "properties")},
            "occurred_at": row["occurred_at"].isoformat(),
            "position": position,
        }
        for position, row in enumerate(rows)
    ]
    wanted = [
        {"position": position, "kind": kind, "value": value}
        for position, row_keys in enumerate(keys)
        for kind, value in row_keys
    ]
    first = rows[0]
    params = {
        "rows": _json(batch),
        "keys": _json([{"kind": kind, "value": value} for kind, value in _distinct(keys)]),
        "wanted": _json(wanted),
        "connection_id": first["connection_id"],
        "now": first["received_at"],
    }
    owner: dict[Key, int] = {}
    inserted: list[tuple[int, int, str]] = []
    for kind, value, profile_id, event_id, external_id in connection.execute(_INSERT_KNOWN, params):
        if kind is None:
            inserted.append((int(event_id), int(profile_id), str(external_id)))
        else:
            owner[(kind, value)] = int(profile_id)
    return owner, inserted


def _insert_known_apart(
    connection: sa.Connection, rows: list[dict[str, Any]], keys: list[list[Key]]
) -> tuple[dict[Key, int], list[tuple[int, int, str]]]:
    owner = {(kind, value): int(p) for kind, value, p in owners(connection, _distinct(keys))}
    ready = [{**row, "profile_id": single_owner(k, owner)} for row, k in zip(rows, keys, strict=True)]
    ready = [row for row in ready if row["profile_id"] is not None]
    return owner, insert_events(connection, ready) if ready else []


def single_owner(keys: list[Key], owner: dict[Key, int]) -> int | None:
    """The profile holding all of `keys`, or None when one is unheld or they belong to several."""
    found = {owner.get(key) for key in keys}
    return found.pop() if len(found) == 1 else None


def _distinct(keys: list[list[Key]]) -> list[Key]:
    return sorted({key for row_keys in keys for key in row_keys})


def new_profiles(connection: sa.Connection, traits: list[dict[str, Any]], now: datetime) -> list[int]:
    """One new profile per entry, their ids in the order of `traits`."""
    if connection.dialect.name == "postgresql":
        batch = [{"traits": t, "position": i} for i, t in enumerate(traits)]
        # Inserted in `position` order, so the sequence hands out increasing ids in that order:
        # sorting the ids restores it (SQLAlchemy's own insertmanyvalues relies on the same).
        return sorted(
            int(i) for i in connection.scalars(_INSERT_PROFILES, {"rows": _json(batch), "now": now})
        )
    rows = [{"traits": t, "created_at": now, "updated_at": now} for t in traits]
    return [int(i) for i in connection.scalars(_INSERT_PROFILE_ROWS, rows)]


def claim_keys(connection: sa.Connection, claims: list[tuple[Key, int]], now: datetime) -> set[Key]:
    """Claims each key for its profile in the given order (the order index locks are taken in);
    returns the keys this claim won: the others someone else holds already."""
    if connection.dialect.name == "postgresql":
        batch = [{"kind": k, "value": v, "owner": p, "position": i} for i, ((k, v), p) in enumerate(claims)]
        result = connection.execute(_CLAIM_KEYS, {"rows": _json(batch), "now": now})
    else:
        rows = [{"kind": k, "value": v, "profile_id": p, "created_at": now} for (k, v), p in claims]
        result = connection.execute(_CLAIM_KEY_ROWS, rows)
    return {(kind, value) for kind, value in result}


def owners(connection: sa.Connection, keys: list[Key]) -> Iterable[sa.Row[str, str, int]]:
    """(kind, value, profile id) of those keys someone holds."""
    if connection.dialect.name == "postgresql":
        batch = [{"kind": kind, "value": value} for kind, value in keys]
        return connection.execute(_LOOKUP_KEYS, {"rows": _json(batch)})
    values: dict[str, list[str]] = {}
    for kind, value in keys:
        values.setdefault(kind, []).append(value)
    wanted = [sa.and_(Identity.kind == k, Identity.value.in_(v)) for k, v in sorted(values.items())]
    return connection.execute(
        sa.select(Identity.kind, Identity.value, Identity.profile_id).where(sa.or_(*wanted))
    )


def _json(rows: list[dict[str, Any]]) -> str:
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":"))


def _recordset(*columns: sa.ColumnClause[Any]) -> Any:
    """`json_to_recordset(:rows) AS rows(name type, …)`: the batch as a table."""
    rows = sa.cast(sa.bindparam("rows", type_=sa.Text), postgresql.JSON)
    return sa.func.json_to_recordset(rows).table_valued(*columns).render_derived(with_types=True)


_TIME = sa.DateTime(timezone=True)
_EVENT_FIELDS = ("external_id", "name", "profile_id", "properties")
_events = _recordset(
    sa.column("external_id", sa.String),
    sa.column("name", sa.String),
    sa.column("profile_id", sa.Integer),
    sa.column("properties", postgresql.JSONB),
    sa.column("occurred_at", _TIME),
)
_INSERT_EVENTS = (
    postgresql.insert(Event)
    .from_select(
        ["connection_id", "external_id", "name", "profile_id", "properties", "occurred_at", "received_at"],
        sa.select(
            sa.bindparam("connection_id", type_=sa.Integer),
            *(_events.c[name] for name in ("external_id", "name", "profile_id", "properties", "occurred_at")),
            sa.bindparam("now", type_=_TIME),
        ),
    )
    .on_conflict_do_nothing()
    .returning(Event.id, Event.profile_id, Event.external_id)
)
_INSERT_EVENT_ROWS = (
    sqlite.insert(Event).on_conflict_do_nothing().returning(Event.id, Event.profile_id, Event.external_id)
)

_profiles = _recordset(sa.column("traits", postgresql.JSONB), sa.column("position", sa.Integer))
_INSERT_PROFILES = (
    postgresql.insert(Profile)
    .from_select(
        ["traits", "created_at", "updated_at"],
        sa.select(
            _profiles.c["traits"], sa.bindparam("now", type_=_TIME), sa.bindparam("now", type_=_TIME)
        ).order_by(_profiles.c["position"]),
    )
    .returning(Profile.id)
)
_INSERT_PROFILE_ROWS = sa.insert(Profile).returning(Profile.id, sort_by_parameter_order=True)

_claims = _recordset(
    sa.column("kind", sa.String),
    sa.column("value", sa.String),
    sa.column("owner", sa.Integer),
    sa.column("position", sa.Integer),
)
_CLAIM_KEYS = (
    postgresql.insert(Identity)
    .from_select(
        ["kind", "value", "profile_id", "created_at"],
        sa.select(
            _claims.c["kind"], _claims.c["value"], _claims.c["owner"], sa.bindparam("now", type_=_TIME)
        ).order_by(_claims.c["position"]),
    )
    .on_conflict_do_nothing()
    .returning(Identity.kind, Identity.value)
)
_CLAIM_KEY_ROWS = sqlite.insert(Identity).on_conflict_do_nothing().returning(Identity.kind, Identity.value)

_wanted = _recordset(sa.column("kind", sa.String), sa.column("value", sa.String))
_LOOKUP_KEYS = sa.select(Identity.kind, Identity.value, Identity.profile_id).join(
    _wanted, sa.and_(Identity.kind == _wanted.c["kind"], Identity.value == _wanted.c["value"])
)

# The same decision as `single_owner`, made by the server: an event whose keys are all held by
# one profile is inserted at once; the owners of all keys come back for the resolver. The
# distinct keys meet `identities` as in `_LOOKUP_KEYS` (an estimated 100 rows), so the planner
# probes the unique (kind, value) index once the table is large; per-event keys (`wanted`)
# only meet the few rows found.
_INSERT_KNOWN = sa.text(
    """
    WITH held AS (
        SELECT i.kind, i.value, i.profile_id
        FROM identities i
        JOIN json_to_recordset(CAST(:keys AS json)) AS k(kind varchar, value varchar)
            ON i.kind = k.kind AND i.value = k.value
    ), known AS (
        SELECT w.position, min(h.profile_id) AS profile_id
        FROM json_to_recordset(CAST(:wanted AS json)) AS w(position int, kind varchar, value varchar)
        LEFT JOIN held h ON h.kind = w.kind AND h.value = w.value
        GROUP BY w.position
        HAVING count(h.profile_id) = count(*) AND min(h.profile_id) = max(h.profile_id)
    ), inserted AS (
        INSERT INTO events (connection_id, external_id, name, profile_id, properties, occurred_at, received_at)
        SELECT :connection_id, r.external_id, r.name, k.profile_id, r.properties, r.occurred_at, :now
        FROM json_to_recordset(CAST(:rows AS json)) AS r(
            position int, external_id varchar, name varchar, properties jsonb, occurred_at timestamptz
        )
        JOIN known k ON k.position = r.position
        ORDER BY r.position
        ON CONFLICT DO NOTHING
        RETURNING id, profile_id, external_id
    )
    SELECT kind, value, profile_id, NULL::bigint AS event_id, NULL::varchar AS external_id FROM held
    UNION ALL
    SELECT NULL, NULL, profile_id, id, external_id FROM inserted
    """
).bindparams(
    sa.bindparam("rows", type_=sa.Text),
    sa.bindparam("keys", type_=sa.Text),
    sa.bindparam("wanted", type_=sa.Text),
    sa.bindparam("connection_id", type_=sa.Integer),
    sa.bindparam("now", type_=_TIME),
)
