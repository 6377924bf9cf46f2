"""Issuing, checking, redeeming and revoking access codes, in the caller's transaction.

Guarantees:

- One live code per voter per ballot (a unique key): an ``voters.enrolled``
  event seen again, or naming a voter who already has a code, makes no
  second code and sends no second letter.
- A code is sealed for the mailer (``rollcall.sealing``) in the
  ``codes.issued`` event and exists in clear nowhere else.
- ``check`` accepts a valid code whoever sends it and however many wrong
  codes came from the same address: nobody is locked out by someone else's
  failures. It records every wrong code per client in a sliding window and,
  past ``slowing.FREE`` of them, answers a wrong one with ``LockedOut`` and
  how long to wait before the next (``services.codes.slowing``). Guessing
  is hopeless anyway: a code has 82.6 random bits (docs/operations.md).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from rollcall import metrics, sealing
from rollcall.messaging.outbox import emit
from services.codes import codeformat, slowing
from services.codes.errors import BallotNotOpen, InvalidCode, LockedOut, MalformedCode
from services.codes.models import AccessCode, Ballot, FailedAttempt


def record_phase(
    session: Session,
    ballot_id: int,
    phase: str,
    cooling_off_hours: int | None = None,
    test: bool | None = None,
) -> None:
    """Keep a ballot's phase; from ``ballot.created``, its cooling-off and whether it is a test."""
    row = session.get(Ballot, ballot_id)
    if row is None:
        row = Ballot(
            ballot_id=ballot_id, phase=phase, cooling_off_hours=cooling_off_hours or 0, test=False
        )
        session.add(row)
    elif phase != "draft" or row.phase == "draft":
        row.phase = phase
    if cooling_off_hours is not None:
        row.cooling_off_hours = cooling_off_hours
    if test is not None:
        row.test = test


def is_test(session: Session, ballot_id: int) -> bool:
    """Whether the ballot is a test ballot (as ``ballot.created`` said; unknown: no)."""
    ballot = session.get(Ballot, ballot_id)
    return bool(ballot and ballot.test)


def issue(
    session: Session,
    *,
    key: bytes,
    seal_key: bytes,
    ballot_id: int,
    voters: list[dict[str, Any]],
    now: datetime,
    generate: Callable[[], str] = codeformat.generate,
) -> int:
    """Issue a code to each voter that has none; emit one ``codes.issued``; return how many."""
    numbers = [v["membership_number"] for v in voters]
    have = set(
        session.scalars(
            select(AccessCode.membership_number).where(
                AccessCode.ballot_id == ballot_id, AccessCode.membership_number.in_(numbers)
            )
        )
    )
    issued = []
    for voter in voters:
        if voter["membership_number"] in have:
            continue
        code = generate()
        session.add(
            AccessCode(
                ballot_id=ballot_id,
                membership_number=voter["membership_number"],
                code_hash=codeformat.code_hash(key, ballot_id, code),
                status="issued",
                generation=1,
                issued_at=now,
                valid_from=now,
            )
        )
        have.add(voter["membership_number"])
        issued.append(
            {
                **voter,
                "sealed_code": sealing.seal(seal_key, codeformat.formatted(code)),
                "kind": "initial",
            }
        )
    if issued:
        emit(
            session,
            "codes.issued",
            {"ballot_id": ballot_id, "codes": issued},
            correlation_id=ballot_id,
        )
    metrics.count(metrics.CODES_ISSUED, amount=len(issued), test=is_test(session, ballot_id))
    return len(issued)


def _failed(
    session: Session, client: str, now: datetime, wrong: Exception, *, test: bool = False
) -> Exception:
    """Count a wrong code from ``client``; ``wrong``, or ``LockedOut`` if it must now wait.
    ``test``: it was tried on a test ballot (counted apart from real ballots' in the metrics)."""
    rows = session.scalars(
        select(FailedAttempt)
        .where(
            FailedAttempt.client == client,
            FailedAttempt.window_start > slowing.oldest_counted(now),
        )
        .with_for_update()
    ).all()
    failures = sum(r.count for r in rows) + 1
    # One statement adds to the minute's count or starts it: two wrong codes
    # from one client at once, both the first of their minute, must not both
    # insert the row (the second would fail on its key, answered as a 500).
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    counted = insert(FailedAttempt).values(
        client=client, window_start=slowing.bucket_start(now), count=1, last_at=now
    )
    session.execute(
        counted.on_conflict_do_update(
            index_elements=[FailedAttempt.client, FailedAttempt.window_start],
            set_={"count": FailedAttempt.count + 1, "last_at": counted.excluded.last_at},
        )
    )
    metrics.count(metrics.CODES_FAILED, test=test)
    wait = slowing.retry_after(failures, now, now)
    if not wait:
        return wrong
    return LockedOut(
        f"{wrong}; too many wrong access codes have come from here lately: "
        f"wait {_duration(wait)} before trying another",
        retry_after=wait,
    )


def purge_failures(session: Session, now: datetime) -> int:
    """Remove wrong-code counts that no longer count; how many buckets went."""
    gone: CursorResult[Any] = session.execute(  # type: ignore[assignment]  # a DELETE's result
        delete(FailedAttempt).where(FailedAttempt.window_start <= slowing.oldest_counted(now))
    )
    return int(gone.rowcount or 0)


def _duration(seconds: int) -> str:
    if seconds < 120:
        return "a second" if seconds == 1 else f"{seconds} seconds"
    return f"{math.ceil(seconds / 60)} minutes"


def check(
    session: Session, *, key: bytes, ballot_id: int, raw: str, client: str, now: datetime
) -> str | Exception:
    """The voter a code belongs to, or the exception to raise (after this transaction commits)."""
    ballot = session.get(Ballot, ballot_id)
    if ballot is None or ballot.phase != "open":
        return BallotNotOpen(f"ballot {ballot_id} is not open for voting")
    try:
        code = codeformat.normalise(raw)
    except codeformat.MalformedCodeError as exc:
        return _failed(session, client, now, MalformedCode(str(exc)), test=ballot.test)
    row = session.scalar(
        select(AccessCode).where(AccessCode.code_hash == codeformat.code_hash(key, ballot_id, code))
    )
    if row is None or row.ballot_id != ballot_id or row.status == "revoked":
        wrong = InvalidCode("this access code is not valid for this ballot")
        return _failed(session, client, now, wrong, test=ballot.test)
    if row.valid_from > now:
        return InvalidCode(
            f"this access code can be used from {row.valid_from.isoformat(timespec='minutes')}"
        )
    return row.membership_number


def reissue(
    session: Session,
    *,
    key: bytes,
    seal_key: bytes,
    ballot_id: int,
    voter: dict[str, Any],
    now: datetime,
    generate: Callable[[], str] = codeformat.generate,
    hold: bool = True,
) -> bool:
    """Replace a voter's code; after a contact change (``hold``) the new one works only after the cooling-off.

    The old code stops working at once (its hash is replaced); the new one is
    sealed for the mailer with ``not_before``, so the member has the whole
    cooling-off period to object before a code exists at the new contact. A
    code sent again to the same contact (``hold=False``: a resend, a
    replacement, an officer's reissue) works at once, unless a contact
    change's cooling-off is still running: a reissue never shortens it.
    """
    row = session.scalar(
        select(AccessCode)
        .where(
            AccessCode.ballot_id == ballot_id,
            AccessCode.membership_number == voter["membership_number"],
        )
        .with_for_update()
    )
    if row is None or row.status != "issued":
        return False
    ballot = session.get(Ballot, ballot_id)
    hours = ballot.cooling_off_hours if ballot and hold else 0
    valid_from = max(now + timedelta(hours=hours), row.valid_from)
    code = generate()
    row.code_hash = codeformat.code_hash(key, ballot_id, code)
    row.generation += 1
    row.issued_at, row.valid_from = now, valid_from
    emit(
        session,
        "codes.issued",
        {
            "ballot_id": ballot_id,
            "codes": [
                {
                    **voter,
                    "sealed_code": sealing.seal(seal_key, codeformat.formatted(code)),
                    "kind": f"reissue-{row.generation}",
                    "not_before": valid_from.isoformat() if valid_from > now else None,
                }
            ],
        },
        correlation_id=ballot_id,
    )
    metrics.count(metrics.CODES_ISSUED, test=bool(ballot and ballot.test))
    return True


def redeem(session: Session, marks: Sequence[Mapping[str, Any]], now: datetime) -> int:
    """``ballots.marked`` payloads: each voter's code is redeemed (once); returns how many were."""
    by_ballot: dict[int, set[str]] = {}
    for mark in marks:
        by_ballot.setdefault(mark["ballot_id"], set()).add(mark["membership_number"])
    redeemed = 0
    for ballot_id, numbers in by_ballot.items():
        rows = session.scalars(
            select(AccessCode)
            .where(AccessCode.ballot_id == ballot_id, AccessCode.membership_number.in_(numbers))
            .with_for_update()
        )
        test = None
        for row in rows:
            if row.status == "redeemed":
                continue
            row.status, row.redeemed_at = "redeemed", now
            test = is_test(session, ballot_id) if test is None else test
            metrics.count(metrics.CODES_REDEEMED, test=test)
            redeemed += 1
    return redeemed


def revoke(session: Session, ballot_id: int, numbers: list[str]) -> int:
    rows = session.scalars(
        select(AccessCode).where(
            AccessCode.ballot_id == ballot_id,
            AccessCode.membership_number.in_(numbers),
            AccessCode.status == "issued",
        )
    ).all()
    for row in rows:
        row.status = "revoked"
    return len(rows)


def utcnow() -> datetime:
    return datetime.now(UTC)
