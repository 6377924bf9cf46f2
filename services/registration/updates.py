"""Changes to member data from other party systems and officers.

Guarantees:

- Every change is appended to the audit log with who, what, when, why and
  from which system; personal values (contact details, names) are recorded
  as keyed hashes, never in clear.
- An older update never overwrites a newer one: each member keeps the
  membership system's time of its last change, and an update stamped earlier
  is recorded as ignored.
- After a ballot's freeze, a change to a voter's email, postal address or
  phone only waits (``pending_changes``) until a second, different person
  approves it; the old details stand meanwhile. When it takes effect,
  ``voters.contact_changed`` tells the member at the old and the new contact
  and, if they already had a code, has a new one issued after the ballot's
  cooling-off period.
- A lapse after the freeze changes nobody's vote (the roll is frozen); before
  it, the member is excluded with the reason and, if enrolled, withdrawn.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rollcall import audit, metrics
from rollcall.messaging.contracts import CONTACT_FIELDS
from rollcall.messaging.outbox import emit
from services.registration import eligibility, ledger
from services.registration.errors import ChangeNotFound, SamePerson
from services.registration.models import Ballot, Extract, LedgerEntry, Member, PendingChange

PERSONAL = {
    "first_name",
    "last_name",
    "date_of_birth",
    "phone",
    "email",
    "address_1",
    "address_2",
    "address_3",
    "town",
    "postcode",
    "payment_reference",
}
CORRECTABLE = (
    "title",
    "first_name",
    "last_name",
    "address_1",
    "address_2",
    "address_3",
    "town",
    "postcode",
    "email",
    "phone",
)
HOLDS_CODE = ("code_emailed", "letter_queued", "mail_failed")


def frozen(ballot: Ballot, now: datetime) -> bool:
    freeze = ballot.timetable.get("freeze_at")
    return bool(freeze) and now >= datetime.fromisoformat(freeze)


def _shown(field: str, value: str, key: bytes) -> str:
    return audit.personal(value, key) if field in PERSONAL and value else value


def _contact(member: Member) -> dict[str, Any]:
    return {
        "email": member.email,
        "address": [
            a for a in (member.address_1, member.address_2, member.address_3, member.town) if a
        ],
        "postcode": member.postcode,
        "phone": member.phone,
    }


def _audit_change(
    session: Session,
    member: Member,
    action: str,
    changes: dict[str, str],
    *,
    actor: str,
    source: str,
    reason: str,
    key: bytes,
    now: datetime,
) -> None:
    audit.append(
        session,
        actor=actor,
        source=source,
        action=action,
        subject=f"ballot:{member.ballot_id}/member:{member.membership_number}",
        details={
            f: {"old": _shown(f, getattr(member, f), key), "new": _shown(f, v, key)}
            for f, v in sorted(changes.items())
        },
        reason=reason,
        at=now,
    )


def _apply(
    session: Session,
    member: Member,
    changes: dict[str, str],
    *,
    actor: str,
    source: str,
    reason: str,
    key: bytes,
    now: datetime,
) -> None:
    """Make the change, audit it, and tell the member if their contact moved."""
    entry = session.get(LedgerEntry, (member.ballot_id, member.membership_number))
    old = _contact(member)
    _audit_change(
        session,
        member,
        "member.updated",
        changes,
        actor=actor,
        source=source,
        reason=reason,
        key=key,
        now=now,
    )
    for field, value in changes.items():
        setattr(member, field, value)
    touched = sorted(f for f in changes if f in CONTACT_FIELDS)
    if not touched:
        return
    metrics.CONTACT_CHANGES.labels(member.association, actor).inc()
    holds_code = entry is not None and entry.state in HOLDS_CODE
    name = " ".join(p for p in (member.title, member.first_name, member.last_name) if p)
    emit(
        session,
        "voters.contact_changed",
        {
            "ballot_id": member.ballot_id,
            "membership_number": member.membership_number,
            "name": name,
            "old": old,
            "new": _contact(member),
            "fields_changed": touched,
            "reissue": holds_code,
            "voter": {
                "membership_number": member.membership_number,
                "name": name,
                "email": member.email,
                "address": _contact(member)["address"],
                "postcode": member.postcode,
            }
            if holds_code
            else None,
        },
        correlation_id=member.ballot_id,
    )


def _members(session: Session, number: str) -> list[Member]:
    return list(
        session.scalars(
            select(Member)
            .where(Member.membership_number == number)
            .order_by(Member.ballot_id)
            .with_for_update()
        )
    )


def _is_stale(
    session: Session,
    member: Member,
    changed_at: datetime,
    event: str,
    *,
    actor: str,
    source: str,
    key: bytes,
    now: datetime,
) -> bool:
    seen = member.source_changed_at
    if seen is not None and seen.tzinfo is None:
        seen = seen.replace(tzinfo=UTC)
    if seen is not None and changed_at < seen:
        audit.append(
            session,
            actor=actor,
            source=source,
            action="member.update_ignored",
            subject=f"ballot:{member.ballot_id}/member:{member.membership_number}",
            details={
                "event": event,
                "changed_at": changed_at.isoformat(),
                "newer_seen": seen.isoformat(),
            },
            reason="an older update never overwrites a newer one",
            at=now,
        )
        return True
    member.source_changed_at = changed_at
    return False


def member_updated(
    session: Session, payload: dict[str, Any], key: bytes, now: datetime | None = None
) -> dict[str, int]:
    now = now or datetime.now(UTC)
    applied = pending = stale = 0
    for member in _members(session, payload["membership_number"]):
        if _is_stale(
            session,
            member,
            payload["changed_at"],
            "member.updated",
            actor=payload["actor"],
            source=payload["source"],
            key=key,
            now=now,
        ):
            stale += 1
            continue
        ballot = session.get(Ballot, member.ballot_id)
        assert ballot is not None
        changes = {f: v for f, v in payload["changes"].items() if getattr(member, f) != v}
        held = (
            {f: v for f, v in changes.items() if f in CONTACT_FIELDS} if frozen(ballot, now) else {}
        )
        free = {f: v for f, v in changes.items() if f not in held}
        if free:
            _apply(
                session,
                member,
                free,
                actor=payload["actor"],
                source=payload["source"],
                reason=payload["reason"],
                key=key,
                now=now,
            )
            applied += 1
        if held:
            request_change(
                session,
                member,
                held,
                requested_by=payload["actor"],
                source=payload["source"],
                reason=payload["reason"],
                key=key,
                now=now,
            )
            pending += 1
    return {"applied": applied, "pending": pending, "stale": stale}


def request_change(
    session: Session,
    member: Member,
    changes: dict[str, str],
    *,
    requested_by: str,
    source: str,
    reason: str,
    key: bytes,
    now: datetime,
) -> PendingChange:
    change = PendingChange(
        ballot_id=member.ballot_id,
        membership_number=member.membership_number,
        changes=changes,
        requested_by=requested_by,
        source=source,
        reason=reason,
        status="pending",
        requested_at=now,
    )
    session.add(change)
    session.flush()
    _audit_change(
        session,
        member,
        "member.change_requested",
        changes,
        actor=requested_by,
        source=source,
        reason=f"change {change.id} waits for a second person: {reason}",
        key=key,
        now=now,
    )
    metrics.CONTACT_CHANGES.labels(member.association, requested_by).inc()
    return change


def decide_change(
    session: Session,
    change_id: int,
    approver: str,
    approve: bool,
    key: bytes,
    reason: str = "",
    now: datetime | None = None,
) -> dict[str, Any] | SamePerson:
    now = now or datetime.now(UTC)
    change = session.get(PendingChange, change_id, with_for_update=True)
    if change is None or change.status != "pending":
        raise ChangeNotFound(f"no pending change {change_id}")
    subject = f"ballot:{change.ballot_id}/member:{change.membership_number}"
    if approver == change.requested_by:
        audit.append(
            session,
            actor=approver,
            source="gateway",
            action="member.change_refused",
            subject=subject,
            details={"change_id": change_id},
            reason="the person who asked for a change cannot approve it",
            at=now,
        )
        # Returned, not raised, so that the refusal's audit entry commits.
        return SamePerson("a second, different person must approve this change")
    member = session.scalar(
        select(Member)
        .where(
            Member.ballot_id == change.ballot_id,
            Member.membership_number == change.membership_number,
        )
        .with_for_update()
    )
    assert member is not None
    change.status, change.decided_by, change.decided_at = (
        ("approved" if approve else "refused"),
        approver,
        now,
    )
    if approve:
        _apply(
            session,
            member,
            dict(change.changes),
            actor=f"{change.requested_by}+{approver}",
            source=change.source,
            reason=f"change {change_id} approved by {approver}: {reason or change.reason}",
            key=key,
            now=now,
        )
    else:
        audit.append(
            session,
            actor=approver,
            source="gateway",
            action="member.change_rejected",
            subject=subject,
            details={"change_id": change_id},
            reason=reason,
            at=now,
        )
    return {"change_id": change_id, "status": change.status}


def list_changes(session: Session, ballot_id: int, status: str = "pending") -> list[dict[str, Any]]:
    rows = session.scalars(
        select(PendingChange)
        .where(PendingChange.ballot_id == ballot_id, PendingChange.status == status)
        .order_by(PendingChange.id)
    )
    return [
        {
            "change_id": c.id,
            "membership_number": c.membership_number,
            "fields": sorted(c.changes),
            "requested_by": c.requested_by,
            "source": c.source,
            "reason": c.reason,
            "status": c.status,
        }
        for c in rows
    ]


def member_lapsed(
    session: Session, payload: dict[str, Any], key: bytes, now: datetime | None = None
) -> dict[str, int]:
    now = now or datetime.now(UTC)
    withdrawn: dict[int, list[str]] = {}
    excluded = 0
    for member in _members(session, payload["membership_number"]):
        if _is_stale(
            session,
            member,
            payload["changed_at"],
            "member.lapsed",
            actor=payload["actor"],
            source=payload["source"],
            key=key,
            now=now,
        ):
            continue
        ballot = session.get(Ballot, member.ballot_id)
        assert ballot is not None
        if frozen(ballot, now):
            audit.append(
                session,
                actor=payload["actor"],
                source=payload["source"],
                action="member.lapse_after_freeze",
                subject=f"ballot:{member.ballot_id}/member:{member.membership_number}",
                details={"lapsed_on": payload["lapsed_on"].isoformat()},
                reason="the roll is frozen; the vote stands",
                at=now,
            )
            continue
        _audit_change(
            session,
            member,
            "member.updated",
            {"status": "lapsed"},
            actor=payload["actor"],
            source=payload["source"],
            reason=payload["reason"] or "membership lapsed",
            key=key,
            now=now,
        )
        member.status = "lapsed"
        entry = session.get(
            LedgerEntry, (member.ballot_id, member.membership_number), with_for_update=True
        )
        if entry is None or entry.state in ("voted", "excluded"):
            continue
        if entry.state in ("awaiting_code", *HOLDS_CODE):
            withdrawn.setdefault(member.ballot_id, []).append(member.membership_number)
        entry.state, entry.reason, entry.updated_at = (
            "excluded",
            f"excluded: membership lapsed on {payload['lapsed_on'].isoformat()}",
            now,
        )
        excluded += 1
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
    now = now or datetime.now(UTC)
    data = dict(payload["member"])
    data["membership_number"] = payload["membership_number"]
    added = 0
    for ballot in session.scalars(
        select(Ballot).where(Ballot.phase.in_(["draft", "open"])).with_for_update()
    ):
        if frozen(ballot, now):
            continue
        if session.scalar(
            select(Member.id).where(
                Member.ballot_id == ballot.id, Member.membership_number == data["membership_number"]
            )
        ):
            continue
        extract = _events_extract(session, ballot, now)
        extract.received_rows += 1
        extract.declared_rows = (extract.declared_rows or 0) + 1
        extract.accepted += 1
        member = Member(
            ballot_id=ballot.id,
            extract_id=extract.id,
            line_no=extract.received_rows,
            source_changed_at=payload["changed_at"],
            **data,
        )
        session.add(member)
        why = eligibility.reasons(data, ballot.eligibility, None)
        session.add(
            LedgerEntry(
                ballot_id=ballot.id,
                membership_number=data["membership_number"],
                association=data["association"],
                state="excluded" if why else "awaiting_match",
                reason=f"excluded: {'; '.join(why)}" if why else ledger.STATES["awaiting_match"],
                updated_at=now,
            )
        )
        audit.append(
            session,
            actor=payload["actor"],
            source=payload["source"],
            action="member.joined",
            subject=f"ballot:{ballot.id}/member:{data['membership_number']}",
            details={"association": data["association"]},
            reason=payload["reason"],
            at=now,
        )
        if not why:
            from services.registration.extracts import MATCH_FIELDS

            emit(
                session,
                "members.registered",
                {
                    "ballot_id": ballot.id,
                    "extract_id": extract.id,
                    "chunk": extract.received_rows,
                    "area": list(ballot.area),
                    "members": [{f: data.get(f, "") for f in MATCH_FIELDS}],
                },
                correlation_id=extract.id,
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
