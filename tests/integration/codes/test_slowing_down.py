"""Wrong access codes slow their sender down on a sliding window; a valid code always gets in.

``issuing.check`` on the codes service's real (migrated) PostgreSQL database,
each call its own transaction as the service runs it, with the clock given.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from rollcall.db import transaction
from services.codes import codeformat, issuing, slowing
from services.codes.errors import InvalidCode, LockedOut, MalformedCode
from services.codes.models import AccessCode, Ballot, FailedAttempt

KEY = b"test-code-hash-key"
BALLOT = 7
OFFICE = "198.51.100.20"  # one address for a whole party office


@pytest.fixture
def codes_db(databases):  # type: ignore[no-untyped-def]
    engine = sa.create_engine(databases.fresh("codes"), poolclass=sa.pool.NullPool)
    factory = sessionmaker(engine, expire_on_commit=False)
    good = codeformat.generate()
    with transaction(factory) as session:
        session.add(Ballot(ballot_id=BALLOT, phase="open", cooling_off_hours=0))
        session.add(
            AccessCode(
                ballot_id=BALLOT,
                membership_number="M1",
                code_hash=codeformat.code_hash(KEY, BALLOT, good),
                status="issued",
                generation=1,
                issued_at=datetime(2026, 1, 1, tzinfo=UTC),
                valid_from=datetime(2026, 1, 1, tzinfo=UTC),
            )
        )
    yield factory, good
    engine.dispose()


def wrong_code() -> str:
    return codeformat.formatted(codeformat.generate())


def check(factory: sessionmaker[Session], raw: str, now: datetime, client: str = OFFICE):  # type: ignore[no-untyped-def]
    with transaction(factory) as session:
        return issuing.check(session, key=KEY, ballot_id=BALLOT, raw=raw, client=client, now=now)


def test_wrong_codes_across_a_clock_boundary_are_counted_in_one_window(codes_db):
    factory, _ = codes_db
    # The old lockout counted in fixed quarter hours: ten before 10:15 and ten
    # after were twenty guesses in seconds. A sliding window sees all of them.
    before = datetime(2026, 12, 7, 10, 14, 55, tzinfo=UTC)
    answers = [check(factory, wrong_code(), before) for _ in range(slowing.FREE - 1)]
    assert all(isinstance(a, InvalidCode) for a in answers)
    after = datetime(2026, 12, 7, 10, 15, 1, tzinfo=UTC)
    slowed = check(factory, wrong_code(), after)
    assert isinstance(slowed, LockedOut) and slowed.retry_after == 1
    again = check(factory, wrong_code(), after + timedelta(seconds=1))
    assert isinstance(again, LockedOut) and again.retry_after == 2


def test_the_wait_grows_and_says_how_long_then_the_window_forgets(codes_db):
    factory, _ = codes_db
    now = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    waits = []
    for _ in range(slowing.FREE + 4):
        answer = check(factory, "not-a-code", now)
        waits.append(answer.retry_after if isinstance(answer, LockedOut) else 0)
    assert waits == [0] * (slowing.FREE - 1) + [1, 2, 4, 8, 16]
    assert "wait 16 seconds before trying another" in str(answer)
    assert isinstance(check(factory, "not-a-code", now + timedelta(minutes=30)), LockedOut)
    # Over an hour later none of these count: a wrong code is just wrong again.
    later = now + slowing.WINDOW + slowing.BUCKET + timedelta(seconds=1)
    assert isinstance(check(factory, "not-a-code", later), MalformedCode)


def test_a_valid_code_is_accepted_from_a_slowed_client(codes_db):
    factory, good = codes_db
    now = datetime(2026, 12, 7, 11, 0, tzinfo=UTC)
    for _ in range(slowing.FREE + 6):
        last = check(factory, wrong_code(), now)
    assert isinstance(last, LockedOut) and last.retry_after > 30
    # Someone else in the same office, at once, with their real code.
    assert check(factory, codeformat.formatted(good), now) == "M1"


def test_another_address_is_not_slowed_by_this_ones_failures(codes_db):
    factory, _ = codes_db
    now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    for _ in range(slowing.FREE + 2):
        check(factory, wrong_code(), now)
    assert isinstance(check(factory, wrong_code(), now, client="203.0.113.5"), InvalidCode)


def test_purge_forgets_only_what_no_longer_counts(codes_db):
    factory, _ = codes_db
    now = datetime(2026, 12, 7, 13, 0, tzinfo=UTC)
    check(factory, wrong_code(), now - timedelta(hours=2))
    check(factory, wrong_code(), now - timedelta(minutes=5))
    with transaction(factory) as session:
        assert issuing.purge_failures(session, now) == 1
    with transaction(factory) as session:
        assert session.scalar(sa.text("select count(*) from failed_attempts")) == 1


def test_two_wrong_codes_at_once_from_one_client_are_both_counted_and_neither_fails(codes_db):
    # Two verifications from one address, the first in their minute, in two
    # transactions at once: both find no row to lock, both would insert one.
    # The second must add to the first's count, not fail on its key (a 500).
    import threading

    factory, _ = codes_db
    now = datetime(2026, 12, 7, 11, 0, 30, tzinfo=UTC)
    first = factory()
    first.begin()
    answer_first = issuing.check(
        first, key=KEY, ballot_id=BALLOT, raw=wrong_code(), client=OFFICE, now=now
    )
    outcome: dict[str, object] = {}

    def second() -> None:
        try:
            outcome["answer"] = check(factory, wrong_code(), now)
        except Exception as exc:  # noqa: BLE001 — the test reports what the second one met
            outcome["error"] = exc

    racer = threading.Thread(target=second)
    racer.start()
    racer.join(timeout=2)  # it waits on the first's uncommitted row, or has failed
    first.commit()
    first.close()
    racer.join(timeout=30)
    assert not racer.is_alive()
    assert "error" not in outcome, repr(outcome.get("error"))
    assert isinstance(answer_first, InvalidCode)
    assert isinstance(outcome["answer"], InvalidCode)
    with transaction(factory) as session:
        counted = session.scalar(sa.select(sa.func.sum(FailedAttempt.count)))
    assert counted == 2
