"""Joins, changes and lapses from the membership system, on SQLite."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from services.registration import ballots, extracts, feed, ledger_writer, reconciling
from services.registration.models import LedgerEntry, Member
from tests.builders import ballots as builders
from tests.unit.registration.recorded import audit_actions, events

KEY = b"k" * 32
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
#: Facts that bring a freshly admitted member to each state.
TO_STATE = {
    "awaiting_match": [],
    "in_review": ["review"],
    "awaiting_code": ["matched"],
    "code_emailed": ["matched", "code_emailed"],
    "letter_queued": ["matched", "letter_queued"],
    "mail_failed": ["matched", "mail_failed"],
    "voted": ["matched", "code_emailed", "voted"],
    "excluded": ["excluded"],
}


def _ballot(session, freeze_at: datetime | None = None) -> int:
    timetable = {"freeze_at": freeze_at.isoformat()} if freeze_at else {}
    bid = ballots.create(session, builders.ballot_definition(timetable=timetable), "test")[
        "ballot_id"
    ]
    extracts.begin(session, **builders.extract_opening(bid, f"x{bid}", len(TO_STATE)))
    records = [builders.member_record(f"M-{state}") for state in TO_STATE]
    extracts.add_chunk(session, extract_id=f"x{bid}", chunk=0, first_line=2, records=records)
    for state, facts in TO_STATE.items():
        ledger_writer.record(
            session, bid, [(f"M-{state}", fact, "set up") for fact in facts], source="test"
        )
    return bid


def _inbound(number: str, changed_at: datetime = NOW, **fields) -> dict:
    return {
        "membership_number": number,
        "changed_at": changed_at,
        "source": "crm",
        "actor": "crm-sync",
        "reason": "",
        **fields,
    }


def _lapse(session, number: str) -> dict:
    return feed.member_lapsed(session, _inbound(number, lapsed_on=date(2026, 11, 30)), KEY, now=NOW)


@pytest.mark.parametrize("state", ["awaiting_match", "in_review"])
def test_a_lapse_before_the_freeze_excludes_a_member_not_yet_enrolled(session, state):
    bid = _ballot(session)
    assert _lapse(session, f"M-{state}") == {"excluded": 1}
    entry = session.get(LedgerEntry, (bid, f"M-{state}"))
    assert (entry.state, entry.reason) == ("excluded", "excluded: membership lapsed on 2026-11-30")
    member = session.query(Member).filter_by(ballot_id=bid, membership_number=f"M-{state}").one()
    assert member.status == "lapsed"
    assert events(session, "voters.withdrawn") == []


@pytest.mark.parametrize("state", ["awaiting_code", "code_emailed", "letter_queued", "mail_failed"])
def test_a_lapse_before_the_freeze_excludes_and_withdraws_an_enrolled_member(session, state):
    bid = _ballot(session)
    assert _lapse(session, f"M-{state}") == {"excluded": 1}
    assert session.get(LedgerEntry, (bid, f"M-{state}")).state == "excluded"
    (withdrawn,) = events(session, "voters.withdrawn")
    assert withdrawn == {
        "ballot_id": bid,
        "membership_numbers": [f"M-{state}"],
        "reason": "membership lapsed",
    }


@pytest.mark.parametrize("state", ["voted", "excluded"])
def test_a_lapse_leaves_a_vote_or_an_earlier_exclusion_as_it_was(session, state):
    bid = _ballot(session)
    before = session.get(LedgerEntry, (bid, f"M-{state}")).reason
    assert _lapse(session, f"M-{state}") == {"excluded": 0}
    entry = session.get(LedgerEntry, (bid, f"M-{state}"))
    assert (entry.state, entry.reason) == (state, before)
    assert ledger_writer.REFUSED not in [a for a, _, _ in audit_actions(session)]


def test_a_lapse_after_the_freeze_changes_nobody_s_state_and_says_why(session):
    bid = _ballot(session, freeze_at=NOW - timedelta(days=1))
    assert _lapse(session, "M-code_emailed") == {"excluded": 0}
    assert session.get(LedgerEntry, (bid, "M-code_emailed")).state == "code_emailed"
    assert audit_actions(session)[-1] == (
        "member.lapse_after_freeze",
        f"ballot:{bid}/member:M-code_emailed",
        "the roll is frozen; the vote stands",
    )


def test_an_older_lapse_than_the_last_change_is_ignored_and_recorded(session):
    bid = _ballot(session)
    feed.member_updated(session, _inbound("M-awaiting_code", changes={"phone": "1"}), KEY, NOW)
    older = _inbound("M-awaiting_code", NOW - timedelta(hours=1), lapsed_on=date(2026, 11, 30))
    assert feed.member_lapsed(session, older, KEY, now=NOW) == {"excluded": 0}
    assert session.get(LedgerEntry, (bid, "M-awaiting_code")).state == "awaiting_code"
    assert audit_actions(session)[-1][0] == "member.update_ignored"


def test_a_joiner_is_admitted_to_an_unfrozen_ballot_in_its_own_extract_and_balances(session):
    bid = _ballot(session)
    frozen = _ballot(session, freeze_at=NOW - timedelta(days=1))
    member = dict(zip(builders.HEADER, builders.member_record("J1"), strict=True))
    joined = _inbound("J1", member=member)
    assert feed.member_joined(session, joined, KEY, now=NOW) == {"added": 1}
    assert session.get(LedgerEntry, (bid, "J1")).state == "awaiting_match"
    assert session.get(LedgerEntry, (frozen, "J1")) is None
    registered = events(session, "members.registered")[-1]
    assert registered["extract_id"] == f"events-ballot-{bid}"
    assert [m["membership_number"] for m in registered["members"]] == ["J1"]
    report = reconciling.reconcile(session, bid)
    assert report["balanced"] and report["accepted"] == len(TO_STATE) + 1
