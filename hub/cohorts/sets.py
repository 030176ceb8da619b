"""The diff's set operations as SQL: each step is one statement over the whole cohort.

Nothing here passes a member through Python, so a cohort of any size costs the same dozen
statements and the worker's memory stays flat; the database does the anti-joins, key
lookups and inserts with its own hashing and sorting. Two temporary tables (dropped with the
transaction) carry the entries between steps:

- `cohort_entry_key`: one row per key of each entering member, scoped per connection as
  `hub.inbound.identity.keys_for` scopes it, with the profile that holds the key already
  (`owner`) and how many entering members share it (`holders`);
- `cohort_entry`: one row per entering member, with the profile it resolves to. A member is
  `complex` when its keys belong to two profiles (a merge) or another entering member shares
  one of them (one person twice); those few go through the Python resolver, which knows how
  to merge. Every other member has one obvious profile: the one owning its keys, or a new
  one (`fresh`) whose id is drawn here so that no ids have to travel through Python.

PostgreSQL and SQLite differ in JSON functions, in drawing ids, and in data-modifying CTEs;
each step names its text per dialect.
"""

# ruff: noqa: S608 - every text here is composed of this module's constants; values travel as parameters
from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa

from hub.db import UTCDateTime

PG, LITE = "postgresql", "sqlite"

WORK_MEM = "SET LOCAL work_mem = '64MB'"
"""The sorts and hashes over a million entries stay in memory instead of spilling to disk."""

_NOT_STAGED = """NOT EXISTS (
    SELECT 1 FROM cohort_staging s WHERE s.run_id = :run AND s.member_ref = m.member_ref)"""
_NOT_STORED = """NOT EXISTS (
    SELECT 1 FROM cohort_members m WHERE m.cohort_id = :cohort AND m.member_ref = s.member_ref)"""

_TYPED = """CASE {t}.type WHEN 'object' THEN json({t}.value) WHEN 'array' THEN json({t}.value)
    WHEN 'true' THEN json('true') WHEN 'false' THEN json('false') ELSE {t}.value END"""
"""A json_each value as JSON again: SQLite hands objects back as text and booleans as 0/1."""


def _properties(row: str) -> dict[str, str]:
    """The cohort event's properties, as `hub.cohorts.diff` documents them."""
    return {
        PG: f"""jsonb_build_object('cohort_id', CAST(:cohort AS integer), 'cohort_name', CAST(:name AS text),
            'source_ref', CAST(:source_ref AS text), 'connector', CAST(:connector AS text),
            'member_ref', {row}.member_ref, 'traits', {row}.traits)""",
        LITE: f"""json_object('cohort_id', :cohort, 'cohort_name', :name, 'source_ref', :source_ref,
            'connector', :connector, 'member_ref', {row}.member_ref, 'traits', json({row}.traits))""",
    }


_EVENT_COLUMNS = "connection_id, external_id, name, profile_id, properties, occurred_at, received_at"


def _events(change: str, row: str, source: str) -> dict[str, str]:
    name = f"cohort_{change}"
    return {
        dialect: f"""INSERT INTO events ({_EVENT_COLUMNS})
            SELECT :connection, CAST(:ext AS TEXT) || {row}.member_ref || '\\:{change}', '{name}',
                {row}.profile_id, {properties}, :now, :now
            {source}
            ON CONFLICT DO NOTHING RETURNING id"""
        for dialect, properties in _properties(row).items()
    }


EXIT_TABLE = {
    PG: "CREATE TEMP TABLE cohort_exit (id bigint PRIMARY KEY) ON COMMIT DROP",
    LITE: "CREATE TEMP TABLE cohort_exit (id INTEGER PRIMARY KEY)",
}
FIND_EXITS = f"""INSERT INTO cohort_exit (id)
    SELECT m.id FROM cohort_members m WHERE m.cohort_id = :cohort AND {_NOT_STAGED}"""
EXIT_EVENTS = _events("exited", "m", "FROM cohort_members m JOIN cohort_exit x ON x.id = m.id WHERE true")
DELETE_EXITS = "DELETE FROM cohort_members WHERE id IN (SELECT id FROM cohort_exit)"

KEY_TABLE = {
    PG: """CREATE TEMP TABLE cohort_entry_key (member_ref varchar(255), kind varchar(50),
        value varchar(400), owner integer, holders integer) ON COMMIT DROP""",
    LITE: """CREATE TEMP TABLE cohort_entry_key (member_ref TEXT, kind TEXT, value TEXT,
        owner INTEGER, holders INTEGER)""",
}
_EACH_TEXT = {PG: "jsonb_each_text", LITE: "json_each"}
FIND_KEYS = {
    dialect: f"""WITH k AS (
        SELECT s.member_ref, j.key AS kind,
            CASE WHEN j.key IN :scoped THEN CAST(:prefix AS TEXT) || j.value ELSE j.value END AS value
        FROM cohort_staging s, {each}(s.identities) j
        WHERE s.run_id = :run AND {_NOT_STORED})
    INSERT INTO cohort_entry_key (member_ref, kind, value, owner, holders)
    SELECT k.member_ref, k.kind, k.value, i.profile_id, count(*) OVER (PARTITION BY k.kind, k.value)
    FROM k LEFT JOIN identities i ON i.kind = k.kind AND i.value = k.value"""
    for dialect, each in _EACH_TEXT.items()
}

ENTRY_TABLE = {
    PG: """CREATE TEMP TABLE cohort_entry (member_ref varchar(255), identities jsonb, traits jsonb,
        complex boolean, fresh boolean, profile_id integer, unowned integer) ON COMMIT DROP""",
    LITE: """CREATE TEMP TABLE cohort_entry (member_ref TEXT PRIMARY KEY, identities TEXT, traits TEXT,
        complex INTEGER, fresh INTEGER, profile_id INTEGER, unowned INTEGER)""",
}
_NEXT_PROFILE_ID = {
    PG: "nextval(CAST(:sequence AS regclass))",
    LITE: """(SELECT coalesce(max(id), 0) FROM profiles)
        + row_number() OVER (PARTITION BY p.owners = 0 AND p.holders = 1 ORDER BY s.member_ref)""",
}
FIND_ENTRIES = {
    dialect: f"""WITH p AS (
        SELECT member_ref, count(DISTINCT owner) AS owners, min(owner) AS owner, max(holders) AS holders,
            count(*) FILTER (WHERE owner IS NULL) AS unowned
        FROM cohort_entry_key GROUP BY member_ref)
    INSERT INTO cohort_entry (member_ref, identities, traits, complex, fresh, profile_id, unowned)
    SELECT s.member_ref, s.identities, s.traits, p.owners > 1 OR p.holders > 1,
        p.owners = 0 AND p.holders = 1,
        CASE WHEN p.owners > 1 OR p.holders > 1 THEN NULL WHEN p.owners = 1 THEN p.owner
            ELSE {next_id} END,
        p.unowned
    FROM cohort_staging s JOIN p ON p.member_ref = s.member_ref
    WHERE s.run_id = :run"""
    for dialect, next_id in _NEXT_PROFILE_ID.items()
}
PROFILE_SEQUENCE = "SELECT pg_get_serial_sequence('profiles', 'id')"
SIDES = "ANALYZE cohort_staging (run_id, member_ref), cohort_members (cohort_id, member_ref)"
"""Both sides of a snapshot's diff, as they are now. Their statistics otherwise date from the last
autovacuum, which may have sampled the table before this run staged a million rows (or before
the first sync stored them): the planner then expects a handful of rows and anti-joins a
million members against a million staged refs in a nested loop, for hours. Sampled columns
only, a few hundred milliseconds; the lock it holds until commit only makes snapshot diffs of
different cohorts take their turns at the two cores, which they share anyway."""

ANALYZE = (
    "ANALYZE cohort_entry_key (member_ref, owner)",
    "ANALYZE cohort_entry (member_ref, complex, fresh)",
)
"""Row counts and the join column are what the planner lacks; the JSON columns would cost the most to sample."""

_WITHOUT_NULLS = {
    PG: """CASE WHEN e.traits @? '$.*.** ? (@.type() == "object")'
        THEN (SELECT coalesce(jsonb_object_agg(t.key, t.value), '{}') FROM jsonb_each(e.traits) t
              WHERE jsonb_typeof(t.value) <> 'null')
        ELSE jsonb_strip_nulls(e.traits) END""",
    LITE: f"""(SELECT json_group_object(t.key, {_TYPED.format(t="t")}) FROM json_each(e.traits) t
        WHERE t.type <> 'null')""",
}
"""Traits without the ones set to None, nested values as they are: jsonb_strip_nulls would also
strip inside nested objects, so it serves only the (usual) traits that hold none."""
NEW_PROFILES = {
    dialect: f"""INSERT INTO profiles (id, traits, created_at, updated_at)
        SELECT e.profile_id, {traits}, :now, :now FROM cohort_entry e WHERE e.fresh"""
    for dialect, traits in _WITHOUT_NULLS.items()
}

_CLAIMABLE = """FROM cohort_entry_key k JOIN cohort_entry e ON e.member_ref = k.member_ref
    WHERE NOT e.complex AND k.owner IS NULL"""
CLAIMABLE = "SELECT coalesce(sum(e.unowned), 0) FROM cohort_entry e WHERE NOT e.complex"
CLAIM_KEYS = f"""INSERT INTO identities (kind, value, profile_id, created_at)
    SELECT k.kind, k.value, e.profile_id, :now {_CLAIMABLE} ORDER BY k.kind, k.value
    ON CONFLICT DO NOTHING"""
"""In (kind, value) order, as the ingest path claims, so concurrent claimers queue instead of deadlocking."""
LOST_CLAIMS = (
    """UPDATE cohort_entry SET complex = true WHERE NOT complex AND EXISTS (
        SELECT 1 FROM cohort_entry_key k JOIN identities i ON i.kind = k.kind AND i.value = k.value
        WHERE k.member_ref = cohort_entry.member_ref AND k.owner IS NULL
          AND i.profile_id <> cohort_entry.profile_id)""",
    "DELETE FROM profiles WHERE id IN (SELECT profile_id FROM cohort_entry WHERE complex AND fresh)",
)
"""A concurrent writer took a key between lookup and claim: its members become complex (the
resolver merges them with that writer's profile), and the profiles made for them go, with
the keys they did win (nobody else could see them yet)."""

_OLD_PROFILES = "SELECT e.profile_id FROM cohort_entry e WHERE NOT e.complex AND NOT e.fresh"
LOCK_PROFILES = f"""SELECT count(*) FROM (SELECT p.id FROM profiles p WHERE p.id IN ({_OLD_PROFILES})
    ORDER BY p.id FOR NO KEY UPDATE) locked"""
"""Locked in id order before the update, as `hub.inbound.identity.update_traits` locks them."""

TRAIT_TABLE = {
    PG: "CREATE TEMP TABLE cohort_entry_trait (profile_id integer, key text, value jsonb) ON COMMIT DROP",
    LITE: """CREATE TEMP TABLE cohort_entry_trait (profile_id INTEGER, key TEXT, type TEXT, value,
        PRIMARY KEY (profile_id, key))""",
}
_EACH = {PG: "jsonb_each", LITE: "json_each"}
_TYPE = {PG: "jsonb_typeof(t.value)", LITE: "t.type"}
FIND_TRAITS = {
    dialect: f"""INSERT INTO cohort_entry_trait (profile_id, key, {"value" if dialect == PG else "type, value"})
    SELECT profile_id, key, {"value" if dialect == PG else "type, value"} FROM (
        SELECT e.profile_id, t.key, {_TYPE[dialect]} AS type, t.value,
            row_number() OVER (PARTITION BY e.profile_id, t.key ORDER BY e.member_ref DESC) AS r
        FROM cohort_entry e, {_EACH[dialect]}(e.traits) t
        WHERE NOT e.complex AND NOT e.fresh AND {_TYPE[dialect]} <> 'null') latest
    WHERE r = 1"""
    for dialect in (PG, LITE)
}
"""A profile's new traits from its entering members: the last member (by ref) wins, None erases nothing."""
UPDATE_TRAITS = {
    PG: """UPDATE profiles p SET traits = p.traits || n.traits, updated_at = :now
        FROM (SELECT profile_id, jsonb_object_agg(key, value) AS traits FROM cohort_entry_trait
              GROUP BY profile_id) n
        WHERE p.id = n.profile_id AND p.traits || n.traits <> p.traits""",
    LITE: f"""UPDATE profiles SET updated_at = :now, traits = (
            SELECT json_group_object(t.key, {_TYPED.format(t="t")}) FROM (
                SELECT o.key, o.type, o.value FROM json_each(profiles.traits) o
                WHERE NOT EXISTS (SELECT 1 FROM cohort_entry_trait n
                                  WHERE n.profile_id = profiles.id AND n.key = o.key)
                UNION ALL
                SELECT n.key, n.type, n.value FROM cohort_entry_trait n WHERE n.profile_id = profiles.id) t)
        WHERE EXISTS (
            SELECT 1 FROM cohort_entry_trait n WHERE n.profile_id = profiles.id AND NOT EXISTS (
                SELECT 1 FROM json_each(profiles.traits) o
                WHERE o.key = n.key AND o.type = n.type AND o.value IS n.value))""",
}
"""Newer values win, the rest stay: `{**old, **new}`, and `updated_at` moves only when that changes them."""

ENTRY_EVENTS = _events("entered", "e", "FROM cohort_entry e WHERE NOT e.complex")
NEW_MEMBERS = """INSERT INTO cohort_members (cohort_id, member_ref, profile_id, identities, traits, entered_at)
    SELECT :cohort, e.member_ref, e.profile_id, e.identities, e.traits, :now
    FROM cohort_entry e WHERE NOT e.complex"""
COMPLEX = """SELECT e.member_ref, e.identities, e.traits FROM cohort_entry e
    WHERE e.complex AND e.member_ref > :after ORDER BY e.member_ref LIMIT :limit"""

TEMP_TABLES = ("cohort_exit", "cohort_entry_key", "cohort_entry", "cohort_entry_trait")


def drop(table: str, dialect: str) -> str:
    return f"DROP TABLE IF EXISTS {'pg_temp' if dialect == PG else 'temp'}.{table}"


def statement(text: str | Mapping[str, str], dialect: str) -> sa.TextClause:
    """The step's text for this dialect, `:now` bound as the aware UTC time every table stores."""
    chosen = text if isinstance(text, str) else text[dialect]
    clause = sa.text(chosen)
    if ":now" in chosen:
        clause = clause.bindparams(sa.bindparam("now", type_=UTCDateTime()))
    if ":scoped" in chosen:
        clause = clause.bindparams(sa.bindparam("scoped", expanding=True))
    return clause
