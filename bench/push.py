"""Result actions pushed in batches: requests per respondent and wall time against each CRM/analytics fake.

For N respondents (1,000) and each destination (HubSpot and Salesforce `update_fields`,
Mixpanel and Amplitude `update_fields` and `track`): N `action` rows are committed to the
outbox and drained by the outbox worker (the core's `action` handler groups them and cuts
them into chunks of the destination's `batch_size`), once with the outbox's default claim of
100 rows and once with a claim as large as the destination's batch; then the same actions are
performed directly in `batch_size` chunks. Requests are counted by the fake itself; the
figure is requests sent divided by the fewest possible, ceil(N / batch size) (goal: at most
1.05). The baseline, in the same run against the same fake, is the same actions one per
request (batch size 1); `speedup` is its wall time over the outbox's.

    python bench/push.py [--respondents 1000]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa

from bench.push_outbox import drain_all, seed
from connectors.registry import get_connector
from connectors.sdk.actions import Action, Destination, Done, Operation, Respondent
from connectors.sdk.fakes.server import FakeServer
from hub.app import create_app
from hub.migrate import upgrade
from hub.outbox.outcomes import CONFIG_KEY

RESULT = {
    "result_id": 1,
    "themes": [{"label": "pricing", "confidence": 0.9}, {"label": "onboarding", "confidence": 0.6}],
    "sentiment": {"label": "negative", "score": -0.4},
    "quality": 4,
    "completed_at": "2026-11-20T10:30:00+00:00",
}
DEFAULT_CLAIM = 100
"""The outbox claims this many rows at once (hub.outbox.outcomes.Policy.batch)."""
CRM_FIELDS = {"hubspot": ("jh_themes", "jh_sentiment"), "salesforce": ("Themes__c", "Sentiment__c")}
IDENTITY = {
    "hubspot": "hubspot_contact",
    "salesforce": "salesforce_contact",
    "mixpanel": "mixpanel_distinct_id",
}


def actions(fake: FakeServer, name: str, operation: Operation, n: int, run: str) -> list[Action]:
    themes, sentiment = CRM_FIELDS.get(name, ("jh_themes", "jh_sentiment"))
    made = []
    for i in range(n):
        if name == "amplitude":
            identities = {"user_id": f"user-{i}"}
        else:
            identities = {IDENTITY[name]: f"1:{fake.member_id(i)}"}
        made.append(
            Action(
                key=f"{run}-{name}-{operation}-{i}",
                operation=operation,
                fields={themes: "pricing, onboarding", sentiment: "negative"},
                title="Interview result",
                text="themes: pricing, onboarding",
                link=f"https://hub.example/results/{i}",
                respondent=Respondent(profile_id=i, identities=identities),
                context={"result": RESULT},
            )
        )
    return made


def push(
    dest: Destination, config: dict[str, Any], fake: FakeServer, batch: list[Action], size: int
) -> tuple[int, float]:
    """(requests the fake received, wall seconds) for `batch` in chunks of `size`; every action must be Done."""
    before, started = fake.request_count, time.perf_counter()
    for start in range(0, len(batch), size):
        answers = dest.perform(config, batch[start : start + size])
        refused = [a for a in answers.values() if not isinstance(a, Done)]
        if refused:
            raise SystemExit(f"refused: {refused[0]}")
    return fake.request_count - before, time.perf_counter() - started


@contextmanager
def fakes(n: int) -> Iterator[dict[str, FakeServer]]:
    from connectors.amplitude.fake import start as amplitude
    from connectors.hubspot.fake import start as hubspot
    from connectors.mixpanel.fake import start as mixpanel
    from connectors.salesforce.fake import start as salesforce

    started: dict[str, Callable[..., FakeServer]] = {
        "hubspot": lambda: hubspot(members=n, custom_fields=CRM_FIELDS["hubspot"]),
        "salesforce": lambda: salesforce(members=n, custom_fields=CRM_FIELDS["salesforce"]),
        "mixpanel": lambda: mixpanel(members=n),
        "amplitude": lambda: amplitude(members=n),
    }
    servers = {name: start() for name, start in started.items()}
    try:
        yield servers
    finally:
        for server in servers.values():
            server.stop()


def stored(name: str, operation: str) -> dict[str, Any]:
    """One rendered action as recipes/actions stores it in the row's payload."""
    themes, sentiment = CRM_FIELDS.get(name, ("jh_themes", "jh_sentiment"))
    return {
        "operation": operation,
        "fields": {themes: "pricing, onboarding", sentiment: "negative"},
        "title": "Interview result",
        "text": "themes: pricing, onboarding",
        "link": "https://hub.example/results/1",
        "quotes": [],
        "context": {"result": RESULT},
    }


def through_outbox(
    app: Any, name: str, operation: Operation, fake: FakeServer, n: int, claim: int, label: str
) -> tuple[int, float]:
    app.config[CONFIG_KEY] = {"batch": claim}
    rows = seed(app, name, fake, operation, stored(name, operation), n, f"{operation}-{label}")
    return drain_all(app, fake, rows)


def measure(app: Any, name: str, operation: Operation, fake: FakeServer, n: int) -> dict[str, float]:
    connector = get_connector(name)
    dest = connector.actions
    assert dest is not None
    config = connector.prepare_config(fake.credentials)
    fewest = math.ceil(n / dest.batch_size)
    claimed, claimed_wall = through_outbox(app, name, operation, fake, n, DEFAULT_CLAIM, "claim100")
    sent, wall = through_outbox(app, name, operation, fake, n, max(DEFAULT_CLAIM, dest.batch_size), "wide")
    with app.app_context():
        direct, direct_wall = push(
            dest, config, fake, actions(fake, name, operation, n, "direct"), dest.batch_size
        )
        single, baseline = push(dest, config, fake, actions(fake, name, operation, n, "single"), 1)
    case = f"{name}_{operation}"
    print(
        f"{case:24} batch {dest.batch_size:4}, fewest {fewest:2} requests | outbox, claim 100: {claimed} "
        f"requests (ratio {claimed / fewest:.2f}) {claimed_wall:.2f} s | outbox, claim {max(100, dest.batch_size)}: "
        f"{sent} ({sent / fewest:.2f}) {wall:.2f} s | direct: {direct} ({direct / fewest:.2f}) {direct_wall:.2f} s "
        f"| one per request: {single} in {baseline:.2f} s ({baseline / wall:.1f}x)"
    )
    return {
        f"{case}_request_ratio_claim100": claimed / fewest,
        f"{case}_wall_s_claim100": claimed_wall,
        f"{case}_request_ratio": sent / fewest,
        f"{case}_wall_s": wall,
        f"{case}_direct_request_ratio": direct / fewest,
        f"{case}_baseline_wall_s": baseline,
        f"{case}_speedup": baseline / wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--respondents", type=int, default=1000)
    n = parser.parse_args().respondents
    home = tempfile.mkdtemp(prefix="journeyhub-push-")
    database = f"sqlite:///{home}/journeyhub.db"
    engine = sa.create_engine(database)
    upgrade(engine)
    engine.dispose()
    app = create_app(
        {
            "JOURNEYHUB_HOME": home,
            "DATABASE_URL": database,
            "JOURNEYHUB_SECRET_KEY": Fernet.generate_key().decode(),
            "JOURNEYHUB_ALLOWED_HOSTS": "127.0.0.1",
        }
    )
    cases: list[tuple[str, Operation]] = [
        ("hubspot", "update_fields"),
        ("salesforce", "update_fields"),
        ("mixpanel", "update_fields"),
        ("mixpanel", "track"),
        ("amplitude", "update_fields"),
        ("amplitude", "track"),
    ]
    figures: dict[str, float] = {}
    with fakes(n) as servers:
        for name, operation in cases:
            figures |= measure(app, name, operation, servers[name], n)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other work on the machine)")
    print(json.dumps({"bench": "push", "respondents": n, **{k: round(v, 3) for k, v in figures.items()}}))


if __name__ == "__main__":
    main()
