"""Replacement codes: the window, a member's own request and an officer's reissue, on SQLite."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text

from services.registration import ballots, extracts, ledger_writer, replacing, resending
from services.registration.errors import ReissueRefused
from services.registration.models import LedgerEntry, Replacement
from tests.builders import ballots as builders

# The example: letters up to 5 days before the close, emails up to 3.
TIMETABLE = {
    "postal_cutoff": "2026-12-17T17:00:00+00:00",
    "replacement_cutoff": "2026-12-19T17:00:00+00:00",
    "closes_at": "2026-12-22T17:00:00+00:00",
}
EARLY = datetime(2026, 12, 10, tzinfo=UTC)
BETWEEN = datetime(2026, 12, 18, tzinfo=UTC)  # letters over, emails not
LATE = datetime(2026, 12, 20, tzinfo=UTC)  # both over, voting not closed

#: member -> (record overrides, facts that bring them to their state)
MEMBERS = {
    "E1": ({}, ["matched", "code_emailed"]),
    "P1": ({"email": ""}, ["matched", "letter_queued"]),
    "F1": ({}, ["matched", "mail_failed"]),
    "V1": ({}, ["matched", "code_emailed", "voted"]),
    "R1": ({}, ["review"]),
    "N1": ({"address_1": "", "address_2": "", "town": ""}, ["matched", "code_emailed"]),
}


def _ballot(session, timetable=TIMETABLE) -> int:  # type: ignore[no-untyped-def]
    bid = ballots.create(session, builders.ballot_definition(timetable=timetable), "test")[
        "ballot_id"
    ]
    extracts.begin(session, **builders.extract_opening(bid, f"x{bid}", len(MEMBERS)))
    records = [builders.member_record(n, **o) for n, (o, _) in MEMBERS.items()]
    extracts.add_chunk(session, extract_id=f"x{bid}", chunk=0, first_line=2, records=records)
    for number, (_, facts) in MEMBERS.items():
        ledger_writer.record(session, bid, [(number, f, "set up") for f in facts], source="test")
    return bid


def _events(session, event_type: str) -> list[dict]:  # type: ignore[type-arg]
    rows = session.execute(
        text("select payload from outbox where event_type = :t order by id"), {"t": event_type}
    )
    return [json.loads(p) for (p,) in rows]


def _state(session, bid: int, number: str) -> str:
    return session.get(LedgerEntry, (bid, number)).state


def _ask(session, bid, number, at=EARLY, email="", postcode=""):  # type: ignore[no-untyped-def]
    payload = {
        "ballot_id": bid,
        "membership_number": number,
        "email": email,
        "postcode": postcode,
        "requested_at": at.isoformat(),
    }
    return replacing.apply_request(session, payload)


@pytest.mark.parametrize(
    ("at", "phase", "email", "post"),
    [
        (EARLY, "open", True, True),
        (BETWEEN, "open", True, False),
        (LATE, "open", False, False),
        (EARLY, "closed", False, False),
        (datetime(2026, 12, 23, tzinfo=UTC), "open", False, False),
    ],
)
def test_email_goes_until_the_replacement_cut_off_and_letters_until_the_postal_one(
    at, phase, email, post
):
    shown = replacing.window(TIMETABLE, phase, at)
    assert (shown.email, shown.post) == (email, post)


def test_a_member_whose_details_match_gets_a_new_code_the_way_their_code_went(session):
    bid = _ballot(session)
    assert _ask(session, bid, "E1", email=" E1@Example.org ") == "reissued"
    assert _ask(session, bid, "P1", postcode="e81aa") == "reissued"
    assert _state(session, bid, "E1") == _state(session, bid, "P1") == "awaiting_code"
    reason = session.get(LedgerEntry, (bid, "E1")).reason
    assert "a replacement asked for by the member, by email" in reason
    by_email, by_post = _events(session, "voters.reissue_requested")
    assert by_email["voter"]["email"] == "e1@example.org" and by_email["source"] == "member"
    assert by_post["voter"]["email"] == "" and by_post["voter"]["address"], "a letter"


def test_a_failed_email_is_replaced_by_a_letter(session):
    bid = _ballot(session)
    assert _ask(session, bid, "F1", postcode="E8 1AA") == "reissued"
    (event,) = _events(session, "voters.reissue_requested")
    assert event["voter"]["email"] == "", "the email failed: the new code goes by post"


@pytest.mark.parametrize(
    ("number", "contact", "outcome"),
    [
        ("NOBODY", {"email": "e1@example.org"}, "not_matched"),
        ("E1", {"email": "someone@else.example"}, "not_matched"),
        ("E1", {"postcode": "N1 1AA"}, "not_matched"),
        ("E1", {"email": "", "postcode": ""}, "not_matched"),
        ("V1", {"email": "v1@example.org"}, "voted"),
        ("R1", {"email": "r1@example.org"}, "no_code"),
    ],
)
def test_nothing_is_sent_unless_the_details_match_a_member_holding_a_code(
    session, number, contact, outcome
):
    bid = _ballot(session)
    before = {n: _state(session, bid, n) for n in MEMBERS}
    assert _ask(session, bid, number, **contact) == outcome
    assert _events(session, "voters.reissue_requested") == []
    assert {n: _state(session, bid, n) for n in MEMBERS} == before
    (row,) = session.scalars(select(Replacement).where(Replacement.ballot_id == bid))
    assert (row.membership_number, row.outcome, row.channel) == (number, outcome, "")


def test_a_second_request_while_the_new_code_is_on_its_way_sends_nothing(session):
    bid = _ballot(session)
    assert _ask(session, bid, "E1", email="e1@example.org") == "reissued"
    assert _ask(session, bid, "E1", email="e1@example.org") == "in_flight"
    assert len(_events(session, "voters.reissue_requested")) == 1


def test_after_the_postal_cut_off_a_member_reached_by_letter_with_an_email_gets_an_email(
    session,
):
    bid = _ballot(session)
    assert _ask(session, bid, "F1", at=BETWEEN, email="f1@example.org") == "reissued"
    (event,) = _events(session, "voters.reissue_requested")
    assert event["voter"]["email"] == "f1@example.org"
    assert _ask(session, bid, "P1", at=BETWEEN, postcode="E8 1AA") == "cut_off", "no email held"


def test_after_both_cut_offs_nothing_is_sent_and_the_old_code_stands(session):
    bid = _ballot(session)
    assert _ask(session, bid, "E1", at=LATE, email="e1@example.org") == "cut_off"
    assert _state(session, bid, "E1") == "code_emailed"
    assert _events(session, "voters.reissue_requested") == []


def test_the_request_is_taken_the_same_way_for_anyone_and_matched_later(session):
    bid = _ballot(session)
    known = replacing.accept_request(session, bid, "E1", "e1@example.org", "", EARLY)
    unknown = replacing.accept_request(session, bid, "NOBODY", "x@example.org", "", EARLY)
    assert known == unknown
    assert [e["membership_number"] for e in _events(session, "replacement.requested")] == [
        "E1",
        "NOBODY",
    ]
    assert _events(session, "voters.reissue_requested") == [], "nothing decided inline"
    closed = replacing.accept_request(session, bid, "E1", "e1@example.org", "", LATE)
    assert (closed["email"], closed["post"]) == (False, False)
    assert len(_events(session, "replacement.requested")) == 2, "nothing to match after both"


def test_an_officers_reissue_is_recorded_and_audited_and_refused_with_the_reason(session):
    bid = _ballot(session)
    done = replacing.reissue(
        session, bid, "E1", source="officer", actor="Orla", reason="lost it", now=EARLY
    )
    assert done["channel"] == "email" and _state(session, bid, "E1") == "awaiting_code"
    voted = replacing.reissue(
        session, bid, "V1", source="officer", actor="Orla", reason="asked", now=EARLY
    )
    assert isinstance(voted, ReissueRefused) and "has voted" in str(voted)
    late = replacing.reissue(
        session, bid, "P1", source="operator", actor="op", reason="lost", now=BETWEEN
    )
    assert isinstance(late, ReissueRefused) and "postal cut-off" in str(late)
    no_email = replacing.reissue(
        session, bid, "P1", source="operator", actor="op", reason="x", channel="email", now=EARLY
    )
    assert str(no_email) == (
        "cannot reissue the code of member P1: the party holds no email address for this member"
    )
    outcomes = [
        (r.membership_number, r.source, r.outcome)
        for r in session.scalars(
            select(Replacement).where(Replacement.ballot_id == bid).order_by(Replacement.id)
        )
    ]
    assert outcomes == [
        ("E1", "officer", "reissued"),
        ("V1", "officer", "refused"),
        ("P1", "operator", "refused"),
        ("P1", "operator", "refused"),
    ]
    audited = session.execute(
        text("select actor, details from audit_log where action = 'member.replacement_requested'")
    ).all()
    assert [a for a, _ in audited] == ["Orla", "Orla", "op", "op"]
    sources = session.scalars(
        text("select source from audit_log where action = 'member.replacement_requested'")
    ).all()
    assert sources == ["cli"] * 4, "these came from the command line (the default)"
    assert all("e1@example.org" not in d for _, d in audited), "no contact in the audit log"
    summary = replacing.summary(session, bid)
    assert summary == {
        "reissued": 1,
        "by_source": {"officer": {"reissued": 1, "refused": 1}, "operator": {"refused": 2}},
    }


def test_a_resend_is_audited_with_the_actor_and_who_was_sent_a_code(session):
    bid = _ballot(session)
    resending.resend(
        session, bid, state="mail_failed", association=None, reissue=False, actor="op-1"
    )
    (row,) = session.execute(
        text("select actor, subject, details from audit_log where action = 'codes.resent'")
    ).all()
    assert (row.actor, row.subject) == ("op-1", f"ballot:{bid}")
    details = json.loads(row.details)
    assert details["members"] == ["F1"] and details["state"] == "mail_failed"
