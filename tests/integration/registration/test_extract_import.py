"""An extract through the real registration service, broker and database."""

from __future__ import annotations

import json

from rollcall.messaging.publisher import ConfirmingPublisher
from rollcall.messaging.topology import Topology
from services.registration.service import RegistrationService
from tests import support
from tests.builders import ballots as builders


def _drain(settings, queue: str) -> list[dict]:
    publisher = ConfirmingPublisher(settings.amqp_uri)
    channel = publisher.channel()
    bodies = []
    while (msg := channel.basic_get(queue, no_ack=True)) is not None:
        bodies.append(json.loads(msg.body))
    publisher.close()
    return bodies


def test_extract_rows_are_each_accepted_rejected_or_duplicate_and_chunks_reach_matching(
    make_settings,
):
    settings = make_settings("registration")
    topology = Topology(settings.namespace, settings.retry_delays)
    with support.running(settings, RegistrationService), support.rpc_proxy(settings) as rpc:
        ballot = rpc.registration.create_ballot(builders.ballot_definition())
        rpc.registration.begin_extract(**builders.extract_opening(ballot["ballot_id"], "x1", 5))
        records = [
            builders.member_record("M1"),
            builders.member_record("M2"),
            builders.member_record("M1"),  # duplicate
            builders.member_record("M3", last_name=""),  # rejected
            builders.member_record("M4", email="not-an-email"),  # rejected
        ]
        rpc.registration.add_extract_rows("x1", 0, 2, records[:3])
        again = rpc.registration.add_extract_rows("x1", 0, 2, records[:3])
        assert again["duplicate_chunk"] is True
        rpc.registration.add_extract_rows("x1", 1, 5, records[3:])
        summary = rpc.registration.finish_extract("x1", 2)
        assert (
            summary["declared"],
            summary["accepted"],
            summary["rejected"],
            summary["duplicates"],
        ) == (5, 2, 2, 1)
        assert summary["balanced"] and summary["status"] == "complete"
        queue = topology.queue("matching", "members.registered")
        chunks = support.wait_for(lambda: _drain(settings, queue), what="members.registered")
        report = rpc.registration.reconcile(ballot["ballot_id"])
    assert [m["membership_number"] for m in chunks[0]["members"]] == ["M1", "M2"]
    assert len(chunks) == 1
    assert report["ledger"]["awaiting_match"] == 2
    assert report["unaccounted"] == 0 and report["balanced"]
