"""Rows of one batched target claimed by concurrent drains still go out in the fewest requests.

A commit of 150 rows wakes two drain jobs (one per claim of 100), which the app's own worker
runs at once: the claim and the rows that fill its batch are taken in one transaction, so the
other drain cannot take the rest of the batch between them and split one Salesforce
collection of 150 records (its limit is 200) into two requests.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from connectors.salesforce import fake as salesforce_fake
from connectors.salesforce.fake import SalesforceFake
from tests.actions.test_crm_outbox import FIELDS, queue, run_drain, statuses
from tests.fakes.support import received


@pytest.fixture
def salesforce() -> Iterator[SalesforceFake]:
    with salesforce_fake.start(members=160, seed=7, custom_fields=list(FIELDS)) as server:
        yield server


def test_two_drains_woken_by_one_commit_send_one_collection(app: Flask, salesforce: SalesforceFake) -> None:
    contacts = [salesforce.member_id(i) for i in range(150)]
    rows = queue(app, salesforce, contacts)
    run_drain(app)
    requests = received(salesforce)
    assert len(requests) == 1
    assert [r["id"] for r in requests[0]["json"]["records"]] == contacts
    assert set(statuses(app, rows).values()) == {("sent", 1)}
