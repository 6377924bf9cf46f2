"""What the tally answers about a ballot: its row, key, turnout, receipts, result, marked register.

Reads only, in the caller's transaction. A ballot the tally has not heard of
is ``BallotNotFound``; a result asked for before the count is
``ResultNotReady``; the marked register is shown only once the ballot has closed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.tally import certificate, report
from services.tally.errors import BallotNotClosed, BallotNotFound, ResultNotReady
from services.tally.models import Ballot, Mark, Paper, Refusal, Result, SigningKey, Voter


def ballot(session: Session, ballot_id: int, *, lock: bool = False, shared: bool = False) -> Ballot:
    """The ballot's row: locked for update if ``lock`` (a phase change, the close), or with a
    shared lock if ``shared`` (a cast: casts run side by side, and the close waits for every
    cast under way, which waits for it in turn, so a vote is counted or refused as late)."""
    row = session.get(
        Ballot, ballot_id, with_for_update={"read": True} if shared and not lock else lock
    )
    if row is None:
        raise BallotNotFound(f"ballot {ballot_id} does not exist")
    return row


def signing_key(session: Session, ballot_id: int) -> dict[str, str]:
    key = session.get(SigningKey, ballot_id)
    if key is None:
        raise BallotNotFound(f"ballot {ballot_id} has no signing key yet")
    return certificate.key_section(key.public_key)


def turnout(session: Session, ballot_id: int) -> dict[str, int]:
    """Voters still enrolled, papers by channel, and refused postal papers."""
    by_channel = dict(
        session.execute(
            select(Mark.channel, func.count())
            .where(Mark.ballot_id == ballot_id)
            .group_by(Mark.channel)
        ).all()
    )
    voters = session.execute(
        select(func.count())
        .select_from(Voter)
        .where(Voter.ballot_id == ballot_id, Voter.is_withdrawn.is_(False))
    ).scalar_one()
    refused = session.execute(
        select(func.count()).select_from(Refusal).where(Refusal.ballot_id == ballot_id)
    ).scalar_one()
    return {
        "electorate": voters,
        "online": by_channel.get("online", 0),
        "postal": by_channel.get("postal", 0),
        "cast": sum(by_channel.values()),
        "refused_papers": refused,
    }


def receipt(session: Session, ballot_id: int, receipt_id: str) -> dict[str, Any]:
    paper = session.get(Paper, receipt_id)
    if paper is None or paper.ballot_id != ballot_id:
        return {"found": False, "choices": None, "counted": False}
    counted = session.get(Result, ballot_id) is not None
    # While voting is open a receipt shows only that the paper was recorded: showing the
    # choices would let anyone shown a receipt (a buyer, a coercer) check how it was cast.
    # They appear once the count has written the bulletin board, where they are public.
    if not counted:
        return {"found": True, "choices": None, "counted": False}
    choices = paper.choices
    shown = {k: list(v) for k, v in choices.items()} if isinstance(choices, dict) else list(choices)
    return {"found": True, "choices": shown, "counted": True}


def result(session: Session, ballot_id: int) -> Result:
    ballot(session, ballot_id)
    row = session.get(Result, ballot_id)
    if row is None:
        raise ResultNotReady(f"ballot {ballot_id} has not been counted yet")
    return row


def marked_register(session: Session, ballot_id: int) -> list[dict[str, str]]:
    if ballot(session, ballot_id).phase != "closed":
        raise BallotNotClosed("the marked register is available once the ballot has closed")
    rows = session.execute(
        select(Mark.membership_number, Mark.channel)
        .where(Mark.ballot_id == ballot_id)
        .order_by(Mark.membership_number)
    )
    return [{"membership_number": n, "channel": c} for n, c in rows]


def refusals(session: Session, ballot_id: int) -> dict[str, int]:
    """How many postal papers were refused for each reason."""
    rows = session.execute(
        select(Refusal.reason, func.count())
        .where(Refusal.ballot_id == ballot_id)
        .group_by(Refusal.reason)
        .order_by(Refusal.reason)
    )
    return {reason: n for reason, n in rows}


def signed_report(
    session: Session, ballot_id: int, figures: dict[str, Any], passphrase: bytes, now: datetime
) -> dict[str, Any]:
    """The scrutineer's report of a counted ballot (``report.build``), signed with its key."""
    board = result(session, ballot_id).result
    key = session.get(SigningKey, ballot_id)
    assert key is not None, "every ballot gets its key with its definition"
    built = report.build(board, refusals(session, ballot_id), figures, now.isoformat())
    return report.sign(built, key.private_pem.encode(), passphrase)
