"""Receiving extract chunks on SQLite: every row in one place, every member admitted with a state."""

from __future__ import annotations

from rollcall.formats import MATCH_FIELDS
from services.registration import ballots, extracts
from services.registration.models import DuplicateRow, LedgerEntry
from tests.builders import ballots as builders
from tests.unit.registration.recorded import events


def _extract(session, ballot_id: int, extract_id: str, records: list[list[str]]) -> dict:
    extracts.begin(
        session,
        **builders.extract_opening(ballot_id, extract_id, declared_rows=len(records)),
    )
    extracts.add_chunk(session, extract_id=extract_id, chunk=0, first_line=2, records=records)
    return extracts.finish(session, extract_id=extract_id, chunks=1)


def test_eligible_members_go_to_matching_and_the_ineligible_are_excluded_with_the_reason(session):
    bid = ballots.create(session, builders.ballot_definition(), "test")["ballot_id"]
    summary = _extract(
        session,
        bid,
        "x1",
        [builders.member_record("M1"), builders.member_record("M2", status="lapsed")],
    )
    assert summary["accepted"] == 2 and summary["balanced"]
    m2 = session.get(LedgerEntry, (bid, "M2"))
    assert session.get(LedgerEntry, (bid, "M1")).state == "awaiting_match"
    assert m2.state == "excluded" and "membership not current" in m2.reason
    (registered,) = events(session, "members.registered")
    assert [m["membership_number"] for m in registered["members"]] == ["M1"]
    assert set(registered["members"][0]) == set(MATCH_FIELDS)


def test_a_member_already_brought_by_an_earlier_extract_is_a_duplicate_not_a_crash(session):
    bid = ballots.create(session, builders.ballot_definition(), "test")["ballot_id"]
    _extract(session, bid, "x1", [builders.member_record("M1")])
    summary = _extract(
        session, bid, "x2", [builders.member_record("M1"), builders.member_record("M2")]
    )
    assert (summary["accepted"], summary["duplicates"], summary["balanced"]) == (1, 1, True)
    (duplicate,) = session.query(DuplicateRow).filter_by(extract_id="x2").all()
    assert duplicate.first_seen == "x1 line 2"
    assert duplicate.record == builders.member_record("M1")
