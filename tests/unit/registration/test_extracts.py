"""Receiving extract chunks on SQLite: every row in one place, every member admitted with a state."""

from __future__ import annotations

import pytest

from rollcall.formats import MATCH_FIELDS
from services.registration import ballots, extracts
from services.registration.errors import ExtractRefused
from services.registration.models import DroppedRow, LedgerEntry
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
    (duplicate,) = session.query(DroppedRow).filter_by(extract_id="x2").all()
    assert (duplicate.kind, duplicate.first_seen) == ("duplicate", "x1 line 2")
    assert duplicate.row == builders.member_values("M1") and duplicate.differs == []


def test_a_duplicate_whose_data_differs_is_a_conflict_naming_the_fields(session):
    bid = ballots.create(session, builders.ballot_definition(), "test")["ballot_id"]
    _extract(session, bid, "x1", [builders.member_record("M1")])
    moved = builders.member_record("M1", address_2="12 Mare Street", email="new@example.org")
    summary = _extract(
        session, bid, "x2", [builders.member_record("M2"), moved, builders.member_record("M2")]
    )
    assert (summary["accepted"], summary["duplicates"], summary["balanced"]) == (1, 2, True)
    kinds = {
        (r.membership_number, r.kind): r
        for r in session.query(DroppedRow).filter_by(extract_id="x2")
    }
    assert kinds[("M1", "conflict")].differs == ["address_2", "email"]
    assert kinds[("M1", "conflict")].first_seen == "x1 line 2"
    assert kinds[("M2", "duplicate")].first_seen == "x2 line 2"


def test_an_extract_is_one_ballots_and_beginning_it_again_imports_nothing_twice(session):
    first = ballots.create(session, builders.ballot_definition(), "test")["ballot_id"]
    second = ballots.create(session, builders.ballot_definition(), "test")["ballot_id"]
    _extract(session, first, "x1", [builders.member_record("M1")])
    again = extracts.begin(session, **builders.extract_opening(first, "x1"))
    assert again["already_imported"] and (again["accepted"], again["status"]) == (1, "complete")
    with pytest.raises(ExtractRefused, match=f"belongs to ballot {first}"):
        extracts.begin(session, **builders.extract_opening(second, "x1"))


def test_intake_records_keep_their_line_extra_columns_raw_text_and_problems(session):
    bid = ballots.create(session, builders.ballot_definition(), "test")["ballot_id"]
    extracts.begin(session, **builders.extract_opening(bid, "x1", declared_rows=2))
    good = builders.member_record("M1")
    records = [
        {"line": 7, "values": good, "extra": {"Branch": "North"}, "raw": "M1,…", "problems": []},
        {
            "line": 9,
            "values": builders.member_record("M2"),
            "extra": {"Branch": "=HYPERLINK()"},
            "raw": "M2,…",
            "problems": ["the field in column first_name holds a control character (0x07)"],
        },
    ]
    extracts.add_chunk(session, extract_id="x1", chunk=0, first_line=7, records=records)
    summary = extracts.finish(session, extract_id="x1", chunks=1)
    assert (summary["accepted"], summary["rejected"], summary["balanced"]) == (1, 1, True)
    (rejected,) = session.query(DroppedRow).filter_by(extract_id="x1").all()
    assert (rejected.line_no, rejected.kind, rejected.association) == (9, "rejected", "HACK")
    assert rejected.reasons == ["the field in column first_name holds a control character (0x07)"]
    assert rejected.extra == {"Branch": "=HYPERLINK()"} and rejected.raw == "M2,…"
