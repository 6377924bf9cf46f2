"""When a ballot's personal data falls due, and registration's part of erasing it.

Registration owns ballots and complaints, so it alone decides a ballot is due
(``rollcall.retention.due_at``: ``retention_days`` after the result, held while a
complaint is open). ``erase`` refuses, with the reasons, a ballot that is not due,
unless forced with a reason (audited with what it overrode); nothing overrides a
ballot without a result or with a complaint still open. When it goes ahead it
pseudonymises, in one transaction:

- members: every personal field blanked (names, address, postcode, email, phone, date
  of birth, the payment reference); the membership number, association, status and the
  ledger state stay, so the counts and the conservation equation still hold;
- the ledger's reasons: what they quote of a person (a match's words quote names,
  addresses and postcodes; a mail failure may quote the address) is scrubbed
  (``rollcall.retention.scrub``), through the ledger's one writer, states untouched;
- dropped extract rows: the row as received, its extra columns and raw text;
- pending contact changes: what they would have changed, and what their reasons and
  replacement requests' reasons quote of the member;
- complaints: subject, outcome and evidence text (the audit log holds keyed hashes);
- the published events about the ballot in its outbox;

then appends its erasure record and announces ``ballot.erasure_due`` so that every
other service erases its own part. Erasing an erased ballot again changes nothing here
and announces it again, for any service that has not erased its part (it was down, or
its database was restored from a backup); services that have ignore it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from rollcall import audit, retention
from rollcall.messaging.outbox import emit
from services.registration import ballots, ledger_writer
from services.registration.errors import PhaseError
from services.registration.models import (
    Ballot,
    Complaint,
    DroppedRow,
    Evidence,
    Member,
    PendingChange,
    Replacement,
)

#: Member columns that hold personal data: blanked on erasure.
PERSONAL_MEMBER_FIELDS = (
    "title", "first_name", "last_name", "address_1", "address_2", "address_3", "town",
    "postcode", "email", "phone", "date_of_birth", "payment_reference",
)  # fmt: skip
#: Member columns quoted, as given, in ledger reasons (a match's words): scrubbed from them.
QUOTED_MEMBER_FIELDS = (
    "first_name", "last_name", "address_1", "address_2", "address_3", "postcode", "email", "phone",
)  # fmt: skip
ERASED_TEXT = retention.ERASED_TEXT


def counted_at(session: Session, ballot_id: int) -> datetime | None:
    """When the ballot's result was recorded (its ``ballot.counted`` audit entry)."""
    table = audit.audit_table(Ballot.metadata)
    at = session.execute(
        select(table.c.at)
        .where(table.c.action == "ballot.counted", table.c.subject == f"ballot:{ballot_id}")
        .order_by(table.c.seq)
        .limit(1)
    ).scalar_one_or_none()
    return datetime.fromisoformat(at) if at else None


def _due(session: Session, ballot: Ballot, days: int, now: datetime) -> retention.Due:
    complaints = [
        retention.Complaint(c.status, c.updated_at)
        for c in session.scalars(select(Complaint).where(Complaint.ballot_id == ballot.id))
    ]
    return retention.due_at(counted_at(session, ballot.id), complaints, days, now)


def holdings(session: Session, ballot_id: int) -> dict[str, int]:
    """How many rows of the ballot's personal data registration holds, by kind."""
    named = (Member.first_name != "") | (Member.last_name != "") | (Member.email != "")
    named = named | (Member.postcode != "") | (Member.address_1 != "")
    return {
        "members": _count(session, Member, Member.ballot_id == ballot_id, named),
        "dropped_rows": _count(
            session, DroppedRow, DroppedRow.ballot_id == ballot_id, DroppedRow.raw != ""
        ),
    }


def _count(session: Session, model: Any, *where: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def view(session: Session, ballot: Ballot, days: int, now: datetime) -> dict[str, Any]:
    """One ballot's retention: its date, what holds it, whether it was erased, what is held."""
    due = _due(session, ballot, days, now)
    erased = retention.erasure(session, ballot.id)
    return {
        "ballot_id": ballot.id,
        "title": ballot.title,
        "phase": ballot.phase,
        "counted_at": _iso(counted_at(session, ballot.id)),
        "retention_date": _iso(due.due_at),
        "is_due": erased is None and not due.holds,
        "held_because": list(due.holds),
        "erased_at": erased["at"] if erased else None,
        "holds": retention.state(session, "registration", ballot.id, holdings)["holds"],
    }


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def listing(session: Session, days: int, now: datetime | None = None) -> list[dict[str, Any]]:
    """Every ballot's retention, oldest first."""
    now = now or datetime.now(UTC)
    return [
        view(session, b, days, now) for b in session.scalars(select(Ballot).order_by(Ballot.id))
    ]


def erase(
    session: Session,
    ballot_id: int,
    *,
    actor: str,
    reason: str,
    days: int,
    force: bool = False,
    dry_run: bool = False,
    now: datetime | None = None,
) -> dict[str, Any] | PhaseError:
    """Erase registration's part of the ballot's personal data and announce it (module doc).

    Returns what was (or, with ``dry_run``, would be) erased; a refusal is audited and
    returned, for the caller to raise after the commit.
    """
    now = now or datetime.now(UTC)
    ballot = ballots.get(session, ballot_id, lock=True)
    done = retention.erasure(session, ballot_id)
    if done is not None:
        if not dry_run:  # again, for a service that has not erased (stopped, or restored)
            _announce(session, ballot_id, actor, reason)
        return {"ballot_id": ballot_id, "already_erased_at": done["at"], "erased": done["erased"]}
    due = _due(session, ballot, days, now)
    if due.due_at is None:
        return _refuse(session, ballot_id, list(due.holds), actor, reason, now, "never forced")
    if due.holds and not (force and reason.strip()):
        how = (
            "or force it with --force --reason" if not force else "a forced erasure needs a reason"
        )
        return _refuse(session, ballot_id, list(due.holds), actor, reason, now, how)
    if dry_run:
        would = retention.state(session, "registration", ballot_id, holdings)["holds"]
        return {"ballot_id": ballot_id, "dry_run": True, "would_erase": would}
    erased = _erase_rows(session, ballot_id)
    erased["outbox_events"] = retention.erase_outbox(session, ballot_id)
    done = retention.record(
        session,
        service="registration",
        ballot_id=ballot_id,
        erased=erased,
        actor=actor,
        reason=reason + (f" (forced over: {'; '.join(due.holds)})" if due.holds else ""),
        now=now,
    )
    _announce(session, ballot_id, actor, reason)
    return done


def _announce(session: Session, ballot_id: int, actor: str, reason: str) -> None:
    emit(
        session,
        retention.ERASURE_DUE,
        {"ballot_id": ballot_id, "actor": actor, "reason": reason},
        correlation_id=ballot_id,
    )


def _refuse(
    session: Session,
    ballot_id: int,
    problems: list[str],
    actor: str,
    reason: str,
    now: datetime,
    how: str,
) -> PhaseError:
    audit.append(
        session,
        actor=actor,
        source="registration",
        action="retention.erase_refused",
        subject=f"ballot:{ballot_id}",
        details={"problems": problems},
        reason=reason,
        at=now,
    )
    return PhaseError(f"cannot erase ballot {ballot_id} yet: {'; '.join(problems)} ({how})")


def _erase_rows(session: Session, ballot_id: int) -> dict[str, int]:
    quoted = {
        m.membership_number: [getattr(m, f) for f in QUOTED_MEMBER_FIELDS]
        for m in session.scalars(select(Member).where(Member.ballot_id == ballot_id))
    }
    reasons = ledger_writer.rewrite_reasons(
        session, ballot_id, lambda number, reason: retention.scrub(reason, quoted.get(number, ()))
    )
    members = retention.changed(
        session.execute(
            update(Member)
            .where(Member.ballot_id == ballot_id)
            .values({name: "" for name in PERSONAL_MEMBER_FIELDS})
        )
    )
    dropped = 0
    for row in session.scalars(select(DroppedRow).where(DroppedRow.ballot_id == ballot_id)):
        given = [str(v) for v in (row.row or {}).values()]
        row.reasons = [retention.scrub(str(r), given) for r in row.reasons or []]
        row.row, row.extra, row.raw, row.association_as_given = {}, {}, "", ""
        dropped += 1
    changes = 0
    for change in session.scalars(
        select(PendingChange).where(PendingChange.ballot_id == ballot_id)
    ):
        given = [*quoted.get(change.membership_number, ()), *map(str, change.changes.values())]
        change.changes, change.reason = {}, retention.scrub(change.reason, given)
        changes += 1
    asked = 0
    for replacement in session.scalars(
        select(Replacement).where(Replacement.ballot_id == ballot_id, Replacement.reason != "")
    ):
        given = quoted.get(replacement.membership_number, ())
        replacement.reason = retention.scrub(replacement.reason, given)
        asked += 1
    complaint_ids = list(
        session.scalars(select(Complaint.id).where(Complaint.ballot_id == ballot_id))
    )
    session.execute(
        update(Complaint)
        .where(Complaint.ballot_id == ballot_id)
        .values(subject=ERASED_TEXT, outcome="")
    )
    evidence = retention.changed(
        session.execute(
            update(Evidence)
            .where(Evidence.complaint_id.in_(complaint_ids))
            .values(text=ERASED_TEXT)
        )
    )
    session.flush()
    return {
        "members": members,
        "ledger_reasons": reasons,
        "dropped_rows": dropped,
        "pending_changes": changes,
        "replacement_reasons": asked,
        "complaints": len(complaint_ids),
        "complaint_evidence": evidence,
    }
