"""Result actions pushed in batches: requests per respondent and wall time against each CRM/analytics fake.

For N respondents (1,000) and each destination (HubSpot and Salesforce `update_fields`,
Mixpanel and Amplitude `update_fields` and `track`), the actions are performed the way the
outbox's `action` handler cuts them: chunks of the destination's `batch_size`, one `perform`
each. Requests are counted by the fake itself; the figure is requests sent divided by the
fewest possible, ceil(N / batch size) (goal: at most 1.05). The baseline, in the same run and
against the same fake, is the same actions one per request (batch size 1); the ratio is the
baseline's wall time over the batched one. This drives `Destination.perform` directly: the
outbox's `action` handler was not on main when this was written.

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

from connectors.registry import get_connector
from connectors.sdk.actions import Action, Destination, Done, Operation, Respondent
from connectors.sdk.fakes.server import FakeServer
from hub.app import create_app

RESULT = {
    "result_id": 1,
    "themes": [{"label": "pricing", "confidence": 0.9}, {"label": "onboarding", "confidence": 0.6}],
    "sentiment": {"label": "negative", "score": -0.4},
    "quality": 4,
    "completed_at": "2026-11-20T10:30:00+00:00",
}
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--respondents", type=int, default=1000)
    n = parser.parse_args().respondents
    home = tempfile.mkdtemp(prefix="journeyhub-push-")
    app = create_app(
        {
            "JOURNEYHUB_HOME": home,
            "DATABASE_URL": f"sqlite:///{home}/unused.db",
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
    with app.app_context(), fakes(n) as servers:
        for name, operation in cases:
            connector, fake = get_connector(name), servers[name]
            dest = connector.actions
            assert dest is not None
            config = connector.prepare_config(fake.credentials)
            fewest = math.ceil(n / dest.batch_size)
            sent, wall = push(
                dest, config, fake, actions(fake, name, operation, n, "batched"), dest.batch_size
            )
            one_by_one, baseline = push(dest, config, fake, actions(fake, name, operation, n, "single"), 1)
            case = f"{name}_{operation}"
            figures |= {
                f"{case}_requests": sent,
                f"{case}_request_ratio": sent / fewest,
                f"{case}_wall_s": wall,
                f"{case}_baseline_wall_s": baseline,
                f"{case}_speedup": baseline / wall,
            }
            print(
                f"{case:26} {n} respondents: {sent} requests (fewest {fewest}, ratio {sent / fewest:.2f}) "
                f"in {wall:.2f} s; one per request: {one_by_one} requests in {baseline:.2f} s "
                f"({baseline / wall:.1f}x)"
            )
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other work on the machine)")
    print(json.dumps({"bench": "push", "respondents": n, **{k: round(v, 3) for k, v in figures.items()}}))


if __name__ == "__main__":
    main()
