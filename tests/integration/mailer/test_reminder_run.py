"""The reminder run on the real PostgreSQL database, at chosen times: one decision per voter and
reminder time however often it runs (and two at once), none while paused or after the close."""

from __future__ import annotations

import contextlib
from collections import Counter
from datetime import UTC, datetime, timedelta

import eventlet
import pytest
from sqlalchemy import select

from rollcall.db import make_engine, session_factory
from services.mailer import reminding
from services.mailer.models import Ballot, Delivery, Reminder, Voted, Withdrawn

OPENS = datetime(2026, 12, 8, 9, tzinfo=UTC)
FIRST, SECOND = OPENS + timedelta(days=4), OPENS + timedelta(days=10)
CLOSES = OPENS + timedelta(days=14)
TIMETABLE = {
    "opens_at": OPENS.isoformat(),
    "closes_at": CLOSES.isoformat(),
    "reminders": [FIRST.isoformat(), SECOND.isoformat()],
}
#: membership number -> (status, channel) of their access code delivery
VOTERS = {
    "E1": ("sent", "email"),
    "E2": ("sent", "email"),
    "P1": ("queued", "post"),
    "W1": ("pending", "email"),
    "F1": ("failed", "email"),
    "V1": ("sent", "email"),
}


@pytest.fixture
def transaction(make_settings):
    engine = make_engine(make_settings("mailer").database_url("mailer"))
    factory = session_factory(engine)

    @contextlib.contextmanager
    def unit():
        with factory() as session, session.begin():
            yield session

    with unit() as s:
        s.add(Ballot(ballot_id=1, phase="open", title="T", timetable=TIMETABLE))
        for number, (status, channel) in VOTERS.items():
            s.add(
                Delivery(
                    ballot_id=1,
                    membership_number=number,
                    kind="initial",
                    channel=channel,
                    status=status,
                    contact={"membership_number": number, "name": number, "email": "x@y"},
                    attempts=1,
                    last_error="",
                    created_at=OPENS,
                )
            )
        s.add(Voted(ballot_id=1, membership_number="V1", channel="online", recorded_at=OPENS))
    yield unit
    engine.dispose()


def _decided(unit) -> list[tuple[str, datetime, str]]:
    with unit() as s:
        return [
            (r.membership_number, r.slot, r.outcome)
            for r in s.scalars(select(Reminder).order_by(Reminder.slot, Reminder.membership_number))
        ]


def _reminders(unit) -> list[tuple[str, str, str]]:
    with unit() as s:
        return [
            (d.membership_number, d.kind, d.channel)
            for d in s.scalars(
                select(Delivery)
                .where(Delivery.kind.startswith("reminder-"))
                .order_by(Delivery.kind, Delivery.membership_number)
            )
        ]


def _phase(unit, phase: str) -> None:
    with unit() as s:
        s.get(Ballot, 1).phase = phase


def test_each_voter_is_decided_once_per_reminder_time_however_often_the_run_goes(transaction):
    at = FIRST + timedelta(minutes=1)
    first = reminding.run(transaction, at)
    again = [reminding.run(transaction, at + timedelta(seconds=5 * n)) for n in range(1, 4)]
    assert first == Counter(
        email=2,
        letter=1,
        skipped_awaiting_code=1,
        skipped_not_reached=1,
        skipped_voted=1,
    )
    assert again == [Counter(), Counter(), Counter()]
    kind = reminding.reminder_kind(FIRST)
    assert _reminders(transaction) == [
        ("E1", kind, "email"),
        ("E2", kind, "email"),
        ("P1", kind, "post"),
    ]
    assert [(n, o) for n, slot, o in _decided(transaction)] == [
        ("E1", "email"),
        ("E2", "email"),
        ("F1", "skipped_not_reached"),
        ("P1", "letter"),
        ("V1", "skipped_voted"),
        ("W1", "skipped_awaiting_code"),
    ]
    # The next reminder time is decided afresh: a voter who voted since is skipped.
    with transaction() as s:
        s.add(Voted(ballot_id=1, membership_number="E2", channel="postal", recorded_at=at))
    assert reminding.run(transaction, SECOND)[reminding.SKIPPED_VOTED] == 2
    second = [(n, k) for n, k, _ in _reminders(transaction) if k == reminding.reminder_kind(SECOND)]
    assert second == [
        ("E1", reminding.reminder_kind(SECOND)),
        ("P1", reminding.reminder_kind(SECOND)),
    ]


def test_two_runs_at_once_decide_each_voter_once(transaction):
    at = FIRST + timedelta(minutes=1)
    runs = [eventlet.spawn(reminding.run, transaction, at) for _ in range(4)]
    total = sum((r.wait() for r in runs), Counter())
    assert total == Counter(
        email=2, letter=1, skipped_awaiting_code=1, skipped_not_reached=1, skipped_voted=1
    )
    assert len(_decided(transaction)) == len(VOTERS)
    assert len(_reminders(transaction)) == 3


def test_a_mailer_down_across_two_reminder_times_sends_one_reminder_not_two(transaction):
    reminding.run(transaction, SECOND + timedelta(hours=1))
    kinds = {k for _, k, _ in _reminders(transaction)}
    assert kinds == {reminding.reminder_kind(SECOND)}


def test_none_while_paused_none_after_the_close_and_what_was_not_sent_is_cancelled(transaction):
    _phase(transaction, "paused")
    assert reminding.run(transaction, FIRST + timedelta(minutes=1)) == Counter()
    _phase(transaction, "open")
    assert reminding.run(transaction, CLOSES) == Counter()
    assert reminding.run(transaction, CLOSES + timedelta(days=1)) == Counter()
    assert _decided(transaction) == []
    # Decided while open; the ballot closes before the dispatcher sent them: cancelled.
    assert reminding.run(transaction, FIRST)[reminding.EMAIL] == 2
    _phase(transaction, "closed")
    assert reminding.run(transaction, FIRST + timedelta(minutes=1)) == Counter(cancelled_closed=3)
    with transaction() as s:
        statuses = s.scalars(
            select(Delivery.status).where(Delivery.kind.startswith("reminder-"))
        ).all()
        counts = reminding.counts(s, 1)
    assert statuses == ["failed"] * 3
    assert counts["total"] == {
        "cancelled_closed": 3,
        "skipped_awaiting_code": 1,
        "skipped_not_reached": 1,
        "skipped_voted": 1,
    }


def test_a_voter_withdrawn_after_their_code_went_is_not_reminded_unless_a_code_went_since(
    transaction,
):
    reminding_at = FIRST + timedelta(minutes=1)
    with transaction() as s:
        reminding.record_withdrawal(s, 1, ["E1", "E2"], OPENS + timedelta(hours=1))
        # E2 is enrolled again and sent a new code after the withdrawal.
        s.add(
            Delivery(
                ballot_id=1,
                membership_number="E2",
                kind="reissue-1",
                channel="email",
                status="sent",
                contact={"membership_number": "E2", "name": "E2", "email": "x@y"},
                attempts=1,
                last_error="",
                created_at=OPENS + timedelta(hours=2),
            )
        )
    outcomes = reminding.run(transaction, reminding_at)
    assert outcomes[reminding.SKIPPED_WITHDRAWN] == 1 and outcomes[reminding.EMAIL] == 1
    assert [n for n, _, _ in _reminders(transaction)] == ["E2", "P1"]
    with transaction() as s:
        assert s.get(Withdrawn, (1, "E1")) is not None


def _code(number: str, kind: str, status: str, at: datetime) -> Delivery:
    return Delivery(
        ballot_id=1,
        membership_number=number,
        kind=kind,
        channel="email",
        status=status,
        contact={"membership_number": number, "name": number, "email": "x@y"},
        attempts=1,
        last_error="",
        created_at=at,
    )


def test_small_chunks_judge_each_voter_by_their_latest_code_and_a_finished_time_is_skipped(
    transaction,
):
    with transaction() as s:
        # A1 comes first: E1's two deliveries straddle the first chunk's end.
        s.add(_code("A1", "initial", "sent", OPENS))
        s.add(_code("E1", "reissue-1", "failed", OPENS + timedelta(hours=1)))
    at = FIRST + timedelta(minutes=1)
    outcomes, after, chunks = Counter(), "", 0
    while after is not None:
        with transaction() as s:
            chunk, after = reminding.remind(s, 1, FIRST, at, after, limit=2)
        outcomes.update(chunk)
        chunks += 1
    assert +outcomes == Counter(
        email=2, letter=1, skipped_awaiting_code=1, skipped_not_reached=2, skipped_voted=1
    )
    assert chunks > 3
    # A voter whose first code is recorded after the run finished waits for the next time.
    with transaction() as s:
        s.add(_code("N1", "initial", "sent", at))
    assert reminding.run(transaction, at + timedelta(minutes=1)) == Counter()
    later = [n for n, k, _ in _reminders(transaction) if k == reminding.reminder_kind(SECOND)]
    assert later == []
    reminding.run(transaction, SECOND)
    later = [n for n, k, _ in _reminders(transaction) if k == reminding.reminder_kind(SECOND)]
    assert later == ["A1", "E2", "N1", "P1"]
