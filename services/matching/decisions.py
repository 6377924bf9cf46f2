"""Deciding a chunk of members and keeping the review queue, in the caller's transaction.

``decide_chunk`` runs the same matcher as ``rollcall match`` over the
database-backed candidate source, applies the ballot's area (a member matched
to an elector outside it is excluded, with the ward named), enforces one
member to one elector across chunks (a match to an elector already matched to
someone else becomes a review naming the holder), stores every decision with
its evidence, opens a review for each uncertain one, and emits
``members.matched``, ``members.review_needed`` and ``members.unmatched``.

``decide_review`` records an officer's choice, audited, and emits exactly the
event an automatic decision would have.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from rollcall import audit, metrics
from rollcall.messaging.outbox import emit
from services.matching.errors import ReviewClosed, ReviewNotFound, UnknownCandidate
from services.matching.matcher.candidates import CandidateSource
from services.matching.matcher.deciding import (
    MATCH,
    NO_MATCH,
    REVIEW,
    Decision,
    match_members,
)
from services.matching.matcher.records import Member
from services.matching.models import MatchDecision, Review, TestBallot

EVENTS = {MATCH: "members.matched", REVIEW: "members.review_needed", NO_MATCH: "members.unmatched"}


class OnSession:
    """Lends a session's connection to code that asks an engine for one.

    The database-backed candidate source reads with ``engine.connect()``;
    given this instead, its reads run on the handler's own connection and
    transaction, so a chunk needs one connection (SQLite's pool has one).
    """

    def __init__(self, session: Session) -> None:
        self.session = session

    @contextlib.contextmanager
    def connect(self) -> Iterator[Connection]:
        yield self.session.connection()


def _eligibility(decision: Decision, area: Sequence[str]) -> tuple[bool, str | None]:
    if decision.decision != MATCH:
        return False, None
    if decision.ward in area:
        return True, None
    return False, f"registered to vote in ward {decision.ward}, outside this ballot's area"


def record_ballot(session: Session, ballot_id: int, test: bool) -> None:
    """Keep whether a new ballot (``ballot.created``) is a test ballot."""
    if test and session.get(TestBallot, ballot_id) is None:
        session.add(TestBallot(ballot_id=ballot_id))


def is_test(session: Session, ballot_id: int) -> bool:
    """Whether the ballot is a test ballot: its decisions are counted apart from real ballots'."""
    return session.get(TestBallot, ballot_id) is not None


def _holders(session: Session, ballot_id: int, decisions: list[Decision]) -> dict[str, str]:
    wanted = [d.elector_id for d in decisions if d.decision == MATCH and d.elector_id]
    if not wanted:
        return {}
    rows = session.execute(
        select(MatchDecision.elector_id, MatchDecision.membership_number).where(
            MatchDecision.ballot_id == ballot_id,
            MatchDecision.decision == MATCH,
            MatchDecision.elector_id.in_(wanted),
        )
    )
    return {e: m for e, m in rows}


def _wire(d: MatchDecision, review_id: int | None = None) -> dict[str, Any]:
    return {
        "membership_number": d.membership_number,
        "decision": d.decision,
        "elector_id": d.elector_id,
        "score": round(float(d.score), 6),
        "reasons": d.reasons,
        "ward": d.ward,
        "eligible": d.is_eligible,
        "exclusion": d.exclusion,
        "review_id": review_id,
    }


def _existing(session: Session, ballot_id: int, numbers: Sequence[str]) -> dict[str, MatchDecision]:
    """The decisions already stored for these members, locked for update: one query a chunk."""
    if not numbers:
        return {}
    rows = session.scalars(
        select(MatchDecision)
        .where(
            MatchDecision.ballot_id == ballot_id,
            MatchDecision.membership_number.in_(sorted(set(numbers))),
        )
        .with_for_update()
    )
    return {row.membership_number: row for row in rows}


def _store(
    session: Session,
    ballot_id: int,
    association: str,
    d: Decision,
    area: Sequence[str],
    actor: str,
    now: datetime,
    existing: dict[str, MatchDecision] | None = None,
    new: list[MatchDecision] | None = None,
    test: bool | None = None,
) -> MatchDecision:
    """Store ``d`` as the member's decision. ``existing``: the chunk's stored decisions
    (``_existing``), kept up to date here; without it, the member's row is read alone.
    ``new``: where a new decision goes, for ``_insert`` to write with the chunk's others
    (else it is added to the session). ``test``: whether the ballot is a test ballot, if the
    caller knows (else it is read)."""
    eligible, exclusion = _eligibility(d, area)
    if existing is None:
        existing = _existing(session, ballot_id, [d.membership_number])
    row = existing.get(d.membership_number)
    if row is None:
        row = MatchDecision(ballot_id=ballot_id, membership_number=d.membership_number)
        if new is None:
            session.add(row)
        else:
            new.append(row)
        existing[d.membership_number] = row
    row.association = association
    row.decision, row.elector_id, row.score = d.decision, d.elector_id, d.score
    row.reasons, row.evidence, row.ward = d.reasons, dict(d.evidence), d.ward
    row.is_eligible, row.exclusion = eligible, exclusion
    row.decided_by, row.decided_at = actor, now
    if test is None:
        test = is_test(session, ballot_id)
    metrics.count(metrics.MATCH_DECISIONS, d.decision, test=test)
    return row


def _insert(session: Session, rows: list[MatchDecision]) -> None:
    """Write new decisions in one executemany of one INSERT: the ORM would insert them in
    dozens of statements on SQLite (it reads each new id back, and groups rows by the
    columns they set). Nothing reads these ids: events name a member by number."""
    if not rows:
        return
    table = MatchDecision.__table__
    columns = [c.name for c in table.columns if c.name != "id"]
    session.connection().execute(
        table.insert(), [{name: getattr(row, name) for name in columns} for row in rows]
    )


def _emit(session: Session, ballot_id: int, items: list[tuple[MatchDecision, int | None]]) -> None:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row, review_id in items:
        grouped.setdefault(EVENTS[row.decision], []).append(_wire(row, review_id))
    for event, decisions in grouped.items():
        emit(
            session,
            event,
            {"ballot_id": ballot_id, "decisions": decisions},
            correlation_id=ballot_id,
        )


def decide_chunk(
    session: Session,
    source: CandidateSource,
    *,
    ballot_id: int,
    area: Sequence[str],
    members: list[dict[str, Any]],
    now: datetime | None = None,
) -> dict[str, int]:
    now = now or datetime.now(UTC)
    parsed = [Member.from_row(m) for m in members]
    by_number = {m["membership_number"]: m for m in members}
    decisions = match_members(parsed, source)
    holders = _holders(session, ballot_id, decisions)
    # One read of the chunk's stored decisions and of its open reviews, one flush at the
    # end: not a query (and an autoflush) a member.
    existing = _existing(session, ballot_id, [d.membership_number for d in decisions])
    test = is_test(session, ballot_id)
    stored: list[tuple[MatchDecision, Review | None]] = []
    new: list[MatchDecision] = []
    counts = {MATCH: 0, REVIEW: 0, NO_MATCH: 0}
    for d in decisions:
        holder = holders.get(d.elector_id or "")
        if d.decision == MATCH and holder and holder != d.membership_number:
            d = replace(
                d,
                decision=REVIEW,
                reasons=f"{d.reasons}; but this elector is already matched to member {holder}",
                candidates=d.candidates
                or ({"elector_id": d.elector_id, "ward": d.ward, "reasons": d.reasons},),
            )
        member = by_number[d.membership_number]
        row = _store(
            session,
            ballot_id,
            member.get("association", ""),
            d,
            area,
            "matcher",
            now,
            existing,
            new,
            test,
        )
        stored.append(
            (row, _review(ballot_id, member, area, d, now) if d.decision == REVIEW else None)
        )
        counts[d.decision] += 1
    session.flush()  # the updates first, as the ORM orders them
    _insert(session, new)
    _supersede(session, ballot_id, [review for _, review in stored if review is not None])
    session.flush()
    _emit(session, ballot_id, [(row, review.id if review else None) for row, review in stored])
    return counts


def _review(
    ballot_id: int, member: dict[str, Any], area: Sequence[str], d: Decision, now: datetime
) -> Review:
    return Review(
        ballot_id=ballot_id,
        membership_number=d.membership_number,
        association=member.get("association", ""),
        member=dict(member),
        area=list(area),
        candidates=[dict(c) for c in d.candidates],
        reasons=d.reasons,
        status="open",
        created_at=now,
    )


def _supersede(session: Session, ballot_id: int, reviews: list[Review]) -> None:
    """Open ``reviews`` (not yet added), each superseding its member's open review: one
    query for the chunk."""
    if not reviews:
        return
    numbers = sorted({r.membership_number for r in reviews})
    for old in session.scalars(
        select(Review).where(
            Review.ballot_id == ballot_id,
            Review.membership_number.in_(numbers),
            Review.status == "open",
        )
    ):
        old.status = "superseded"
    session.add_all(reviews)


def review_view(review: Review) -> dict[str, Any]:
    return {
        "review_id": review.id,
        "ballot_id": review.ballot_id,
        "membership_number": review.membership_number,
        "association": review.association,
        "member": review.member,
        "candidates": review.candidates,
        "reasons": review.reasons,
        "status": review.status,
        "decided_by": review.decided_by,
        "decision_reason": review.decision_reason,
    }


def list_reviews(
    session: Session, ballot_id: int, association: str | None, status: str = "open"
) -> list[dict[str, Any]]:
    query = select(Review).where(Review.ballot_id == ballot_id, Review.status == status)
    if association:
        query = query.where(Review.association == association)
    return [review_view(r) for r in session.scalars(query.order_by(Review.id))]


def get_review(session: Session, review_id: int, *, lock: bool = False) -> Review:
    review = session.get(Review, review_id, with_for_update=lock)
    if review is None:
        raise ReviewNotFound(f"review {review_id} does not exist")
    return review


def decide_review(
    session: Session,
    review_id: int,
    elector_id: str | None,
    actor: str,
    reason: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Accept one candidate (``elector_id``) or reject them all (None)."""
    now = now or datetime.now(UTC)
    review = get_review(session, review_id, lock=True)
    if review.status != "open":
        raise ReviewClosed(f"review {review_id} is already {review.status}")
    if elector_id is not None:
        chosen = next((c for c in review.candidates if c.get("elector_id") == elector_id), None)
        if chosen is None:
            raise UnknownCandidate(f"elector {elector_id} is not one of this review's candidates")
        decision = Decision(
            membership_number=review.membership_number,
            decision=MATCH,
            elector_id=elector_id,
            score=float(chosen.get("score", 1.0) or 1.0),
            reasons=f"confirmed by {actor}: {reason}" if reason else f"confirmed by {actor}",
            evidence={"review_id": review.id, "candidate": chosen},
            ward=chosen.get("ward"),
        )
        holders = _holders(session, review.ballot_id, [decision])
        holder = holders.get(elector_id)
        if holder and holder != review.membership_number:
            raise UnknownCandidate(f"elector {elector_id} is already matched to member {holder}")
    else:
        decision = Decision(
            membership_number=review.membership_number,
            decision=NO_MATCH,
            elector_id=None,
            score=0.0,
            reasons=f"none of the candidates is this member, decided by {actor}"
            + (f": {reason}" if reason else ""),
            evidence={"review_id": review.id},
        )
    row = _store(session, review.ballot_id, review.association, decision, review.area, actor, now)
    review.status = "accepted" if elector_id else "rejected"
    review.decided_by, review.decision_reason, review.decided_at = actor, reason, now
    audit.append(
        session,
        actor=actor,
        source="gateway",
        action="review.decided",
        subject=f"ballot:{review.ballot_id}/member:{review.membership_number}",
        details={"review_id": review.id, "elector_id": elector_id, "decision": decision.decision},
        reason=reason,
        at=now,
    )
    session.flush()
    _emit(session, review.ballot_id, [(row, review.id)])
    return review_view(review)
