"""Who may vote in each ballot: the tally's roll of enrolled voters.

Fed by ``voters.enrolled`` and ``voters.withdrawn``. Enrolling a voter twice
adds nothing; a withdrawn voter stays on the roll, marked withdrawn, and may
no longer vote.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.tally.models import Voter


def enrol(session: Session, ballot_id: int, numbers: list[str]) -> int:
    """Add the members not yet enrolled; how many were added."""
    have = set(
        session.scalars(
            select(Voter.membership_number).where(
                Voter.ballot_id == ballot_id, Voter.membership_number.in_(numbers)
            )
        )
    )
    fresh = [n for n in dict.fromkeys(numbers) if n not in have]
    session.add_all(
        Voter(ballot_id=ballot_id, membership_number=n, is_withdrawn=False) for n in fresh
    )
    return len(fresh)


def withdraw(session: Session, ballot_id: int, numbers: list[str]) -> None:
    for voter in session.scalars(
        select(Voter).where(Voter.ballot_id == ballot_id, Voter.membership_number.in_(numbers))
    ):
        voter.is_withdrawn = True


_VOTERS = Voter.__table__


def may_vote(session: Session, ballot_id: int, number: str) -> bool:
    """Whether the member is enrolled in the ballot and not withdrawn (one column read, not
    an ORM load: this runs for every vote)."""
    withdrawn = session.execute(
        select(_VOTERS.c.is_withdrawn).where(
            _VOTERS.c.ballot_id == ballot_id, _VOTERS.c.membership_number == number
        )
    ).scalar_one_or_none()
    return withdrawn is not None and not withdrawn
