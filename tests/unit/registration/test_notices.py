"""Members excluded for a reason they can fix are told why and how, once per reason, on SQLite."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY

from services.registration import ballots, extracts, facts, ledger_writer, notices
from services.registration.models import LedgerEntry
from tests.builders import ballots as builders
from tests.unit.registration.recorded import audit_actions, events

EVENT = "members.exclusion_notice_requested"
OUTSIDE = "registered to vote in ward E05000001, outside this ballot's area"


def _decision(number: str, decision: str, *, score: float = 0.0, eligible: bool = False) -> dict:
    return {
        "membership_number": number,
        "decision": decision,
        "elector_id": "E1" if decision != "no_match" else None,
        "score": score,
        "reasons": "test",
        "eligible": eligible,
        "exclusion": OUTSIDE if decision == "match" and not eligible else None,
    }


def _ballot(session, *records: list[str], freeze_at: datetime | None = None) -> int:
    timetable = {"freeze_at": freeze_at.isoformat()} if freeze_at else {}
    bid = ballots.create(session, builders.ballot_definition(timetable=timetable), "test")[
        "ballot_id"
    ]
    extracts.begin(session, **builders.extract_opening(bid, f"x{bid}", len(records)))
    extracts.add_chunk(session, extract_id=f"x{bid}", chunk=0, first_line=2, records=list(records))
    return bid


def _counted(reason: str) -> float:
    value = REGISTRY.get_sample_value(
        "rollcall_registration_exclusion_notices_total", {"reason": reason}
    )
    return value or 0.0


@pytest.mark.parametrize(
    ("decision", "code", "why"),
    [
        (_decision("M1", "no_match"), "not_on_register", "not found on the electoral register"),
        (_decision("M1", "no_match", score=0.3), "address_differs", "the details differ"),
        (_decision("M1", "match", score=0.99), "not_in_area", OUTSIDE),
    ],
)
def test_each_excluding_decision_has_a_fixable_reason_with_a_stable_code(decision, code, why):
    exclusion = notices.exclusion(decision)
    assert exclusion is not None and exclusion.code == code and why in exclusion.why


def test_decisions_that_do_not_exclude_have_no_reason():
    assert notices.exclusion(_decision("M1", "match", score=0.99, eligible=True)) is None
    assert notices.exclusion(_decision("M1", "review", score=0.6)) is None


def test_every_fixable_reason_says_how_to_fix_it():
    fixes = {code: reason.fix for code, reason in notices.FIXABLE.items()}
    assert set(fixes) == {"not_on_register", "address_differs", "not_in_area"}
    assert notices.REGISTER_URL in fixes["not_on_register"]
    assert "ask your association to check" in fixes["not_on_register"]
    assert "correct your name and address" in fixes["address_differs"]
    assert "register to vote at your current address" in fixes["not_in_area"]


def test_a_member_unmatched_before_the_freeze_is_sent_one_notice_at_the_party_held_contact(
    session,
):
    bid = _ballot(session, builders.member_record("M1"), builders.member_record("M2"))
    before = _counted("not_on_register")
    facts.apply_decisions(
        session, bid, [_decision("M1", "no_match"), _decision("M2", "match", eligible=True)]
    )
    entry = session.get(LedgerEntry, (bid, "M1"))
    assert (entry.state, entry.reason) == (
        "excluded",
        "excluded: not found on the electoral register at this address",
    )
    (sent,) = events(session, EVENT)
    (notice,) = sent["notices"]
    assert sent["ballot_id"] == bid and sent["fix_by"] is None
    assert notice["membership_number"] == "M1" and notice["reason"] == "not_on_register"
    assert notice["email"] == "m1@example.org" and notice["postcode"] == "E8 1AA"
    assert notice["fix"] == notices.FIXABLE["not_on_register"].fix
    assert (notices.NOTICE_REQUESTED, f"ballot:{bid}/member:M1", entry.reason[10:]) in (
        audit_actions(session)
    )
    assert _counted("not_on_register") == before + 1


def test_the_same_reason_again_requests_no_second_notice_and_a_new_reason_does(session):
    bid = _ballot(session, builders.member_record("M1"))
    for decision in (
        _decision("M1", "no_match"),
        _decision("M1", "no_match"),
        _decision("M1", "no_match", score=0.4),
    ):
        # An officer's correction sends the member back to matching each time.
        ledger_writer.record(session, bid, [("M1", "rematch", "corrected")], source="test")
        facts.apply_decisions(session, bid, [decision])
    sent = events(session, EVENT)
    assert [n["reason"] for e in sent for n in e["notices"]] == [
        "not_on_register",
        "address_differs",
    ]
    requested = [a for a in audit_actions(session) if a[0] == notices.NOTICE_REQUESTED]
    assert len(requested) == 2


def test_after_the_freeze_no_notice_is_requested(session):
    frozen = datetime.now(UTC) - timedelta(days=1)
    bid = _ballot(session, builders.member_record("M1"), freeze_at=frozen)
    facts.apply_decisions(session, bid, [_decision("M1", "no_match")])
    assert session.get(LedgerEntry, (bid, "M1")).state == "excluded"
    assert events(session, EVENT) == []


def test_before_a_set_freeze_the_notice_says_by_when(session):
    freeze = datetime.now(UTC) + timedelta(days=7)
    bid = _ballot(session, builders.member_record("M1"), freeze_at=freeze)
    facts.apply_decisions(session, bid, [_decision("M1", "match", score=0.99)])
    (sent,) = events(session, EVENT)
    assert sent["fix_by"] == freeze.isoformat()
    assert sent["notices"][0]["reason"] == "not_in_area"
    assert sent["notices"][0]["why"] == OUTSIDE


def test_a_member_without_email_is_told_by_post_and_one_with_only_a_postcode_is_not(session):
    bid = _ballot(
        session,
        builders.member_record("M1", email=""),
        builders.member_record("M2", email="", address_1="", address_2="", town=""),
    )
    facts.apply_decisions(session, bid, [_decision("M1", "no_match"), _decision("M2", "no_match")])
    assert session.get(LedgerEntry, (bid, "M2")).state == "excluded"
    (sent,) = events(session, EVENT)
    assert [(n["membership_number"], n["address"]) for n in sent["notices"]] == [
        ("M1", ["Flat 2", "10 High Street", "London"])
    ]


def test_exclusions_the_member_cannot_fix_send_no_notice(session):
    bid = _ballot(session, builders.member_record("M1", status="lapsed"))
    facts.apply_decisions(session, bid, [_decision("M1", "no_match")])
    assert session.get(LedgerEntry, (bid, "M1")).state == "excluded"
    assert events(session, EVENT) == []
