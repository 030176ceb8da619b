"""Claiming outbox rows: a batch at a time, under a lease, never one row to two claimants."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from hub.db import db, utcnow
from hub.models import Outbox
from hub.outbox.claims import claim, claim_statement
from hub.outbox.outcomes import CONFIG_KEY
from hub.outbox.rows import NewRow, add


def rows(app: Flask, count: int) -> None:
    app.config[CONFIG_KEY] = {"batch": 0}  # the worker woken by the commit takes nothing
    with app.app_context():
        add(db.session, [NewRow("test", "nowhere", {"n": n}, f"test-{n}") for n in range(count)])
        add(db.session, [NewRow("test", "nowhere", {"n": 0}, "test-0")])  # the same key again: no new row
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Outbox)) == count


def test_a_claim_takes_at_most_its_batch_and_two_claims_take_different_rows(app: Flask) -> None:
    rows(app, 30)
    with app.app_context():
        now = utcnow()
        first = claim(db.session, "a", 10, 60, now)
        second = claim(db.session, "b", 10, 60, now)
        assert len(first) == len(second) == 10
        assert not {i.id for i in first} & {i.id for i in second}
        assert {(i.attempt, i.tried_before) for i in first} == {(1, False)}
        held = db.session.scalars(sa.select(Outbox).where(Outbox.claimed_by == "a")).all()
        assert len(held) == 10 and {r.claimed_until for r in held} == {now + timedelta(seconds=60)}
        assert {r.next_attempt_at for r in held} == {now + timedelta(seconds=60)}
        assert len(claim(db.session, "c", 100, 60, now)) == 10
        assert claim(db.session, "d", 100, 60, now) == []


def test_a_row_whose_lease_ran_out_is_taken_over_as_tried_before(app: Flask) -> None:
    rows(app, 3)
    with app.app_context():
        now = utcnow()
        assert len(claim(db.session, "dead worker", 10, 30, now)) == 3
        assert claim(db.session, "other", 10, 30, now + timedelta(seconds=29)) == []
        taken = claim(db.session, "other", 10, 30, now + timedelta(seconds=31))
        assert [(i.attempt, i.tried_before) for i in taken] == [(2, True)] * 3
        assert set(db.session.scalars(sa.select(Outbox.claimed_by))) == {"other"}


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_claim_reads_the_outbox_once_however_stale_its_statistics(app: Flask) -> None:
    """Due rows written a moment after autovacuum last saw an empty outbox: the claim's UPDATE
    once joined the rows it picked to every pending row in a nested loop, reading the table
    once per picked id (92 ms a claim of 100 among 8,000 rows instead of about one)."""
    with app.app_context():
        db.session.execute(sa.text("ANALYZE outbox"))  # as autovacuum saw it: empty
        db.session.commit()
    rows(app, 3000)
    with app.app_context():
        now = utcnow()
        statement = claim_statement(db.session, "a", 100, now + timedelta(seconds=60), now)
        compiled = statement.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True})
        plan = "\n".join(db.session.execute(sa.text(f"EXPLAIN ANALYZE {compiled}")).scalars())
        db.session.rollback()
        assert "Join Filter" not in plan, plan
        removed = [int(n) for n in re.findall(r"Rows Removed by Filter: (\d+)", plan)]
        assert sum(removed) < 3000, plan
        assert len(claim(db.session, "a", 100, 60, now)) == 100
