"""Casting, postal entry, closing and counting, in the caller's transaction.

Guarantees:

- One voter, one vote, across channels: the mark's primary key is (ballot,
  voter); the paper is added in the same transaction as the mark, so a paper
  exists if and only if its mark does.
- Cast and close both lock the ballot's row, so a vote is either in the count
  or refused as late, never lost between the two.
- Every refused postal paper is recorded with its reason.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rollcall import audit, metrics
from rollcall.messaging.outbox import emit
from services.tally import bulletin, certificate
from services.tally.errors import (
    AlreadyVoted,
    BallotNotClosed,
    BallotNotFound,
    BallotNotOpen,
    InvalidChoices,
    NotOnRoll,
    ResultNotReady,
)
from services.tally.models import (
    Elector,
    Mark,
    Paper,
    PostalBatch,
    Refusal,
    Result,
    SigningKey,
    TallyBallot,
)


def record_ballot(session: Session, definition: dict[str, Any], passphrase: bytes) -> None:
    """Keep the definition and make the ballot's signing key, published at once."""
    ballot_id = definition["ballot_id"]
    if session.get(TallyBallot, ballot_id) is not None:
        return
    session.add(TallyBallot(ballot_id=ballot_id, definition=definition, phase=definition["phase"]))
    public, pem = certificate.new_key(passphrase)
    now = datetime.now(UTC)
    session.flush()
    session.add(
        SigningKey(ballot_id=ballot_id, public_key=public, private_pem=pem.decode(), created_at=now)
    )
    audit.append(
        session,
        actor="tally",
        source="tally",
        action="ballot.key_made",
        subject=f"ballot:{ballot_id}",
        details=certificate.key_section(public),
        reason="the key that will sign this ballot's result, published before any vote",
        at=now,
    )


def signing_key(session: Session, ballot_id: int) -> dict[str, str]:
    key = session.get(SigningKey, ballot_id)
    if key is None:
        raise BallotNotFound(f"ballot {ballot_id} has no signing key yet")
    return certificate.key_section(key.public_key)


def enrol(session: Session, ballot_id: int, numbers: list[str]) -> int:
    have = set(
        session.scalars(
            select(Elector.membership_number).where(
                Elector.ballot_id == ballot_id, Elector.membership_number.in_(numbers)
            )
        )
    )
    fresh = [n for n in dict.fromkeys(numbers) if n not in have]
    session.add_all(
        Elector(ballot_id=ballot_id, membership_number=n, is_withdrawn=False) for n in fresh
    )
    return len(fresh)


def withdraw(session: Session, ballot_id: int, numbers: list[str]) -> None:
    for e in session.scalars(
        select(Elector).where(
            Elector.ballot_id == ballot_id, Elector.membership_number.in_(numbers)
        )
    ):
        e.is_withdrawn = True


def _ballot(session: Session, ballot_id: int, *, lock: bool = False) -> TallyBallot:
    ballot = session.get(TallyBallot, ballot_id, with_for_update=lock)
    if ballot is None:
        raise BallotNotFound(f"ballot {ballot_id} does not exist")
    return ballot


def validate_choices(definition: dict[str, Any], choices: Any) -> list[str]:
    """The choices as a list of names; ``InvalidChoices`` says what is wrong in words."""
    if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
        raise InvalidChoices("choices must be a list of candidate names")
    if not choices:
        raise InvalidChoices("the ballot paper is blank: choose at least one candidate")
    unknown = [c for c in choices if c not in definition["candidates"]]
    if unknown:
        raise InvalidChoices(f"not a candidate in this ballot: {', '.join(unknown)}")
    if len(set(choices)) != len(choices):
        raise InvalidChoices("a candidate is chosen more than once")
    if definition["method"] == "fptp" and len(choices) > definition["seats"]:
        raise InvalidChoices(f"choose at most {definition['seats']} candidate(s)")
    return list(choices)


def _cast(
    session: Session, ballot: TallyBallot, number: str, choices: list[str], channel: str
) -> str:
    elector = session.get(Elector, (ballot.ballot_id, number))
    if elector is None or elector.is_withdrawn:
        raise NotOnRoll("this member is not on the roll for this ballot")
    receipt = secrets.token_hex(16)
    try:
        with session.begin_nested():
            session.add(Mark(ballot_id=ballot.ballot_id, membership_number=number, channel=channel))
            session.flush()
    except IntegrityError:
        raise AlreadyVoted("a vote has already been recorded for this member") from None
    session.add(Paper(receipt=receipt, ballot_id=ballot.ballot_id, choices=choices))
    emit(
        session,
        "ballots.marked",
        {"ballot_id": ballot.ballot_id, "membership_number": number, "channel": channel},
        correlation_id=ballot.ballot_id,
    )
    metrics.BALLOTS_CAST.labels(channel).inc()
    return receipt


def cast(
    session: Session, ballot_id: int, number: str, choices: Any, channel: str = "online"
) -> dict[str, str]:
    ballot = _ballot(session, ballot_id, lock=True)
    if ballot.phase != "open":
        raise BallotNotOpen(f"ballot {ballot_id} is {ballot.phase}, not open")
    valid = validate_choices(ballot.definition, choices)
    return {"receipt": _cast(session, ballot, number, valid, channel)}


def enter_postal_batch(
    session: Session, ballot_id: int, batch_id: str, teller: str, papers: list[dict[str, Any]]
) -> dict[str, Any]:
    """Enter a batch of returned postal papers; refusals are recorded, not raised."""
    ballot = _ballot(session, ballot_id, lock=True)
    if ballot.phase != "open":
        raise BallotNotOpen(f"ballot {ballot_id} is {ballot.phase}, not open")
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
            valid = validate_choices(ballot.definition, paper.get("choices"))
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


def turnout(session: Session, ballot_id: int) -> dict[str, int]:
    by_channel = dict(
        session.execute(
            select(Mark.channel, func.count())
            .where(Mark.ballot_id == ballot_id)
            .group_by(Mark.channel)
        ).all()
    )
    electorate = session.execute(
        select(func.count())
        .select_from(Elector)
        .where(Elector.ballot_id == ballot_id, Elector.is_withdrawn.is_(False))
    ).scalar_one()
    refused = session.execute(
        select(func.count()).select_from(Refusal).where(Refusal.ballot_id == ballot_id)
    ).scalar_one()
    return {
        "electorate": electorate,
        "online": by_channel.get("online", 0),
        "postal": by_channel.get("postal", 0),
        "cast": sum(by_channel.values()),
        "refused_papers": refused,
    }


def close_and_count(
    session: Session,
    ballot_id: int,
    bulletin_dir: Path,
    passphrase: bytes,
    audit_heads: dict[str, Any] | None = None,
) -> dict[str, Any] | None:
    """Close the box and count it; None if it was already counted."""
    ballot = _ballot(session, ballot_id, lock=True)
    if session.get(Result, ballot_id) is not None:
        return None
    ballot.phase = "closed"
    _forget_casting_order(session, ballot_id)
    papers = [
        {"receipt": r, "choices": c}
        for r, c in session.execute(
            select(Paper.receipt, Paper.choices).where(Paper.ballot_id == ballot_id)
        )
    ]
    key = session.get(SigningKey, ballot_id)
    assert key is not None, "every ballot gets its key with its definition"
    seq, digest = audit.head(session)
    heads = {**(audit_heads or {}), "tally": {"seq": seq, "hash": digest}}
    board = bulletin.build(
        ballot.definition,
        papers,
        turnout(session, ballot_id),
        {"key": certificate.key_section(key.public_key), "audit_heads": heads},
    )
    board["certificate"] = certificate.sign(board, key.private_pem.encode(), passphrase)
    bulletin_dir.mkdir(parents=True, exist_ok=True)
    path = bulletin_dir / f"ballot-{ballot_id}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(board, indent=1, sort_keys=True, ensure_ascii=False))
    tmp.replace(path)
    _render(board, bulletin_dir / f"ballot-{ballot_id}")
    session.add(
        Result(
            ballot_id=ballot_id,
            result=board,
            bulletin_sha256=board["sha256"],
            bulletin_path=str(path),
            counted_at=datetime.now(UTC),
        )
    )
    emit(
        session,
        "result.published",
        {
            "ballot_id": ballot_id,
            "method": ballot.definition["method"],
            "winners": board["counts"]["winners"],
            "bulletin_sha256": board["sha256"],
        },
        correlation_id=ballot_id,
    )
    return board


def _render(board: dict[str, Any], stem: Path) -> None:
    """The count as a readable stage table (.txt) and a chart of the stages (.png)."""
    from services.tally import rendering
    from services.tally.counting import count_ballots

    definition = board["ballot"]
    result = count_ballots(
        definition["method"],
        definition["candidates"],
        ((p["choices"], 1) for p in board["ballots"]),
        seats=definition["seats"],
        seed=definition["seed"],
    )
    stem.with_suffix(".txt").write_text(rendering.stage_table(result, definition["title"]))
    rendering.stage_chart(result, stem.with_suffix(".png"), definition["title"])


def _forget_casting_order(session: Session, ballot_id: int) -> None:
    """Rewrite the box and the marks in key order, in this one transaction.

    While voting is open, rows sit in the order they were cast, and on
    PostgreSQL each carries its inserting transaction's id (``xmin``), which
    a mark and its paper share. Rewriting both at close gives every row the
    closing transaction's id and the order of its key, so the stored data no
    longer links a paper to a voter. (WAL, backups and the outbox taken while
    open are outside this; docs/results.md says so.)
    """
    for table, order in (
        (Paper.__table__, Paper.receipt),
        (Mark.__table__, Mark.membership_number),
    ):
        rows = [
            dict(r._mapping)
            for r in session.execute(
                select(table).where(table.c.ballot_id == ballot_id).order_by(order)
            )
        ]
        session.execute(table.delete().where(table.c.ballot_id == ballot_id))
        if rows:
            session.execute(table.insert(), rows)


def record_phase(
    session: Session,
    ballot_id: int,
    phase: str,
    bulletin_dir: Path,
    passphrase: bytes,
    audit_head: dict[str, Any] | None = None,
) -> None:
    ballot = _ballot(session, ballot_id, lock=True)
    if phase == "open" and ballot.phase in ("draft", "paused"):
        ballot.phase = "open"
    elif phase == "paused" and ballot.phase == "open":
        ballot.phase = "paused"
    elif phase == "closed":
        heads = {}
        if audit_head:
            heads[audit_head["service"]] = {"seq": audit_head["seq"], "hash": audit_head["hash"]}
        close_and_count(session, ballot_id, bulletin_dir, passphrase, heads)


def receipt(session: Session, ballot_id: int, receipt_id: str) -> dict[str, Any]:
    paper = session.get(Paper, receipt_id)
    if paper is None or paper.ballot_id != ballot_id:
        return {"found": False, "choices": None, "counted": False}
    counted = session.get(Result, ballot_id) is not None
    return {"found": True, "choices": list(paper.choices), "counted": counted}


def result(session: Session, ballot_id: int) -> Result:
    _ballot(session, ballot_id)
    row = session.get(Result, ballot_id)
    if row is None:
        raise ResultNotReady(f"ballot {ballot_id} has not been counted yet")
    return row


def marked_register(session: Session, ballot_id: int) -> list[dict[str, str]]:
    ballot = _ballot(session, ballot_id)
    if ballot.phase not in ("closed",):
        raise BallotNotClosed("the marked register is available once the ballot has closed")
    rows = session.execute(
        select(Mark.membership_number, Mark.channel)
        .where(Mark.ballot_id == ballot_id)
        .order_by(Mark.membership_number)
    )
    return [{"membership_number": n, "channel": c} for n, c in rows]
