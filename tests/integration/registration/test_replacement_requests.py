"""A member's replacement request on the real broker and PostgreSQL: matched once, however often it comes."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from services.registration.service import RegistrationService
from tests import support
from tests.builders import ballots as builders


def _rows(settings, query: str) -> list:  # type: ignore[no-untyped-def,type-arg]
    engine = sa.create_engine(settings.database_url("registration"), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as c:
            return list(c.execute(sa.text(query)))
    finally:
        engine.dispose()


def test_a_redelivered_request_reissues_once_and_a_new_one_finds_the_code_on_its_way(
    make_settings,
):
    settings = make_settings("registration")
    with support.running(settings, RegistrationService), support.rpc_proxy(settings) as rpc:
        bid = support.ballot_with_members(rpc, [builders.member_record("M1")])
        decision = {
            "membership_number": "M1",
            "decision": "match",
            "elector_id": "E-M1",
            "score": 1.0,
            "reasons": "same name at the same address",
            "eligible": True,
        }
        support.publish_event(
            settings, "members.matched", {"ballot_id": bid, "decisions": [decision]}
        )
        support.wait_for(
            lambda: _rows(settings, "select 1 from ledger where state = 'awaiting_code'"),
            what="M1 awaiting a code",
        )
        sent = {"membership_number": "M1", "channel": "email", "outcome": "sent"}
        support.publish_event(settings, "mail.sent", {"ballot_id": bid, "deliveries": [sent]})
        support.wait_for(
            lambda: _rows(settings, "select 1 from ledger where state = 'code_emailed'"),
            what="M1's code emailed",
        )
        request = {
            "ballot_id": bid,
            "membership_number": "M1",
            "email": "m1@example.org",
            "requested_at": datetime.now(UTC).isoformat(),
        }
        first = support.publish_event(settings, "replacement.requested", request)
        support.publish_event(settings, "replacement.requested", request, message_id=first)
        marker = {**request, "membership_number": "NOBODY"}
        support.publish_event(settings, "replacement.requested", marker)
        support.wait_for(
            lambda: _rows(settings, "select 1 from replacements where outcome = 'not_matched'"),
            what="the request published after the redelivery matched",
        )
        after_redelivery = _rows(
            settings, "select outcome from replacements where membership_number = 'M1'"
        )
        support.publish_event(settings, "replacement.requested", request)  # asked again
        outcomes = support.wait_for(
            lambda: (
                (
                    r := _rows(
                        settings,
                        "select outcome from replacements where membership_number = 'M1' order by id",
                    )
                )
                and len(r) >= 2
                and r
            ),
            what="the second request matched",
        )
        reissues = _rows(
            settings, "select 1 from outbox where event_type = 'voters.reissue_requested'"
        )
        state = _rows(settings, "select state, reason from ledger")
    assert [o for (o,) in after_redelivery] == ["reissued"], "the redelivery had no effect"
    assert [o for (o,) in outcomes] == ["reissued", "in_flight"]
    assert len(reissues) == 1
    assert state[0].state == "awaiting_code"
    assert "a replacement asked for by the member, by email" in state[0].reason
