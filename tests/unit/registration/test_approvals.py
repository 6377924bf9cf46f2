"""Two people for a contact change after the freeze, and for resuming a paused ballot, on SQLite."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.registration import approvals, ballots, corrections, extracts, pausing
from services.registration.errors import SamePerson
from services.registration.models import Member
from tests.builders import ballots as builders
from tests.unit.registration.recorded import audit_actions, events

KEY = b"k" * 32


def _frozen_ballot_with_member(session) -> int:
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    definition = builders.ballot_definition(timetable={"freeze_at": past})
    bid = ballots.create(session, definition, "test")["ballot_id"]
    extracts.begin(session, **builders.extract_opening(bid, "x1"))
    extracts.add_chunk(
        session, extract_id="x1", chunk=0, first_line=2, records=[builders.member_record("M1")]
    )
    return bid


def _email(session, bid: int) -> str:
    return session.query(Member).filter_by(ballot_id=bid, membership_number="M1").one().email


def test_a_contact_correction_after_the_freeze_waits_and_its_asker_cannot_approve_it(session):
    bid = _frozen_ballot_with_member(session)
    asked = corrections.correct(session, bid, "M1", {"email": "new@example.org"}, "off-1", "", KEY)
    assert asked["status"] == "pending_approval" and _email(session, bid) == "m1@example.org"
    refusal = approvals.decide_change(session, asked["change_id"], "off-1", True, KEY)
    assert isinstance(refusal, SamePerson)
    assert str(refusal) == "a second, different person must approve this change"
    assert audit_actions(session)[-1][2] == "the person who asked for a change cannot approve it"
    assert _email(session, bid) == "m1@example.org"
    decided = approvals.decide_change(session, asked["change_id"], "off-2", True, KEY, "phoned")
    assert decided == {"change_id": asked["change_id"], "status": "approved"}
    assert _email(session, bid) == "new@example.org"
    (notice,) = events(session, "voters.contact_changed")
    assert (
        notice["old"]["email"] == "m1@example.org" and notice["new"]["email"] == "new@example.org"
    )
    assert approvals.list_changes(session, bid) == []


def test_resuming_a_paused_ballot_needs_someone_other_than_who_asked(session):
    bid = ballots.create(session, builders.ballot_definition(), "test")["ballot_id"]
    ballots.change_phase(session, bid, "open", "op-1")
    pausing.pause(session, bid, "op-1", "a complaint")
    pausing.request_resume(session, bid, "op-1", "resolved")
    refusal = pausing.approve_resume(session, bid, "op-1", "")
    assert str(refusal) == "a second, different person must approve resuming the ballot"
    assert audit_actions(session)[-1][:1] == ("ballot.resume_refused",)
    assert ballots.get(session, bid).phase == "paused"
    assert pausing.approve_resume(session, bid, "op-2", "checked")["phase"] == "open"
