"""A crash between commit and publish, and every broker connection dropped."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime
from urllib.parse import unquote, urlsplit

import eventlet
import sqlalchemy as sa

from rollcall.db import make_engine, session_factory
from rollcall.messaging.topology import Topology
from services.codes.service import CodesService
from services.registration import ballots
from services.registration.service import RegistrationService
from tests import support
from tests.builders import ballots as builders


def test_event_committed_before_a_crash_is_published_when_the_service_restarts(make_settings):
    settings = make_settings("registration")
    topology = Topology(settings.namespace, settings.retry_delays)
    # The process "crashes" right after its transaction commits: the ballot and
    # its ballot.created event are in the database, and no relay ever ran.
    engine = make_engine(settings.database_url("registration"))
    with session_factory(engine)() as session, session.begin():
        created = ballots.create(session, builders.ballot_definition(), actor="test")
    engine.dispose()
    # Declare the topology so the event has somewhere to go, then restart.
    support.publish_event(
        settings,
        "ballot.phase_changed",
        {"ballot_id": 999, "phase": "open", "at": datetime.now(UTC).isoformat()},
    )
    support.queue_messages(settings, topology.queue("tally", "ballot.phase_changed"))
    assert support.queue_messages(settings, topology.queue("tally", "ballot.created")) == []
    with support.running(settings, RegistrationService):
        got = support.wait_for(
            lambda: support.queue_messages(settings, topology.queue("tally", "ballot.created")),
            what="ballot.created to be published after the restart",
        )
    assert [json.loads(m.body)["ballot_id"] for m in got] == [created["ballot_id"]]


def _close_connections(vhost_uri: str) -> None:
    vhost = unquote(urlsplit(vhost_uri).path.lstrip("/")) or "/"
    subprocess.run(
        [
            shutil.which("rabbitmqctl") or "rabbitmqctl",
            "-q",
            "close_all_connections",
            "-p",
            vhost,
            "fault test",
        ],
        check=True,
        capture_output=True,
    )


def test_dropping_every_broker_connection_mid_run_loses_and_duplicates_nothing(make_settings):
    settings = make_settings("codes")
    topology = Topology(settings.namespace, settings.retry_delays)
    chunks = 40
    with support.running(settings, CodesService):
        for i in range(chunks // 2):
            support.publish_event(
                settings,
                "voters.enrolled",
                {
                    "ballot_id": 1,
                    "voters": [
                        {"membership_number": f"M{i}-{j}", "name": "V", "email": "v@example.org"}
                        for j in range(5)
                    ],
                },
            )
        eventlet.sleep(0.2)
        _close_connections(settings.amqp_uri)
        for i in range(chunks // 2, chunks):
            support.publish_event(
                settings,
                "voters.enrolled",
                {
                    "ballot_id": 1,
                    "voters": [
                        {"membership_number": f"M{i}-{j}", "name": "V", "email": "v@example.org"}
                        for j in range(5)
                    ],
                },
            )
        engine = sa.create_engine(settings.database_url("codes"))

        def codes() -> int:
            with engine.connect() as c:
                return c.execute(sa.text("select count(*) from codes")).scalar_one()

        def unpublished() -> int:
            with engine.connect() as c:
                return c.execute(
                    sa.text("select count(*) from outbox where published_at is null")
                ).scalar_one()

        support.wait_for(lambda: codes() == chunks * 5, timeout=60, what="every chunk to be issued")
        support.wait_for(lambda: unpublished() == 0, timeout=60, what="the outbox to drain")
        engine.dispose()
    events = support.queue_messages(settings, topology.queue("mailer", "codes.issued"))
    # A batch whose confirm was lost is published again with the same message
    # id (consumers' inboxes drop it); distinct events must issue each code once.
    distinct = {m.properties["message_id"]: json.loads(m.body) for m in events}
    issued = [c["membership_number"] for body in distinct.values() for c in body["codes"]]
    assert len(issued) == len(set(issued)) == chunks * 5
    assert support.queue_messages(settings, topology.parked) == []
