"""add ask: respondent turns kept searchable by the database, conversations and notes

`ask_passages` gets one row per respondent turn of every result, written by triggers on
`interview_results` (insert, and an update of the transcript), and filled here from the
results already stored. PostgreSQL searches it through a GIN index on
to_tsvector('english', text); SQLite through the external-content FTS5 table `ask_fts`,
which triggers on `ask_passages` keep in step. A batch migration that recreates
`interview_results` on SQLite drops its triggers: such a migration must create them again.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")

POSTGRES = [
    """
    CREATE FUNCTION ask_index_result() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'UPDATE' THEN
        DELETE FROM ask_passages WHERE result_id = NEW.id;
      END IF;
      INSERT INTO ask_passages (result_id, turn, text)
      SELECT NEW.id, (t.n - 1)::int, t.value ->> 'text'
      FROM jsonb_array_elements(
             CASE WHEN jsonb_typeof(NEW.transcript) = 'array' THEN NEW.transcript ELSE '[]'::jsonb END
           ) WITH ORDINALITY AS t(value, n)
      WHERE jsonb_typeof(t.value) = 'object'
        AND t.value ->> 'speaker' = 'respondent'
        AND coalesce(t.value ->> 'text', '') <> '';
      RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER ask_index_result AFTER INSERT OR UPDATE OF transcript ON interview_results
    FOR EACH ROW EXECUTE FUNCTION ask_index_result()
    """,
    "CREATE INDEX ix_ask_passages_search ON ask_passages USING gin (to_tsvector('english'::regconfig, text))",
]
SQLITE_TURNS = """
    INSERT INTO ask_passages (result_id, turn, text)
    SELECT NEW.id, CAST(t.key AS INTEGER), json_extract(t.value, '$.text')
    FROM json_each(CASE WHEN json_valid(NEW.transcript) THEN NEW.transcript ELSE '[]' END) AS t
    WHERE t.type = 'object'
      AND json_extract(t.value, '$.speaker') = 'respondent'
      AND coalesce(json_extract(t.value, '$.text'), '') <> '';
"""
SQLITE_FORGET = "DELETE FROM ask_passages WHERE result_id = NEW.id;"
SQLITE = [
    "CREATE VIRTUAL TABLE ask_fts USING fts5("
    "text, content='ask_passages', content_rowid='id', tokenize='porter unicode61')",
    f"CREATE TRIGGER ask_index_result_insert AFTER INSERT ON interview_results BEGIN {SQLITE_TURNS} END",
    "CREATE TRIGGER ask_index_result_update AFTER UPDATE OF transcript ON interview_results BEGIN "
    + SQLITE_FORGET
    + SQLITE_TURNS
    + " END",
    "CREATE TRIGGER ask_fts_insert AFTER INSERT ON ask_passages BEGIN "
    "INSERT INTO ask_fts (rowid, text) VALUES (NEW.id, NEW.text); END",
    "CREATE TRIGGER ask_fts_delete AFTER DELETE ON ask_passages BEGIN "
    "INSERT INTO ask_fts (ask_fts, rowid, text) VALUES ('delete', OLD.id, OLD.text); END",
]


def upgrade() -> None:
    op.create_table(
        "ask_passages",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("result_id", BIGINT, nullable=False),
        sa.Column("turn", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["result_id"],
            ["interview_results.id"],
            name="fk_ask_passages_result_id_interview_results",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_ask_passages"),
        sa.UniqueConstraint("result_id", "turn", name="uq_ask_passages_result_id_turn"),
    )
    op.create_table(
        "ask_conversations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("filters", JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ask_conversations"),
    )
    op.create_table(
        "ask_messages",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("filters", JSON, nullable=False),
        sa.Column("answer", JSON, nullable=False),
        sa.Column("engine", sa.String(20), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["ask_conversations.id"],
            name="fk_ask_messages_conversation_id_ask_conversations",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_ask_messages"),
    )
    op.create_index("ix_ask_messages_conversation_id", "ask_messages", ["conversation_id"])
    op.create_table(
        "ask_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("message_id", BIGINT, nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("citations", JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["finding_id"], ["findings.id"], name="fk_ask_notes_finding_id_findings", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["ask_messages.id"],
            name="fk_ask_notes_message_id_ask_messages",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_ask_notes"),
    )
    op.create_index("ix_ask_notes_finding_id", "ask_notes", ["finding_id"])
    op.create_index("ix_ask_notes_message_id", "ask_notes", ["message_id"])
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRES if postgres else SQLITE:
        op.execute(statement)
    # The results already stored: an update of their transcript to itself runs the trigger.
    op.execute("UPDATE interview_results SET transcript = transcript")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS ask_index_result ON interview_results")
        op.execute("DROP FUNCTION IF EXISTS ask_index_result()")
    else:
        for trigger in (
            "ask_index_result_insert",
            "ask_index_result_update",
            "ask_fts_insert",
            "ask_fts_delete",
        ):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS ask_fts")
    op.drop_table("ask_notes")
    op.drop_table("ask_messages")
    op.drop_table("ask_conversations")
    op.drop_table("ask_passages")
