"""Redelivery, retries, parking and replay on the real broker and database.

The codes service is the subject: its ``voters.enrolled`` handler has an
effect that must happen exactly once (one code, one ``codes.issued``).
"""

from __future__ import annotations

import json
import time

import sqlalchemy as sa
from prometheus_client import REGISTRY

from rollcall.messaging import parking
from rollcall.messaging.publisher import ConfirmingPublisher
from rollcall.messaging.topology import ATTEMPT_HEADER, QUEUE_HEADER, REASON_HEADER, Topology
from services.codes import issuing
from services.codes.service import CodesService
from tests import support


def _enrolled(ballot_id: int = 1, numbers=("M1", "M2")) -> dict:
    return {
        "ballot_id": ballot_id,
        "voters": [
            {"membership_number": n, "name": f"Voter {n}", "email": f"{n}@example.org"}
            for n in numbers
        ],
    }


def _codes(settings) -> int:
    engine = sa.create_engine(settings.database_url("codes"))
    with engine.connect() as c:
        n = c.execute(sa.text("select count(*) from codes")).scalar_one()
    engine.dispose()
    return n


def _issued_events(settings) -> list[dict]:
    support.wait_for(lambda: support.outbox_drained(settings, "codes"), what="the outbox to drain")
    topology = Topology(settings.namespace, settings.retry_delays)
    return [
        json.loads(m.body)
        for m in support.queue_messages(settings, topology.queue("mailer", "codes.issued"))
    ]


def _metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_redelivered_message_after_commit_issues_no_second_code(make_settings):
    settings = make_settings("codes")
    with support.running(settings, CodesService):
        first = support.publish_event(settings, "voters.enrolled", _enrolled())
        support.wait_for(lambda: _codes(settings) == 2, what="two codes")
        # Read the count before the duplicate goes out, or a quick handler beats us to it.
        before = _metric(
            "rollcall_messages_handled_total",
            service="codes",
            event="voters.enrolled",
            outcome="duplicate",
        )
        support.publish_event(settings, "voters.enrolled", _enrolled(), message_id=first)
        support.wait_for(
            lambda: (
                _metric(
                    "rollcall_messages_handled_total",
                    service="codes",
                    event="voters.enrolled",
                    outcome="duplicate",
                )
                > before
            ),
            what="the duplicate to be handled",
        )
    assert _codes(settings) == 2
    events = _issued_events(settings)
    assert len(events) == 1 and len(events[0]["codes"]) == 2


def test_a_second_enrolment_of_the_same_voters_makes_no_second_code(make_settings):
    settings = make_settings("codes")
    labels = {"service": "codes", "event": "voters.enrolled", "outcome": "ok"}
    handled = _metric("rollcall_messages_handled_total", **labels)
    with support.running(settings, CodesService):
        support.publish_event(settings, "voters.enrolled", _enrolled(numbers=("M1",)))
        support.publish_event(settings, "voters.enrolled", _enrolled(numbers=("M1", "M2")))
        # Both messages handled, not just two codes seen: a wrong third code
        # would be in the count below by then.
        support.wait_for(
            lambda: _metric("rollcall_messages_handled_total", **labels) >= handled + 2,
            what="both enrolments to be handled",
        )
    assert _codes(settings) == 2
    issued = [c["membership_number"] for e in _issued_events(settings) for c in e["codes"]]
    assert sorted(issued) == ["M1", "M2"]


def test_handler_failing_twice_is_retried_with_backoff_then_succeeds(make_settings, monkeypatch):
    settings = make_settings("codes", retry_delays=(0.3, 0.6, 5.0))
    real = issuing.issue
    calls: list[float] = []

    def flaky(*args, **kwargs):
        calls.append(time.monotonic())
        if len(calls) <= 2:
            raise ConnectionError("database went away (injected)")
        return real(*args, **kwargs)

    monkeypatch.setattr(issuing, "issue", flaky)
    with support.running(settings, CodesService):
        support.publish_event(settings, "voters.enrolled", _enrolled())
        support.wait_for(lambda: _codes(settings) == 2, timeout=20, what="codes after retries")
    assert len(calls) == 3
    assert calls[1] - calls[0] >= 0.3 and calls[2] - calls[1] >= 0.6, "retries must back off"
    assert len(_issued_events(settings)) == 1


def test_handler_failing_always_is_parked_counted_and_replayable(make_settings, monkeypatch):
    settings = make_settings("codes", retry_delays=(0.1, 0.2))
    topology = Topology(settings.namespace, settings.retry_delays)
    real = issuing.issue
    broken = {"on": True}

    def failing(*args, **kwargs):
        if broken["on"]:
            raise RuntimeError("bug in issuing (injected)")
        return real(*args, **kwargs)

    monkeypatch.setattr(issuing, "issue", failing)
    queue = topology.queue("codes", "voters.enrolled")
    parked_before = _metric("rollcall_messages_parked_total", service="codes", queue=queue)
    with support.running(settings, CodesService):
        message_id = support.publish_event(settings, "voters.enrolled", _enrolled())
        support.wait_for(
            lambda: (
                _metric("rollcall_messages_parked_total", service="codes", queue=queue)
                > parked_before
            ),
            what="the message to park",
        )
        publisher = ConfirmingPublisher(settings.amqp_uri)
        listed = list(parking.browse(publisher, topology))
        assert [p.message_id for p in listed] == [message_id]
        assert listed[0].queue == queue and "bug in issuing" in listed[0].reason
        assert _codes(settings) == 0
        broken["on"] = False
        replayed = parking.replay(publisher, topology)
        publisher.close()
        assert [p.message_id for p in replayed] == [message_id]
        support.wait_for(lambda: _codes(settings) == 2, what="codes after replay")
    assert support.queue_messages(settings, topology.parked) == []


def test_message_breaking_its_contract_is_parked_with_the_reason(make_settings):
    settings = make_settings("codes")
    topology = Topology(settings.namespace, settings.retry_delays)
    with support.running(settings, CodesService):
        support.publish_event(settings, "voters.enrolled", {"ballot_id": "one", "voters": []})
        support.publish_event(settings, "voters.enrolled", _enrolled(), version=99)
        support.publish_event(settings, "voters.enrolled", None, body=b"{not json")
        parked = support.collect_messages(settings, topology.parked, 3)
    reasons = sorted(m.properties["application_headers"][REASON_HEADER] for m in parked)
    assert all(r.startswith("invalid:") for r in reasons)
    assert any("ballot_id" in r for r in reasons)
    assert any("schema version 99" in r for r in reasons)
    assert any("not JSON" in r for r in reasons)
    assert all(
        m.properties["application_headers"][QUEUE_HEADER]
        == topology.queue("codes", "voters.enrolled")
        for m in parked
    )
    assert _codes(settings) == 0


def test_retry_copies_carry_their_attempt_number(make_settings, monkeypatch):
    settings = make_settings("codes", retry_delays=(30.0,))
    topology = Topology(settings.namespace, settings.retry_delays)

    def failing(*args, **kwargs):
        raise RuntimeError("injected")

    monkeypatch.setattr(issuing, "issue", failing)
    with support.running(settings, CodesService):
        support.publish_event(settings, "voters.enrolled", _enrolled())
        waiting = support.wait_for(
            lambda: support.queue_messages(settings, topology.delay_queue(30000)),
            what="a delayed copy",
        )
    assert waiting[0].properties["application_headers"][ATTEMPT_HEADER] == 1
