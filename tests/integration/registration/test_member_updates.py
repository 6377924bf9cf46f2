"""Changes to member data: freeze, two people, order, replay, quarantine."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from nameko.exceptions import RemoteError

from rollcall.messaging.topology import REASON_HEADER, Topology
from services.registration.service import RegistrationService
from tests import support
from tests.builders import ballots as builders
from tests.integration.registration.queries import rows

PAST = (datetime.now(UTC) - timedelta(days=1)).isoformat()
FUTURE = (datetime.now(UTC) + timedelta(days=30)).isoformat()


def _ballot_with_member(rpc, freeze_at: str) -> int:
    return support.ballot_with_members(
        rpc, [builders.member_record("M1")], timetable={"freeze_at": freeze_at}
    )


def _email(settings, bid: int) -> str:
    ((email,),) = rows(
        settings, "registration", "select email from members where ballot_id = :b", b=bid
    )
    return email


def _audit_actions(settings) -> list:
    return rows(settings, "registration", "select action, details from audit_log order by seq")


def _update(number: str, changed_at: str, **changes: str) -> dict:
    return {
        "membership_number": number,
        "changed_at": changed_at,
        "source": "crm",
        "actor": "crm-sync",
        "reason": "member asked",
        "changes": changes,
    }


def test_after_the_freeze_a_contact_change_waits_for_a_second_person(make_settings):
    settings = make_settings("registration")
    topology = Topology(settings.namespace, settings.retry_delays)
    with support.running(settings, RegistrationService), support.rpc_proxy(settings) as rpc:
        bid = _ballot_with_member(rpc, PAST)
        support.publish_event(
            settings,
            "member.updated",
            _update("M1", datetime.now(UTC).isoformat(), email="new@example.org"),
        )
        (change,) = support.wait_for(
            lambda: rpc.registration.list_changes(bid), what="a pending change"
        )
        assert _email(settings, bid) == "m1@example.org", "one person's change must not take effect"
        with pytest.raises(RemoteError) as same:
            rpc.registration.decide_change(change["change_id"], "crm-sync", True)
        assert same.value.exc_type == "SamePerson"
        assert _email(settings, bid) == "m1@example.org"
        rpc.registration.decide_change(change["change_id"], "officer-2", True, "phoned the member")
        assert _email(settings, bid) == "new@example.org"
        events = support.wait_for(
            lambda: support.queue_messages(
                settings, topology.queue("mailer", "voters.contact_changed")
            ),
            what="the notice",
        )
    notice = json.loads(events[0].body)
    assert (
        notice["old"]["email"] == "m1@example.org" and notice["new"]["email"] == "new@example.org"
    )
    actions = [a for a, _ in _audit_actions(settings)]
    assert actions.count("member.change_requested") == 1 and "member.change_refused" in actions
    assert actions[-1] == "member.updated"
    details = json.loads(_audit_actions(settings)[-1][1])
    assert "new@example.org" not in json.dumps(details), "personal data is audited as a hash"


def test_before_the_freeze_a_change_applies_at_once_and_an_older_one_never_overwrites_it(
    make_settings,
):
    settings = make_settings("registration")
    now = datetime.now(UTC)
    with support.running(settings, RegistrationService), support.rpc_proxy(settings) as rpc:
        bid = _ballot_with_member(rpc, FUTURE)
        newer = _update("M1", now.isoformat(), email="newer@example.org")
        older = _update("M1", (now - timedelta(hours=1)).isoformat(), email="older@example.org")
        first = support.publish_event(settings, "member.updated", newer)
        support.wait_for(
            lambda: _email(settings, bid) == "newer@example.org", what="the newer change"
        )
        support.publish_event(settings, "member.updated", older)
        support.publish_event(settings, "member.updated", newer, message_id=first)  # replayed
        support.wait_for(
            lambda: "member.update_ignored" in [a for a, _ in _audit_actions(settings)],
            what="the stale update to be recorded",
        )
    assert _email(settings, bid) == "newer@example.org"
    assert [a for a, _ in _audit_actions(settings)].count("member.updated") == 1


def test_malformed_inbound_events_are_quarantined_with_the_reason(make_settings):
    settings = make_settings("registration")
    topology = Topology(settings.namespace, settings.retry_delays)
    with support.running(settings, RegistrationService):
        support.publish_event(
            settings, "member.updated", _update("M1", "yesterday", email="x@example.org")
        )
        support.publish_event(
            settings, "member.updated", _update("M1", datetime.now(UTC).isoformat(), salary="1")
        )
        support.publish_event(settings, "member.lapsed", {"membership_number": "M1"})
        parked = support.collect_messages(settings, topology.parked, 3)
    reasons = " ".join(m.properties["application_headers"][REASON_HEADER] for m in parked)
    assert "changed_at" in reasons and "salary" in reasons and "lapsed_on" in reasons
