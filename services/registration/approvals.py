"""Changes that need two people: a contact change after the freeze, and resuming a paused ballot.

Guarantees, inside the caller's transaction:

- ``request_change`` keeps a contact change waiting (``pending_changes``),
  audited as requested; the old details stand meanwhile.
- ``decide_change`` applies or rejects it. The person who asked can never
  approve: ``second_person_refusal`` audits the attempt and returns (does not
  raise) ``SamePerson``, so the refusal's audit entry commits; the service
  raises it after the commit.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rollcall import audit, metrics
from services.registration import ballots, changes
from services.registration.errors import ChangeNotFound, SamePerson
from services.registration.models import Member, PendingChange


def second_person_refusal(
    session: Session,
    *,
    approver: str,
    requester: str,
    action: str,
    subject: str,
    details: dict[str, Any],
    source: str,
    asked: str,
    what: str,
    now: datetime,
) -> SamePerson | None:
    """The refusal (audited as ``action``) if ``approver`` asked for the change themselves.

    ``asked`` and ``what`` name the change in the audit reason ("the person who
    asked to resume ...") and in the refusal ("... must approve resuming the ballot").
    """
    if approver != requester:
        return None
    audit.append(
        session,
        actor=approver,
        source=source,
        action=action,
        subject=subject,
        details=details,
        reason=f"the person who asked {asked} cannot approve it",
        at=now,
    )
    return SamePerson(f"a second, different person must approve {what}")


def request_change(
    session: Session, member: Member, fields: dict[str, str], by: changes.Author
) -> PendingChange:
    """Keep ``fields`` waiting for a second person's approval; the old values stand meanwhile."""
    change = PendingChange(
        ballot_id=member.ballot_id,
        membership_number=member.membership_number,
        changes=fields,
        requested_by=by.actor,
        source=by.source,
        reason=by.reason,
        status="pending",
        requested_at=by.now,
    )
    session.add(change)
    session.flush()
    waiting = f"change {change.id} waits for a second person: {by.reason}"
    changes.audit_change(
        session, member, "member.change_requested", fields, replace(by, reason=waiting)
    )
    test = ballots.is_test_ballot(session, member.ballot_id)
    metrics.count(metrics.CONTACT_CHANGES, member.association, by.actor, test=test)
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
    refusal = second_person_refusal(
        session,
        approver=approver,
        requester=change.requested_by,
        action="member.change_refused",
        subject=subject,
        details={"change_id": change_id},
        source="gateway",
        asked="for a change",
        what="this change",
        now=now,
    )
    if refusal is not None:
        return refusal
    member = session.scalar(
        select(Member)
        .where(
            Member.ballot_id == change.ballot_id,
            Member.membership_number == change.membership_number,
        )
        .with_for_update()
    )
    assert member is not None
    change.status = "approved" if approve else "refused"
    change.decided_by, change.decided_at = approver, now
    if approve:
        approved = changes.Author(
            actor=f"{change.requested_by}+{approver}",
            source=change.source,
            reason=f"change {change_id} approved by {approver}: {reason or change.reason}",
            key=key,
            now=now,
        )
        changes.apply(session, member, dict(change.changes), approved)
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
