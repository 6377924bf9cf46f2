"""Reminder rules: which reminder time is served when, and who gets what. Pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from services.mailer import letters, reminding
from services.mailer.reminding import CodeDelivery

NOW = datetime(2026, 12, 15, 12, 0, tzinfo=UTC)
TIMETABLE = {
    "opens_at": "2026-12-08T09:00:00+00:00",
    "closes_at": "2026-12-22T17:00:00+00:00",
    "reminders": ["2026-12-18T09:00:00+00:00", "2026-12-12T09:00:00+00:00"],
}


def test_the_latest_reminder_time_that_has_come_is_served_and_none_before_the_first():
    assert reminding.due_slot("open", TIMETABLE, NOW) == datetime(2026, 12, 12, 9, tzinfo=UTC)
    later = datetime(2026, 12, 19, tzinfo=UTC)
    assert reminding.due_slot("open", TIMETABLE, later) == datetime(2026, 12, 18, 9, tzinfo=UTC)
    before = datetime(2026, 12, 12, 8, 59, tzinfo=UTC)
    assert reminding.due_slot("open", TIMETABLE, before) is None
    assert reminding.why_not_now("open", TIMETABLE, before) == ["no reminder time has come"]


@pytest.mark.parametrize("phase", ["draft", "paused", "closed"])
def test_no_reminder_unless_the_ballot_is_open(phase):
    assert reminding.due_slot(phase, TIMETABLE, NOW) is None
    assert reminding.why_not_now(phase, TIMETABLE, NOW) == [f"the ballot is {phase}, not open"]


def test_no_reminder_at_or_after_the_close_even_while_the_phase_still_says_open():
    closes = datetime(2026, 12, 22, 17, tzinfo=UTC)
    for now in (closes, closes + timedelta(minutes=1)):
        assert reminding.due_slot("open", TIMETABLE, now) is None
        assert reminding.why_not_now("open", TIMETABLE, now) == [
            "voting closed at 2026-12-22T17:00:00+00:00"
        ]
    assert reminding.due_slot("open", {"closes_at": TIMETABLE["closes_at"]}, NOW) is None


def test_each_reminder_time_is_its_own_delivery_kind_whatever_its_time_zone():
    one = reminding.reminder_kind(datetime.fromisoformat("2026-12-12T10:00:00+01:00"))
    assert (
        one
        == "reminder-20261212T090000Z"
        == reminding.reminder_kind(datetime(2026, 12, 12, 9, tzinfo=UTC))
    )
    assert one.startswith(letters.REMINDER) and len(one) <= 40
    assert one != reminding.reminder_kind(datetime(2026, 12, 18, 9, tzinfo=UTC))


@pytest.mark.parametrize(
    ("voted", "status", "channel", "expected"),
    [
        (False, "sent", "email", "email"),
        (False, "queued", "post", "letter"),
        (True, "sent", "email", "skipped_voted"),
        (True, "queued", "post", "skipped_voted"),
        (False, "pending", "email", "skipped_awaiting_code"),
        (False, "failed", "email", "skipped_not_reached"),
    ],
)
def test_a_voter_is_reminded_by_the_channel_their_code_reached_them_by(
    voted, status, channel, expected
):
    assert reminding.outcome(voted, CodeDelivery(status, channel)) == expected


def test_a_voter_withdrawn_since_their_code_went_is_not_reminded_but_one_who_voted_is_counted_so():
    code = CodeDelivery("sent", "email")
    assert reminding.outcome(False, code, withdrawn=True) == "skipped_withdrawn"
    assert reminding.outcome(True, code, withdrawn=True) == "skipped_voted"


BALLOT = letters.BallotFacts(
    ballot_id=3,
    title="Selection for Hackney North",
    vote_url="https://vote.example.org/vote",
    roll_check_url="https://vote.example.org/roll-check?ballot=3",
    timetable=TIMETABLE,
    replacement_url="https://vote.example.org/replacement?ballot=3",
)
CONTACT = {"membership_number": "M7", "name": "Ada Lovelace", "email": "ada@example.org"}


def test_the_reminder_email_says_until_when_how_and_where_to_get_a_replacement_and_no_code():
    kind = reminding.reminder_kind(datetime(2026, 12, 12, 9, tzinfo=UTC))
    msg = letters.reminder(
        contact={**CONTACT, "code_channel": "email"},
        kind=kind,
        sender="b@party.example",
        ballot=BALLOT,
    )
    body = msg.get_content()
    assert msg["To"] == "ada@example.org"
    assert msg["Subject"] == "Reminder: you have not voted yet: Selection for Hackney North"
    assert msg["Message-ID"] == f"<ballot-3.M7.{kind}@party.example>"
    assert "Dear Ada Lovelace" in body and "have not voted yet" in body
    assert "Voting closes on Tuesday 22 December 2026, 17:00 UTC" in body
    assert "https://vote.example.org/replacement?ballot=3" in body
    assert "the access code we sent you by email" in body
    assert "postal ballot paper" not in body
    assert "access code is" not in body


def test_a_reminder_letter_to_a_postal_voter_names_the_postal_paper_and_carries_no_code():
    contact = {
        **CONTACT,
        "email": "",
        "address": ["1 Mill Lane", "", "Leeds"],
        "postcode": "LS1 1AA",
    }
    printed = letters.letter(
        "reminder-20261212T090000Z", {**contact, "code_channel": "post"}, "", BALLOT
    )
    words = " ".join(printed.paragraphs)
    assert printed.kind == "reminder" and printed.code == ""
    assert printed.address == ("1 Mill Lane", "Leeds") and printed.postcode == "LS1 1AA"
    assert "sent you by post" in words and "postal ballot paper" in words
    assert "https://vote.example.org/replacement?ballot=3" in words
    assert printed.heading == "Reminder: you have not voted yet"


@given(
    offsets=st.lists(st.integers(min_value=1, max_value=10_000), min_size=1, max_size=6),
    at=st.integers(min_value=-100, max_value=12_000),
    phase=st.sampled_from(["draft", "open", "paused", "closed"]),
)
@example(offsets=[5], at=10_001, phase="open")  # the very moment of the close
def test_the_served_time_is_the_latest_that_has_come_and_only_while_open_before_the_close(
    offsets, at, phase
):
    opens = datetime(2026, 12, 8, 9, tzinfo=UTC)
    closes = opens + timedelta(minutes=10_001)
    times = [opens + timedelta(minutes=m) for m in offsets]
    timetable = {
        "opens_at": opens.isoformat(),
        "closes_at": closes.isoformat(),
        "reminders": [t.isoformat() for t in times],
    }
    now = opens + timedelta(minutes=at)
    served = reminding.due_slot(phase, timetable, now)
    come = [t for t in times if t <= now]
    if phase != "open" or now >= closes or not come:
        assert served is None
    else:
        assert served == max(come) and served <= now < closes
