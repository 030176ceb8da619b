"""What a group leaves to do after its commit (sending its evaluation job) runs while the next
group commits, and its deliveries are answered only once it is done.

Driven through the combiner with real threads; `run` stands in for the ingest's commit so the
test decides when each step may finish.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from hub.inbound.combine import Combiner, Delivery

WAIT_S = 10


class Steps:
    """A commit per group, recorded in order; the first group's afterwards waits for a signal."""

    def __init__(self) -> None:
        self.log: list[str] = []
        self.first_committed = threading.Event()
        self.let_first_finish = threading.Event()

    def run(self, _session: Any, group: list[Delivery[str]]) -> Callable[[], None]:
        names = ",".join(d.events[0] for d in group)
        self.log.append(f"commit {names}")
        for delivery in group:
            delivery.result = f"stored {delivery.events[0]}"
        first = not self.first_committed.is_set()
        self.first_committed.set()

        def afterwards() -> None:
            if first:
                assert self.let_first_finish.wait(WAIT_S)
            self.log.append(f"sent {names}")

        return afterwards


def submit_in_thread(combiner: Combiner[str], name: str, outcomes: dict[str, Any]) -> threading.Thread:
    def send() -> None:
        try:
            outcomes[name] = combiner.submit(None, Delivery(1, [name]))  # type: ignore[arg-type]
        except Exception as exc:  # the outcome under test
            outcomes[name] = exc

    thread = threading.Thread(target=send)
    thread.start()
    return thread


def test_the_next_group_commits_while_the_previous_sends_and_no_delivery_is_answered_before_its_send() -> (
    None
):
    steps = Steps()
    combiner: Combiner[str] = Combiner(steps.run, max_events=100)
    outcomes: dict[str, Any] = {}
    first = submit_in_thread(combiner, "a", outcomes)
    assert steps.first_committed.wait(WAIT_S)
    second = submit_in_thread(combiner, "b", outcomes)
    second.join(WAIT_S)
    assert steps.log == ["commit a", "commit b", "sent b"]  # b did not wait for a's send
    assert outcomes == {"b": "stored b"}  # a is not answered: its job is not sent yet
    steps.let_first_finish.set()
    first.join(WAIT_S)
    assert steps.log == ["commit a", "commit b", "sent b", "sent a"]
    assert outcomes == {"a": "stored a", "b": "stored b"}


def test_every_delivery_of_a_group_whose_send_failed_learns_it() -> None:
    """b and c queue while a commits, so they share the next commit; its send fails."""
    a_may_commit = threading.Event()
    a_committing = threading.Event()

    def run(_session: Any, group: list[Delivery[str]]) -> Callable[[], None]:
        names = [d.events[0] for d in group]
        if names == ["a"]:
            a_committing.set()
            assert a_may_commit.wait(WAIT_S)
        for delivery in group:
            delivery.result = f"stored {delivery.events[0]}"

        def afterwards() -> None:
            if "b" in names:
                raise ConnectionError("Redis went away")

        return afterwards

    combiner: Combiner[str] = Combiner(run, max_events=100)
    outcomes: dict[str, Any] = {}
    threads = [submit_in_thread(combiner, "a", outcomes)]
    assert a_committing.wait(WAIT_S)
    threads += [submit_in_thread(combiner, name, outcomes) for name in ("b", "c")]
    while combiner.waiting < 2:
        threading.Event().wait(0.01)
    a_may_commit.set()
    for thread in threads:
        thread.join(WAIT_S)
    assert outcomes["a"] == "stored a"
    assert [type(outcomes[n]).__name__ for n in ("b", "c")] == ["ConnectionError", "ConnectionError"]
    submit_in_thread(combiner, "d", outcomes).join(WAIT_S)
    assert outcomes["d"] == "stored d"  # the combiner goes on after a failed send
