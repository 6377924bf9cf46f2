"""``subscribe(event_type, batch=N)`` on the real broker and database: messages that arrive
while a call runs are handed to the next call together (at most N), each exactly once; a
batch that raises is taken apart, so only its bad message is retried and parked and the rest
are handled; a message that breaks its contract is parked as before; a message twice is
handled once."""

from __future__ import annotations

import json
from typing import Any

import eventlet
import eventlet.event
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from rollcall.entrypoints import ServiceBase
from rollcall.messaging.consumer import Event, subscribe
from rollcall.messaging.topology import REASON_HEADER, Topology
from tests import support

pytestmark = pytest.mark.integration

BATCH = 20
POISON = "POISON"


class Marks(ServiceBase):
    """Takes ``ballots.marked`` in batches as codes does (it runs under codes' name, which the
    contract lists as a consumer); its effect raises for one voter, ``POISON``."""

    name = "codes"
    calls: list[list[str]] = []
    release = eventlet.event.Event()

    @subscribe("ballots.marked", batch=BATCH)
    def handle_ballots_marked(self, events: list[Event]) -> list[str]:
        numbers = [event.payload["membership_number"] for event in events]
        Marks.calls.append(numbers)
        if len(Marks.calls) == 1:
            Marks.release.wait(timeout=20)  # the rest arrive meanwhile and wait for the next call

        def effect(session: Session, payloads: list[dict[str, Any]]) -> None:
            if any(p["membership_number"] == POISON for p in payloads):
                raise RuntimeError("this voter cannot be recorded")

        return self.on_events(events, effect)


def _handled(settings) -> list[str]:  # type: ignore[no-untyped-def]
    engine = sa.create_engine(settings.database_url("codes"), poolclass=sa.pool.NullPool)
    with engine.connect() as c:
        rows = c.execute(sa.text("SELECT message_id FROM inbox")).scalars().all()
    engine.dispose()
    return sorted(rows)


def _mark(number: str) -> dict[str, Any]:
    return {"ballot_id": 1, "membership_number": number, "channel": "online"}


def test_batches_are_taken_apart_when_one_message_fails(make_settings) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings("codes")
    Marks.calls, Marks.release = [], eventlet.event.Event()
    topology = Topology.of(settings)
    with support.running(settings, Marks):
        first = support.publish_event(settings, "ballots.marked", _mark("M0"), message_id="m-0")
        ids = [first]
        for n in range(1, 50):
            number = POISON if n == 7 else f"M{n}"
            ids.append(support.publish_event(settings, "ballots.marked", _mark(number)))
        support.publish_event(settings, "ballots.marked", _mark("M0"), message_id="m-0")
        support.publish_event(settings, "ballots.marked", {"ballot_id": 1})  # breaks the contract
        eventlet.sleep(0.5)  # delivered (up to the prefetch of two batches) and waiting
        Marks.release.send()
        good = sorted(i for n, i in enumerate(ids) if n != 7)
        support.wait_for(lambda: _handled(settings) == good, what="every good message handled")
        parked = support.wait_for(
            lambda: support.queue_messages(settings, topology.parked) or None,
            what="the parked messages",
        )
        while len(parked) < 2:
            eventlet.sleep(0.2)
            parked += support.queue_messages(settings, topology.parked)

    sizes = [len(call) for call in Marks.calls]
    assert sizes[0] == 1
    assert max(sizes) == BATCH, sizes  # gathered while the first call ran, cut at the batch
    reasons = sorted(str(m.headers[REASON_HEADER]) for m in parked)
    assert len(reasons) == 2
    assert reasons[0].startswith("failed after 2 retries: RuntimeError: this voter cannot")
    assert reasons[1].startswith("invalid:")
    assert (
        json.loads(parked[[str(m.headers[REASON_HEADER]) for m in parked].index(reasons[0])].body)[
            "membership_number"
        ]
        == POISON
    )
    # the poison's batch-mates were each handled alone, once; the poison was tried alone 3 times
    alone = [call for call in Marks.calls if len(call) == 1]
    assert alone.count([POISON]) == 3
    assert (
        sum(call.count("M0") for call in Marks.calls) == 2
    )  # handled once, the repeat a duplicate
