"""Quorum queues on the real broker: declared as such, and retries, parking and RPC work on them.

A single RabbitMQ node (3.10 or later) serves quorum queues as a cluster does;
``test_cluster_node_loss`` runs them on three nodes.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from urllib.parse import unquote, urlsplit

import pytest
import sqlalchemy as sa

from rollcall.messaging import parking
from rollcall.messaging.publisher import ConfirmingPublisher
from rollcall.messaging.topology import Topology
from services.codes import issuing
from services.codes.service import CodesService
from tests import support

pytestmark = pytest.mark.skipif(
    shutil.which("rabbitmqctl") is None, reason="needs rabbitmqctl to read queue types"
)


def queue_types(settings) -> dict[str, str]:  # type: ignore[no-untyped-def]
    vhost = unquote(urlsplit(settings.amqp_uri).path.lstrip("/")) or "/"
    listed = subprocess.run(
        ["rabbitmqctl", "-q", "list_queues", "-p", vhost, "name", "type", "--formatter", "json"],
        check=True,
        capture_output=True,
        text=True,
    )
    return {q["name"]: q["type"] for q in json.loads(listed.stdout)}


def _enrolled() -> dict:
    return {
        "ballot_id": 1,
        "voters": [
            {"membership_number": n, "name": f"Voter {n}", "email": f"{n}@example.org"}
            for n in ("M1", "M2")
        ],
    }


def _codes(settings) -> int:  # type: ignore[no-untyped-def]
    engine = sa.create_engine(settings.database_url("codes"))
    with engine.connect() as c:
        n = c.execute(sa.text("select count(*) from codes")).scalar_one()
    engine.dispose()
    return n


def test_every_durable_queue_is_quorum_when_configured_and_rpc_answers(make_settings):
    settings = make_settings("codes", queue_type="quorum")
    topology = Topology.of(settings)
    with support.running(settings, CodesService), support.rpc_proxy(settings) as rpc:
        head = rpc.codes.get_audit_head()
        types = queue_types(settings)
    assert "hash" in head
    owned = [*topology.all_queues(), "rpc-codes"]
    assert {q: types.get(q) for q in owned} == {q: "quorum" for q in owned}
    replies = [q for q in types if q.startswith("rpc.reply-")]
    assert replies and all(types[q] == "classic" for q in replies), "reply queues stay classic"


def test_queues_stay_classic_by_default(make_settings):
    settings = make_settings("codes")
    with support.running(settings, CodesService):
        types = queue_types(settings)
    owned = [*Topology.of(settings).all_queues(), "rpc-codes"]
    assert {q: types.get(q) for q in owned} == {q: "classic" for q in owned}


def test_retries_come_back_through_quorum_delay_queues(make_settings, monkeypatch):
    settings = make_settings("codes", queue_type="quorum", retry_delays=(0.3, 0.6, 5.0))
    real = issuing.issue
    calls: list[float] = []

    def flaky(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(time.monotonic())
        if len(calls) <= 2:
            raise ConnectionError("database went away (injected)")
        return real(*args, **kwargs)

    monkeypatch.setattr(issuing, "issue", flaky)
    with support.running(settings, CodesService):
        support.publish_event(settings, "voters.enrolled", _enrolled())
        support.wait_for(lambda: _codes(settings) == 2, timeout=30, what="codes after retries")
    assert len(calls) == 3
    assert calls[1] - calls[0] >= 0.3 and calls[2] - calls[1] >= 0.6, "retries must back off"


def test_a_parked_message_in_a_quorum_lot_is_listed_and_replayed(make_settings, monkeypatch):
    settings = make_settings("codes", queue_type="quorum", retry_delays=(0.1,))
    topology = Topology.of(settings)
    real = issuing.issue
    broken = {"on": True}

    def failing(*args, **kwargs):  # type: ignore[no-untyped-def]
        if broken["on"]:
            raise RuntimeError("bug in issuing (injected)")
        return real(*args, **kwargs)

    monkeypatch.setattr(issuing, "issue", failing)
    with support.running(settings, CodesService):
        message_id = support.publish_event(settings, "voters.enrolled", _enrolled())
        publisher = ConfirmingPublisher(settings.amqp_uri)
        try:
            listed = support.wait_for(
                lambda: list(parking.browse(publisher, topology)), what="the message to park"
            )
            # Browsing gives the message back: it is listed again, once.
            assert [p.message_id for p in parking.browse(publisher, topology)] == [message_id]
            assert [p.message_id for p in listed] == [message_id]
            broken["on"] = False
            replayed = parking.replay(publisher, topology)
        finally:
            publisher.close()
        assert [p.message_id for p in replayed] == [message_id]
        support.wait_for(lambda: _codes(settings) == 2, what="codes after replay")
    assert support.queue_messages(settings, topology.parked) == []
