"""Sending access codes again: who is sent a new code, and that a second run sends nothing, on SQLite."""

from __future__ import annotations

import pytest

from services.registration import ballots, extracts, ledger_writer, resending
from services.registration.models import LedgerEntry
from tests.builders import ballots as builders

#: member -> (association, facts that bring them to their state)
MEMBERS = {
    "F1": ("HACK", ["matched", "mail_failed"]),
    "F2": ("ISLI", ["matched", "mail_failed"]),
    "E1": ("HACK", ["matched", "code_emailed"]),
    "L1": ("HACK", ["matched", "letter_queued"]),
    "V1": ("HACK", ["matched", "code_emailed", "voted"]),
    "A1": ("HACK", ["matched"]),
}


def _ballot(session) -> int:
    bid = ballots.create(session, builders.ballot_definition(), "test")["ballot_id"]
    extracts.begin(session, **builders.extract_opening(bid, f"x{bid}", len(MEMBERS)))
    records = [builders.member_record(n, association=a) for n, (a, _) in MEMBERS.items()]
    extracts.add_chunk(session, extract_id=f"x{bid}", chunk=0, first_line=2, records=records)
    for number, (_, facts) in MEMBERS.items():
        ledger_writer.record(session, bid, [(number, f, "set up") for f in facts], source="test")
    return bid


def _state(session, bid: int, number: str) -> str:
    return session.get(LedgerEntry, (bid, number)).state


@pytest.mark.parametrize(
    ("state", "reissue", "sent"),
    [
        ("mail_failed", False, True),
        ("mail_failed", True, True),
        ("code_emailed", False, False),
        ("letter_queued", False, False),
        ("code_emailed", True, True),
        ("letter_queued", True, True),
        ("voted", True, False),
        ("awaiting_code", False, False),
        ("awaiting_code", True, True),
        ("in_review", True, False),
    ],
)
def test_who_is_sent_a_code_again(state, reissue, sent):
    assert (resending.skip_reason(state, reissue) == "") is sent


def test_members_whose_mail_failed_are_sent_again_once_and_a_second_run_sends_nothing(session):
    bid = _ballot(session)
    first = resending.resend(
        session, bid, state="mail_failed", association=None, reissue=False, actor="op-1"
    )
    assert [v["membership_number"] for v in first["voters"]] == ["F1", "F2"]
    assert first["voters"][0]["email"] and first["voters"][0]["address"], "party-held contact"
    assert (_state(session, bid, "F1"), _state(session, bid, "F2")) == ("awaiting_code",) * 2
    assert (
        "sent again at the operator's request (op-1)"
        in session.get(LedgerEntry, (bid, "F1")).reason
    )
    again = resending.resend(
        session, bid, state="mail_failed", association=None, reissue=False, actor="op-1"
    )
    assert again == {"voters": [], "skipped": {}}


def test_a_delivered_code_is_skipped_unless_reissue_is_asked_for(session):
    bid = _ballot(session)
    kept = resending.resend(
        session, bid, state="code_emailed", association=None, reissue=False, actor="op-1"
    )
    assert kept == {
        "voters": [],
        "skipped": {"code already delivered (ask to reissue to send a new one)": 1},
    }
    assert _state(session, bid, "E1") == "code_emailed"
    reissued = resending.resend(
        session, bid, state="code_emailed", association=None, reissue=True, actor="op-1"
    )
    assert [v["membership_number"] for v in reissued["voters"]] == ["E1"]
    assert _state(session, bid, "E1") == "awaiting_code"


def test_only_the_named_associations_members_are_sent_again(session):
    bid = _ballot(session)
    chosen = resending.resend(
        session, bid, state="mail_failed", association="ISLI", reissue=False, actor="op-1"
    )
    assert [v["membership_number"] for v in chosen["voters"]] == ["F2"]
    assert _state(session, bid, "F1") == "mail_failed"
