"""Casting a vote online and entering postal papers, in the caller's transaction.

Guarantees:

- One voter, one vote, across channels: the mark's primary key is (ballot,
  voter); the paper is added in the same transaction as the mark, so a paper
  exists if and only if its mark does.
- Casting holds a shared lock on the ballot's row and closing an exclusive one,
  so a vote is either in the count or refused as late, never lost between the
  two; online casts do not wait for each other (PostgreSQL; SQLite has one
  writer at a time anyway). A postal batch takes the exclusive lock, so a
  batch entered twice at once is entered once.
- A ballot with several contests takes one paper per sitting holding every
  contest's choices (``contests.paper``); a postal voter's papers, one per
  contest, are entered together as ``{"membership_number", "contests": {id:
  [names]}}``, so they go into the box as one paper, as the page's do.
- Every refused postal paper is recorded with its reason; a batch entered
  again is answered from the record, not entered twice.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rollcall import metrics
from rollcall.messaging.outbox import emit
from services.tally import contests, queries, voters
from services.tally.errors import (
    ALREADY_VOTED,
    NOT_ON_ROLL,
    AlreadyVoted,
    BallotNotOpen,
    InvalidChoices,
    NotOnRoll,
)
from services.tally.models import Ballot, Mark, Paper, PostalBatch, Refusal


def _open_ballot(session: Session, ballot_id: int, *, shared: bool = False) -> Ballot:
    """The ballot's row, locked against a concurrent close (``shared``: not against other
    casts); ``BallotNotOpen`` unless open."""
    ballot = queries.ballot(session, ballot_id, lock=not shared, shared=shared)
    if ballot.phase != "open":
        raise BallotNotOpen(f"ballot {ballot_id} is {ballot.phase}, not open")
    return ballot


def validate_choices(definition: dict[str, Any], choices: Any) -> list[str] | dict[str, list[str]]:
    """The paper to store for ``choices`` (``contests.paper``); ``InvalidChoices`` says what is wrong."""
    return contests.paper(definition, choices)


def _cast(
    session: Session,
    ballot: Ballot,
    number: str,
    choices: list[str] | dict[str, list[str]],
    channel: str,
) -> str:
    if not voters.may_vote(session, ballot.ballot_id, number):
        raise NotOnRoll(NOT_ON_ROLL)
    receipt = secrets.token_hex(16)
    try:
        with session.begin_nested():
            session.add(Mark(ballot_id=ballot.ballot_id, membership_number=number, channel=channel))
            session.flush()
    except IntegrityError:
        raise AlreadyVoted(ALREADY_VOTED) from None
    session.add(Paper(receipt=receipt, ballot_id=ballot.ballot_id, choices=choices))
    emit(
        session,
        "ballots.marked",
        {"ballot_id": ballot.ballot_id, "membership_number": number, "channel": channel},
        correlation_id=ballot.ballot_id,
    )
    # A test ballot's votes never count among real ballots' (``registration.schemas``'s ``test``).
    counter = metrics.TEST_BALLOTS_CAST if ballot.definition.get("test") else metrics.BALLOTS_CAST
    counter.labels(channel).inc()
    return receipt


def cast(
    session: Session, ballot_id: int, number: str, choices: Any, channel: str = "online"
) -> dict[str, str]:
    ballot = _open_ballot(session, ballot_id, shared=True)
    valid = validate_choices(ballot.definition, choices)
    return {"receipt": _cast(session, ballot, number, valid, channel)}


def enter_postal_batch(
    session: Session, ballot_id: int, batch_id: str, teller: str, papers: list[dict[str, Any]]
) -> dict[str, Any]:
    """Enter a batch of returned postal papers; refusals are recorded, not raised."""
    ballot = _open_ballot(session, ballot_id)
    done = session.get(PostalBatch, (ballot_id, batch_id))
    if done is not None:
        refused = session.execute(
            select(Refusal.membership_number, Refusal.reason).where(
                Refusal.ballot_id == ballot_id, Refusal.batch_id == batch_id
            )
        ).all()
        return {
            "batch_id": batch_id,
            "entered": done.entered,
            "refused": [{"membership_number": n, "reason": r} for n, r in refused],
            "duplicate_batch": True,
        }
    entered, refused_list = 0, []
    for paper in papers:
        number = str(paper.get("membership_number", ""))
        try:
            given = paper["contests"] if "contests" in paper else paper.get("choices")
            valid = validate_choices(ballot.definition, given)
            _cast(session, ballot, number, valid, "postal")
            entered += 1
        except (AlreadyVoted, NotOnRoll, InvalidChoices) as exc:
            session.add(
                Refusal(
                    ballot_id=ballot_id,
                    channel="postal",
                    batch_id=batch_id,
                    membership_number=number,
                    reason=str(exc),
                )
            )
            metrics.POSTAL_REFUSED.labels(type(exc).__name__).inc()
            refused_list.append({"membership_number": number, "reason": str(exc)})
    session.add(
        PostalBatch(
            ballot_id=ballot_id,
            batch_id=batch_id,
            teller=teller,
            entered=entered,
            refused=len(refused_list),
            entered_at=datetime.now(UTC),
        )
    )
    return {
        "batch_id": batch_id,
        "entered": entered,
        "refused": refused_list,
        "duplicate_batch": False,
    }
