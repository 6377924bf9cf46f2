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
- An online vote choosing a candidate who has withdrawn (``withdrawals``) is
  refused in one line, so the voter can choose again; a postal paper, printed
  before the withdrawal, is entered as marked and the count skips that
  choice (docs/counting.md, "Withdrawn candidates").
- Every refused postal paper is recorded with its reason; a batch entered
  again is answered from the record, not entered twice.
- A vote cast with a request token and coming again with the same token (a
  redelivery after a crash, a caller's retry) is answered with the receipt
  it got the first time, and adds nothing; any other second vote is refused
  (``repeats`` says how the mark recognises it without naming its paper).

An online vote is the hot path (``docs/scaling.md``, "Votes"): it reads the
ballot's phase under the shared lock in its own transaction, every time, but
not the definition, which never changes once the ballot is recorded
(``ballots.record_ballot`` writes it once and nothing updates it): that is
kept per database and ballot in this process (``_definition``). The mark goes
in with one ``INSERT ... ON CONFLICT DO NOTHING`` (no savepoint), the paper
and the event with one statement each.
"""

from __future__ import annotations

import hmac
import secrets
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import CursorResult, select, text
from sqlalchemy.orm import Session

from rollcall import metrics
from rollcall.messaging.outbox import emit
from services.tally import contests, queries, repeats, voters, withdrawals
from services.tally.errors import (
    ALREADY_VOTED,
    NOT_ON_ROLL,
    AlreadyVoted,
    BadRequestToken,
    BallotNotFound,
    BallotNotOpen,
    InvalidChoices,
    NotOnRoll,
)
from services.tally.models import Ballot, Paper, PostalBatch, Refusal

_BALLOTS = Ballot.__table__
_BOX = Paper.__table__
#: The mark, unless the voter has one: the same SQL on SQLite and PostgreSQL, and cached
#: by SQLAlchemy (the dialects' ``on_conflict_do_nothing()`` is compiled every time).
_MARK = text(
    "INSERT INTO marks (ballot_id, membership_number, channel, request_tag) "
    "VALUES (:ballot_id, :number, :channel, :tag) ON CONFLICT DO NOTHING"
)
_MARK_TAG = text(
    "SELECT request_tag FROM marks WHERE ballot_id = :ballot_id AND membership_number = :number"
)


@dataclass(frozen=True)
class OpenBallot:
    """What casting needs of an open ballot: its id and (never changing) definition."""

    ballot_id: int
    definition: dict[str, Any]


#: Each database's ballot definitions, by ballot id (see the module's docstring). Keyed by
#: the engine, so a process that talks to several databases (the tests) keeps them apart.
_definitions: weakref.WeakKeyDictionary[Any, dict[int, dict[str, Any]]] = (
    weakref.WeakKeyDictionary()
)


def _definition(session: Session, ballot_id: int) -> dict[str, Any]:
    known = _definitions.setdefault(session.get_bind(), {})
    definition = known.get(ballot_id)
    if definition is None:
        definition = session.execute(
            select(_BALLOTS.c.definition).where(_BALLOTS.c.ballot_id == ballot_id)
        ).scalar_one()
        known[ballot_id] = definition
    return definition


def _open_for_casting(session: Session, ballot_id: int) -> OpenBallot:
    """The open ballot, its row under a shared lock (casts side by side, the close waits);
    ``BallotNotFound``, or ``BallotNotOpen`` unless open."""
    phase = session.execute(
        select(_BALLOTS.c.phase).where(_BALLOTS.c.ballot_id == ballot_id).with_for_update(read=True)
    ).scalar_one_or_none()
    if phase is None:
        raise BallotNotFound(f"ballot {ballot_id} does not exist")
    if phase != "open":
        raise BallotNotOpen(f"ballot {ballot_id} is {phase}, not open")
    return OpenBallot(ballot_id, _definition(session, ballot_id))


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
    ballot: Ballot | OpenBallot,
    number: str,
    choices: list[str] | dict[str, list[str]],
    channel: str,
    request: tuple[bytes, str] | None = None,
) -> str:
    """Mark and paper in the caller's transaction; the receipt. ``request``: (key, token)."""
    if not voters.may_vote(session, ballot.ballot_id, number):
        raise NotOnRoll(NOT_ON_ROLL)
    tag = None
    if request is None:
        receipt = secrets.token_hex(16)
    else:
        key, token = request
        tag = repeats.mark_tag(key, ballot.ballot_id, number, token)
        receipt = repeats.receipt(key, ballot.ballot_id, number, token)
    who = {"ballot_id": ballot.ballot_id, "number": number}
    marked: CursorResult[Any] = session.execute(  # type: ignore[assignment]  # an INSERT's
        _MARK, {**who, "channel": channel, "tag": tag}
    )
    if not marked.rowcount:
        # The voter has a mark (a concurrent first vote's, once it has committed).
        had = session.execute(_MARK_TAG, who).scalar_one_or_none()
        if tag is not None and had is not None and hmac.compare_digest(had, tag):
            metrics.count(metrics.VOTES_REPEATED, test=is_test(ballot))
            return receipt  # this very request, again: its paper is in the box already
        raise AlreadyVoted(ALREADY_VOTED)
    session.execute(
        _BOX.insert(), {"receipt": receipt, "ballot_id": ballot.ballot_id, "choices": choices}
    )
    emit(
        session,
        "ballots.marked",
        {"ballot_id": ballot.ballot_id, "membership_number": number, "channel": channel},
        correlation_id=ballot.ballot_id,
    )
    # A test ballot's votes never count among real ballots' (``registration.schemas``'s ``test``).
    metrics.count(metrics.BALLOTS_CAST, channel, test=is_test(ballot))
    return receipt


def cast(
    session: Session,
    ballot_id: int,
    number: str,
    choices: Any,
    channel: str = "online",
    request: tuple[bytes, str] | None = None,
) -> dict[str, str]:
    """Cast one vote. With ``request`` (the tally's repeats key and the caller's token), the
    same request cast again gets the same receipt and no second paper."""
    if request is not None and not repeats.valid_token(request[1]):
        low, high = repeats.TOKEN_LENGTH
        raise BadRequestToken(f"a request token is {low} to {high} printable characters")
    ballot = _open_for_casting(session, ballot_id)
    valid = validate_choices(ballot.definition, choices)
    _refuse_withdrawn(session, ballot, valid)
    return {"receipt": _cast(session, ballot, number, valid, channel, request)}


def _refuse_withdrawn(
    session: Session, ballot: OpenBallot, paper: list[str] | dict[str, list[str]]
) -> None:
    """``InvalidChoices`` if the paper chooses a candidate who has withdrawn."""
    gone = withdrawals.withdrawn_by_contest(session, ballot.ballot_id)
    if not gone:
        return
    for contest in contests.contests(ballot.definition):
        chosen = [
            c
            for c in contests.contest_choices(paper, contest["id"])
            if c in gone.get(contest["id"], ())
        ]
        if chosen:
            where = f"{contest['title']}: " if isinstance(paper, dict) else ""
            raise InvalidChoices(
                f"{where}{', '.join(chosen)} withdrew after the papers went out: "
                "choose again without them"
            )


def is_test(ballot: Ballot | OpenBallot) -> bool:
    """Whether ``ballot`` is a test ballot (its definition says ``test: true``)."""
    return bool((ballot.definition or {}).get("test"))


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
            metrics.count(metrics.POSTAL_REFUSED, type(exc).__name__, test=is_test(ballot))
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
