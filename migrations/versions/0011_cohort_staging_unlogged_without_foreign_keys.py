"""make cohort_staging a scratch table: no foreign keys, and unlogged on PostgreSQL

A sync stages every member of its cohort, a million rows for a large one, and deletes them
when it ends. Two foreign keys (to runs and cohorts) cost a lookup and a row lock per staged
row, most of the time a page spent in the database, and the rows were written to the WAL only
to be deleted minutes later. Staged rows are never the truth (a crash loses nothing that the
next sync does not fetch again), so PostgreSQL keeps them unlogged; the sync itself clears
the rows of cohorts that are gone. Rows staged when this runs are dropped on the way back
down, since their run or cohort may be gone by then.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

FOREIGN_KEYS = (
    ("fk_cohort_staging_run_id_runs", "runs", "run_id"),
    ("fk_cohort_staging_cohort_id_cohorts", "cohorts", "cohort_id"),
)


def upgrade() -> None:
    with op.batch_alter_table("cohort_staging") as batch:
        for name, _, _ in FOREIGN_KEYS:
            batch.drop_constraint(name, type_="foreignkey")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE cohort_staging SET UNLOGGED")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE cohort_staging SET LOGGED")
    op.execute("DELETE FROM cohort_staging")
    with op.batch_alter_table("cohort_staging") as batch:
        for name, table, column in FOREIGN_KEYS:
            batch.create_foreign_key(name, table, [column], ["id"], ondelete="CASCADE")
