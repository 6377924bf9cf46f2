"""The ledger's one writer, on SQLite: random sequences of facts keep every member in one state."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.registration import ledger, ledger_writer
from services.registration.models import Base, LedgerEntry, LedgerWriteRefused

NOW = datetime(2026, 12, 1, tzinfo=UTC)
BALLOT = 1
MEMBERS = ("M1", "M2", "M3", "M4")
AUDIT = Base.metadata.tables["audit_log"]


def _states(session: Session) -> dict[str, str]:
    rows = session.execute(
        select(LedgerEntry.membership_number, LedgerEntry.state).where(
            LedgerEntry.ballot_id == BALLOT
        )
    ).all()
    assert len(rows) == len({n for n, _ in rows}), "a member is in more than one state"
    return dict(rows)


def _refusals(session: Session, number: str) -> int:
    return session.execute(
        select(func.count())
        .select_from(AUDIT)
        .where(
            AUDIT.c.action == ledger_writer.REFUSED,
            AUDIT.c.subject == f"ballot:{BALLOT}/member:{number}",
        )
    ).scalar_one()


def _admit(session: Session, excluded: list[bool]) -> None:
    ledger_writer.open_entries(
        session,
        BALLOT,
        [(n, "HACK", ["not current"] if x else []) for n, x in zip(MEMBERS, excluded, strict=True)],
        NOW,
    )
    session.flush()


_fact = st.tuples(st.sampled_from((*MEMBERS, "M9")), st.sampled_from(list(ledger.MOVES)))


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    excluded=st.lists(st.booleans(), min_size=len(MEMBERS), max_size=len(MEMBERS)),
    batches=st.lists(st.lists(_fact, min_size=1, max_size=3), max_size=15),
)
def test_every_member_stays_in_exactly_one_known_state_and_refusals_are_recorded(
    engine, excluded, batches
):
    with Session(engine) as session:
        _admit(session, excluded)
        expected = {
            n: ("excluded" if x else "awaiting_match")
            for n, x in zip(MEMBERS, excluded, strict=True)
        }
        assert _states(session) == expected
        for batch in batches:
            refusals_before = {n: _refusals(session, n) for n, _ in batch}
            refused_here: dict[str, int] = {}
            for number, fact in batch:
                if number not in expected:
                    refused_here[number] = refused_here.get(number, 0) + 1
                    continue
                try:
                    result = ledger.move(expected[number], fact, "why")
                except ledger.MoveRefused:
                    refused_here[number] = refused_here.get(number, 0) + 1
                    continue
                expected[number] = result.state
            recorded = ledger_writer.record(
                session, BALLOT, [(n, f, "why") for n, f in batch], source="test", now=NOW
            )
            session.flush()
            states = _states(session)
            assert states == expected, "a refused fact changed a state, or a move went astray"
            assert set(states) == set(MEMBERS), "a member left the ledger or joined it by a fact"
            assert set(states.values()) <= set(ledger.STATES), "a fact set an unknown state"
            assert recorded.refused == sum(refused_here.values())
            for number, n in refused_here.items():
                assert _refusals(session, number) == refusals_before[number] + n
        session.rollback()


def test_a_refused_fact_never_fails_the_rest_of_its_batch(session):
    _admit(session, [False] * len(MEMBERS))
    recorded = ledger_writer.record(
        session,
        BALLOT,
        [("M9", "matched", "not here"), ("M1", "voted", "too early"), ("M2", "matched", "ok")],
        source="matching",
        now=NOW,
    )
    assert recorded.moved == ["M2"] and recorded.refused == 2
    assert _states(session)["M2"] == "awaiting_code"
    assert _refusals(session, "M9") == _refusals(session, "M1") == 1


def test_a_ledger_state_cannot_be_set_outside_the_writer(session):
    _admit(session, [False] * len(MEMBERS))
    entry = session.get(LedgerEntry, (BALLOT, "M1"))
    with pytest.raises(LedgerWriteRefused):
        entry.state = "voted"
    with pytest.raises(LedgerWriteRefused):
        entry.reason = "made up"
    with pytest.raises(LedgerWriteRefused):
        LedgerEntry(
            ballot_id=BALLOT,
            membership_number="M5",
            association="HACK",
            state="awaiting_code",
            reason="made up",
            updated_at=NOW,
        )
    assert session.get(LedgerEntry, (BALLOT, "M1")).state == "awaiting_match"
