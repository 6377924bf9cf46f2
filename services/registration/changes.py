"""Changing a member's data: audited, and the member told when their contact moves.

Guarantees, inside the caller's transaction:

- ``audit_change`` appends a change to the audit log with who, what, when,
  why and from which system; personal values (names, contact details, date
  of birth, payment reference) are keyed hashes, never in clear. ``note``
  audits anything else done (or not done) to a member, the same way.
- ``apply`` makes a change and audits it. A change to contact details emits
  ``voters.contact_changed`` with the old and the new contact, so the member
  is told at both, and asks for a new code if the member holds one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from rollcall import audit, metrics
from rollcall.formats import CONTACT_FIELDS, PERSONAL_FIELDS
from rollcall.messaging.outbox import emit
from services.registration import ballots, contacts
from services.registration.ledger import HOLDS_CODE
from services.registration.models import LedgerEntry, Member


@dataclass(frozen=True)
class Author:
    """Who makes a change, from which system and why; when; and the key that hashes personal values."""

    actor: str
    source: str
    reason: str
    key: bytes
    now: datetime


def _shown(field: str, value: str, key: bytes) -> str:
    return audit.personal(value, key) if field in PERSONAL_FIELDS and value else value


def note(
    session: Session,
    by: Author,
    action: str,
    ballot_id: int,
    number: str,
    details: dict[str, Any],
    reason: str,
) -> None:
    """Append ``action`` about one member of one ballot to the audit log."""
    audit.append(
        session,
        actor=by.actor,
        source=by.source,
        action=action,
        subject=f"ballot:{ballot_id}/member:{number}",
        details=details,
        reason=reason,
        at=by.now,
    )


def audit_change(
    session: Session,
    member: Member,
    action: str,
    changes: dict[str, str],
    by: Author,
) -> None:
    """Append ``action`` for ``changes`` to ``member`` (old and new values) to the audit log."""
    details = {
        f: {"old": _shown(f, getattr(member, f), by.key), "new": _shown(f, v, by.key)}
        for f, v in sorted(changes.items())
    }
    note(session, by, action, member.ballot_id, member.membership_number, details, by.reason)


def apply(session: Session, member: Member, changes: dict[str, str], by: Author) -> None:
    """Make the change, audit it, and tell the member if their contact moved."""
    entry = session.get(LedgerEntry, (member.ballot_id, member.membership_number))
    old = contacts.contact(member)
    audit_change(session, member, "member.updated", changes, by)
    for field, value in changes.items():
        setattr(member, field, value)
    touched = sorted(f for f in changes if f in CONTACT_FIELDS)
    if not touched:
        return
    test = ballots.is_test_ballot(session, member.ballot_id)
    metrics.count(metrics.CONTACT_CHANGES, member.association, by.actor, test=test)
    holds_code = entry is not None and entry.state in HOLDS_CODE
    emit(
        session,
        "voters.contact_changed",
        {
            "ballot_id": member.ballot_id,
            "membership_number": member.membership_number,
            "name": contacts.name(member),
            "old": old,
            "new": contacts.contact(member),
            "fields_changed": touched,
            "reissue": holds_code,
            "voter": contacts.voter(member) if holds_code else None,
        },
        correlation_id=member.ballot_id,
    )
