"""What officers see of members: each with their ledger state and its reason in plain words.

A member with no ledger state shows as ``unaccounted`` with a reason that
says to report it, never as missing from the list.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.registration import contacts, replacing
from services.registration.errors import MemberNotFound
from services.registration.models import LedgerEntry, Member


def members_view(
    session: Session, ballot_id: int, association: str | None, number: str | None = None
) -> list[dict[str, Any]]:
    query = (
        select(Member, LedgerEntry.state, LedgerEntry.reason, LedgerEntry.updated_at)
        .outerjoin(
            LedgerEntry,
            (LedgerEntry.ballot_id == Member.ballot_id)
            & (LedgerEntry.membership_number == Member.membership_number),
        )
        .where(Member.ballot_id == ballot_id)
        .order_by(Member.association, Member.last_name, Member.membership_number)
    )
    if association:
        query = query.where(Member.association == association)
    if number:
        query = query.where(Member.membership_number == number)
    rows = session.execute(query).all()
    replaced = replacing.counts_by_member(session, ballot_id)
    return [
        {
            "membership_number": m.membership_number,
            "name": contacts.name(m, title=False),
            "association": m.association,
            "postcode": m.postcode,
            "state": state or "unaccounted",
            "reason": reason or "not in the ledger: report this to the operations team",
            "updated_at": updated_at.isoformat() if updated_at else None,
            "replacements": replaced.get(m.membership_number, 0),
        }
        for m, state, reason, updated_at in rows
    ]


def member_view(session: Session, ballot_id: int, number: str) -> dict[str, Any]:
    for view in members_view(session, ballot_id, None, number):
        return view
    raise MemberNotFound(f"member {number} is not on ballot {ballot_id}")
