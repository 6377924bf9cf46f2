"""Joins, changes and lapses sent by other party systems (``member.joined`` / ``.updated`` / ``.lapsed``).

Guarantees, inside the handler's transaction:

- Every change is audited (``changes``): who, what, when, why and from which
  system, personal values as keyed hashes.
- An older update never overwrites a newer one: each member keeps the
  membership system's time of its last change, and an update or lapse stamped
  earlier is recorded as ignored (``member.update_ignored``).
- A new member joins every ballot whose roll is not yet frozen, counted in
  that ballot's ``events-ballot-<id>`` extract so conservation still holds,
  and is admitted like an extract row (``admission``).
- After a ballot's freeze, a change to a voter's contact details waits for a
  second person (``approvals``); other fields change at once.
- A lapse after the freeze changes nobody's vote (the roll is frozen); before
  it, the ledger records the ``lapsed`` fact (the member is excluded with the
  reason) and members who were enrolled are withdrawn (``voters.withdrawn``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rollcall.formats import CONTACT_FIELDS
from rollcall.messaging.outbox import emit
from services.registration import admission, approvals, ballots, changes, ledger_writer
from services.registration.ledger import ENROLLED
from services.registration.models import Ballot, Extract, Member


def _each_current_member(
    session: Session,
    payload: dict[str, Any],
    event: str,
    by: changes.Author,
    apply: Callable[[Member, Ballot], None],
) -> int:
    """Call ``apply`` for the member in each ballot unless the event is older than what we hold.

    Returns how many were stale (recorded as ignored, left as they are).
    """
    stale = 0
    for member in session.scalars(
        select(Member)
        .where(Member.membership_number == payload["membership_number"])
        .order_by(Member.ballot_id)
        .with_for_update()
    ):
        seen = member.source_changed_at
        if seen is not None and seen.tzinfo is None:
            seen = seen.replace(tzinfo=UTC)
        if seen is not None and payload["changed_at"] < seen:
            details = {
                "event": event,
                "changed_at": payload["changed_at"].isoformat(),
                "newer_seen": seen.isoformat(),
            }
            changes.note(
                session,
                by,
                "member.update_ignored",
                member.ballot_id,
                member.membership_number,
                details,
                "an older update never overwrites a newer one",
            )
            stale += 1
            continue
        member.source_changed_at = payload["changed_at"]
        ballot = session.get(Ballot, member.ballot_id)
        assert ballot is not None
        apply(member, ballot)
    return stale


def _author(payload: dict[str, Any], key: bytes, now: datetime | None) -> changes.Author:
    return changes.Author(
        actor=payload["actor"],
        source=payload["source"],
        reason=payload["reason"],
        key=key,
        now=now or datetime.now(UTC),
    )


def member_updated(
    session: Session, payload: dict[str, Any], key: bytes, now: datetime | None = None
) -> dict[str, int]:
    by = _author(payload, key, now)
    counts = {"applied": 0, "pending": 0}

    def apply(member: Member, ballot: Ballot) -> None:
        changed = {f: v for f, v in payload["changes"].items() if getattr(member, f) != v}
        frozen = ballots.frozen(ballot, by.now)
        held = {f: v for f, v in changed.items() if frozen and f in CONTACT_FIELDS}
        free = {f: v for f, v in changed.items() if f not in held}
        if free:
            changes.apply(session, member, free, by)
            counts["applied"] += 1
        if held:
            approvals.request_change(session, member, held, by)
            counts["pending"] += 1

    stale = _each_current_member(session, payload, "member.updated", by, apply)
    return {**counts, "stale": stale}


def member_lapsed(
    session: Session, payload: dict[str, Any], key: bytes, now: datetime | None = None
) -> dict[str, int]:
    by = _author(payload, key, now)
    lapsed_on = payload["lapsed_on"].isoformat()
    withdrawn: dict[int, list[str]] = {}
    excluded = 0

    def apply(member: Member, ballot: Ballot) -> None:
        nonlocal excluded
        number = member.membership_number
        if ballots.frozen(ballot, by.now):
            changes.note(
                session,
                by,
                "member.lapse_after_freeze",
                ballot.id,
                number,
                {"lapsed_on": lapsed_on},
                "the roll is frozen; the vote stands",
            )
            return
        lapse = replace(by, reason=by.reason or "membership lapsed")
        changes.audit_change(session, member, "member.updated", {"status": "lapsed"}, lapse)
        member.status = "lapsed"
        recorded = ledger_writer.record(
            session,
            ballot.id,
            [(number, "lapsed", f"excluded: membership lapsed on {lapsed_on}")],
            source=by.source,
            actor=by.actor,
            now=by.now,
        )
        if recorded.moved_from.get(number) in ENROLLED:
            withdrawn.setdefault(ballot.id, []).append(number)
        excluded += len(recorded.moved)

    _each_current_member(session, payload, "member.lapsed", by, apply)
    for ballot_id, numbers in withdrawn.items():
        emit(
            session,
            "voters.withdrawn",
            {"ballot_id": ballot_id, "membership_numbers": numbers, "reason": "membership lapsed"},
            correlation_id=ballot_id,
        )
    return {"excluded": excluded}


def member_joined(
    session: Session, payload: dict[str, Any], key: bytes, now: datetime | None = None
) -> dict[str, int]:
    """Add the new member to every ballot whose roll is not yet frozen."""
    by = _author(payload, key, now)
    fields = {**payload["member"], "membership_number": payload["membership_number"]}
    number = fields["membership_number"]
    added = 0
    for ballot in session.scalars(
        select(Ballot).where(Ballot.phase.in_(["draft", "open"])).with_for_update()
    ):
        if ballots.frozen(ballot, by.now) or session.scalar(
            select(Member.id).where(
                Member.ballot_id == ballot.id, Member.membership_number == number
            )
        ):
            continue
        extract = _events_extract(session, ballot, by.now)
        extract.received_rows += 1
        extract.declared_rows = (extract.declared_rows or 0) + 1
        extract.accepted += 1
        changes.note(
            session,
            by,
            "member.joined",
            ballot.id,
            number,
            {"association": fields["association"]},
            by.reason,
        )
        admission.admit(
            session,
            ballot,
            extract.id,
            extract.received_rows,
            [(extract.received_rows, fields)],
            freeze=None,
            now=by.now,
            changed_at=payload["changed_at"],
        )
        added += 1
    return {"added": added}


def _events_extract(session: Session, ballot: Ballot, now: datetime) -> Extract:
    """Members who join by event are counted in an extract of their own, so conservation still holds."""
    extract_id = f"events-ballot-{ballot.id}"
    extract = session.get(Extract, extract_id, with_for_update=True)
    if extract is None:
        extract = Extract(
            id=extract_id,
            ballot_id=ballot.id,
            source="member.joined events",
            file_name="",
            header=[],
            declared_rows=0,
            sha256="",
            status="complete",
            refusal="",
            received_rows=0,
            accepted=0,
            rejected=0,
            duplicates=0,
            created_at=now,
            finished_at=now,
        )
        session.add(extract)
        session.flush()
    return extract
