"""Officers fixing dropped rows on SQLite: corrections admit like an accepted row, conflicts decided, all audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.registration import ballots, dropped, extracts, resubmission
from services.registration.errors import DroppedRowNotFound, PhaseError, RowNotCorrectable
from services.registration.models import LedgerEntry, Member
from tests.builders import ballots as builders
from tests.unit.registration.recorded import audit_actions, events

KEY = b"k" * 32


def _ballot_with(session, records: list[list[str]], **definition) -> int:
    bid = ballots.create(session, builders.ballot_definition(**definition), "test")["ballot_id"]
    extracts.begin(session, **builders.extract_opening(bid, f"x{bid}", len(records)))
    extracts.add_chunk(session, extract_id=f"x{bid}", chunk=0, first_line=2, records=records)
    extracts.finish(session, extract_id=f"x{bid}", chunks=1)
    return bid


def test_a_corrected_row_is_admitted_matched_counted_and_audited(session):
    bid = _ballot_with(
        session, [builders.member_record("M1"), builders.member_record("M2", email="nope")]
    )
    (row,) = dropped.list_rows(session, bid, kind="rejected")
    shown = resubmission.correct_row(
        session, bid, row["id"], {"email": "m2@example.org"}, "olu", "typo", KEY
    )
    assert (shown["status"], shown["outcome"], shown["decided_by"]) == (
        "corrected", "accepted as member M2", "olu",
    )  # fmt: skip
    assert session.get(LedgerEntry, (bid, "M2")).state == "awaiting_match"
    assert [
        m["membership_number"] for m in events(session, "members.registered")[-1]["members"]
    ] == ["M2"]
    (summary,) = [
        extracts.summary(e) for e in session.query(extracts.Extract).filter_by(ballot_id=bid)
    ]
    assert (summary["rejected"], summary["corrected"], summary["balanced"]) == (1, 1, True)
    assert ("dropped_row.corrected", f"ballot:{bid}/member:M2", "typo") in audit_actions(session)
    with pytest.raises(RowNotCorrectable, match="corrected rejected row"):
        resubmission.correct_row(session, bid, row["id"], {}, "olu", "again", KEY)


def test_a_correction_still_invalid_changes_nothing_but_the_audit_log(session):
    bid = _ballot_with(session, [builders.member_record("M2", email="nope", last_name="")])
    (row,) = dropped.list_rows(session, bid)
    result = resubmission.correct_row(session, bid, row["id"], {"email": "a@b.org"}, "olu", "", KEY)
    assert result == {"status": "still_rejected", "reasons": ["the last name is empty"]}
    assert dropped.get_row(session, bid, row["id"])["status"] == "open"
    assert session.query(Member).filter_by(ballot_id=bid).count() == 0
    assert audit_actions(session)[-1][0] == "dropped_row.correction_refused"


def test_a_correction_cannot_bring_a_member_already_on_the_roll(session):
    bid = _ballot_with(
        session, [builders.member_record("M1"), builders.member_record("M9", last_name="")]
    )
    (row,) = dropped.list_rows(session, bid)
    result = resubmission.correct_row(
        session, bid, row["id"], {"membership_number": "M1", "last_name": "B"}, "olu", "", KEY
    )
    assert result["status"] == "still_rejected"
    assert "member M1 is already on this ballot's roll" in result["reasons"][0]


def test_after_the_freeze_a_rejected_row_can_no_longer_join(session):
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    bid = _ballot_with(
        session, [builders.member_record("M2", email="nope")], timetable={"freeze_at": past}
    )
    (row,) = dropped.list_rows(session, bid)
    with pytest.raises(PhaseError, match="roll is frozen"):
        resubmission.correct_row(session, bid, row["id"], {"email": "a@b.org"}, "olu", "", KEY)


def test_a_conflict_kept_first_changes_no_member_and_kept_second_rematches_them(session):
    records = [
        builders.member_record("M1"),
        builders.member_record("M1", address_2="12 Mare Street"),
        builders.member_record("M2"),
        builders.member_record("M2", first_name="Augusta"),
    ]
    bid = _ballot_with(session, records)
    first, second = dropped.list_rows(session, bid, kind="conflict")
    kept = resubmission.resolve_conflict(session, bid, first["id"], "first", "olu", "old", KEY)
    assert kept["status"] == "resolved" and kept["outcome"].startswith("kept the first copy")
    assert (
        session.query(Member).filter_by(ballot_id=bid, membership_number="M1").one().address_2
        == "10 High Street"
    )
    replaced = resubmission.resolve_conflict(session, bid, second["id"], "second", "olu", "", KEY)
    assert replaced["outcome"] == "replaced member M2's first_name with this row's"
    assert (
        session.query(Member).filter_by(ballot_id=bid, membership_number="M2").one().first_name
        == "Augusta"
    )
    assert events(session, "members.registered")[-1]["members"][0]["first_name"] == "Augusta"
    actions = [a for a, _, _ in audit_actions(session)]
    assert actions[-3:] == ["dropped_row.resolved", "member.updated", "dropped_row.resolved"]


def test_rows_are_found_only_in_their_own_ballot_and_counted_without_personal_data(session):
    bid = _ballot_with(
        session,
        [
            builders.member_record("M1", email="nope"),
            builders.member_record("M2", association="x y"),
        ],
    )
    other = _ballot_with(session, [builders.member_record("M3")])
    rows = dropped.list_rows(session, bid)
    with pytest.raises(DroppedRowNotFound):
        dropped.get_row(session, other, rows[0]["id"])
    assert [
        r["membership_number"] for r in dropped.list_rows(session, bid, association="HACK")
    ] == ["M1"]
    counts = dropped.count_rows(session, bid)
    assert counts["by_association"] == {
        "HACK": {"rejected": 1, "duplicate": 0, "conflict": 0, "corrected": 0, "resolved": 0},
        "": {"rejected": 1, "duplicate": 0, "conflict": 0, "corrected": 0, "resolved": 0},
    }
    assert counts["totals"]["rejected"] == 2
