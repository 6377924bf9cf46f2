"""Opening and closing a ballot: refused with the reasons, or forced with a reason and audited."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select

from services.registration import ballots, extracts, ledger_writer
from services.registration.errors import PhaseError
from services.registration.models import Base, LedgerEntry
from tests.builders import ballots as builders
from tests.unit.registration.recorded import audit_actions

NOW = datetime(2026, 11, 5, 12, 0, tzinfo=UTC)


def _ballot(session, *numbers: str, **timetable: datetime) -> int:
    definition = builders.ballot_definition(
        timetable={k: v.isoformat() for k, v in timetable.items()}
    )
    bid = ballots.create(session, definition, "test")["ballot_id"]
    records = [builders.member_record(n) for n in numbers]
    extracts.begin(session, **builders.extract_opening(bid, f"x{bid}", len(records)))
    extracts.add_chunk(session, extract_id=f"x{bid}", chunk=0, first_line=2, records=records)
    return bid


def _open(session, bid, **kw):  # type: ignore[no-untyped-def]
    return ballots.open_or_close(session, bid, "open", "op-1", now=NOW, **kw)


def test_a_ballot_with_nothing_against_it_opens_and_closes(session):
    bid = _ballot(session, "M1", freeze_at=NOW - timedelta(days=2), closes_at=NOW - timedelta(1))
    assert _open(session, bid)["phase"] == "open"
    closed = ballots.open_or_close(session, bid, "closed", "op-1", now=NOW)
    assert closed["phase"] == "closed"


def test_opening_before_the_freeze_and_the_open_time_is_refused_with_both_reasons(session):
    freeze, opens = NOW + timedelta(days=1), NOW + timedelta(days=2)
    bid = _ballot(session, "M1", freeze_at=freeze, opens_at=opens)
    refused = _open(session, bid)
    assert isinstance(refused, PhaseError)
    assert f"the roll is not frozen until {freeze.isoformat()}" in str(refused)
    assert f"the timetable opens voting at {opens.isoformat()}" in str(refused)
    assert ballots.get(session, bid).phase == "draft"
    assert [a for a in audit_actions(session) if a[0] == "ballot.open_refused"] == [
        ("ballot.open_refused", f"ballot:{bid}", "")
    ]


def test_opening_with_members_in_review_or_unaccounted_is_refused_counting_them(session):
    bid = _ballot(session, "M1", "M2", "M3")
    ledger_writer.record(session, bid, [("M1", "review", "close call")], source="test")
    session.execute(
        delete(LedgerEntry).where(
            LedgerEntry.ballot_id == bid, LedgerEntry.membership_number == "M2"
        )
    )
    refused = _open(session, bid)
    assert isinstance(refused, PhaseError)
    assert "1 member(s) unaccounted for" in str(refused)
    assert "1 member(s) waiting for an officer's review" in str(refused)


def test_closing_before_the_close_time_or_with_reviews_waiting_is_refused(session):
    closes = NOW + timedelta(days=3)
    bid = _ballot(session, "M1", closes_at=closes)
    assert _open(session, bid)["phase"] == "open"
    ledger_writer.record(session, bid, [("M1", "review", "close call")], source="test")
    refused = ballots.open_or_close(session, bid, "closed", "op-1", now=NOW)
    assert isinstance(refused, PhaseError)
    assert f"the timetable closes voting at {closes.isoformat()}" in str(refused)
    assert "waiting for an officer's review" in str(refused)
    assert ballots.get(session, bid).phase == "open"


def test_forcing_needs_a_reason(session):
    bid = _ballot(session, "M1", opens_at=NOW + timedelta(hours=1))
    refused = _open(session, bid, force=True, reason="  ")
    assert isinstance(refused, PhaseError) and "needs --reason" in str(refused)
    assert ballots.get(session, bid).phase == "draft"


def test_a_forced_opening_is_audited_with_the_reasons_it_overrode(session):
    bid = _ballot(session, "M1", opens_at=NOW + timedelta(hours=1))
    opened = _open(session, bid, force=True, reason="the officers agreed to open early")
    assert opened["phase"] == "open"
    log = Base.metadata.tables["audit_log"]
    reason, details = session.execute(
        select(log.c.reason, log.c.details).where(log.c.action == "ballot.open")
    ).one()
    assert reason == "the officers agreed to open early"
    details = details if isinstance(details, dict) else json.loads(details)
    assert details["overridden"] == [
        f"the timetable opens voting at {(NOW + timedelta(hours=1)).isoformat()}"
    ]


def test_the_phase_order_is_never_forced(session):
    bid = _ballot(session, "M1")
    with pytest.raises(PhaseError, match="only from open"):
        ballots.open_or_close(session, bid, "closed", "op-1", force=True, reason="x", now=NOW)
