"""What the mailer must deliver: one pending delivery per voter, ballot and kind.

Recorded in the event handler's transaction, with its inbox row, so a crash
never loses a code and ``sending.Dispatcher`` sends from this record alone.
A delivery already recorded is not recorded again, so one voter gets one mail
however often ``codes.issued`` arrives, and a member excluded for a reason
they can fix gets one notice per reason. A delivery goes by email when the
contact has an address, else by post. The read model of each ballot (its phase
and the title the letters name) is kept here too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.mailer import letters
from services.mailer.models import Ballot, Delivery


def _pending(
    ballot_id: int,
    number: str,
    kind: str,
    contact: dict[str, Any],
    now: datetime,
    *,
    sealed_code: str | None = None,
    not_before: datetime | None = None,
) -> Delivery:
    """A delivery waiting for the dispatcher: by email if there is an address, else by post."""
    return Delivery(
        ballot_id=ballot_id,
        membership_number=number,
        kind=kind,
        channel="email" if contact.get("email") else "post",
        status="pending",
        contact={"membership_number": number, **contact},
        sealed_code=sealed_code,
        not_before=not_before,
        attempts=0,
        last_error="",
        created_at=now,
    )


def _recorded(session: Session, ballot_id: int, numbers: list[str]) -> set[tuple[str, str]]:
    """(membership number, kind) of every delivery already recorded for ``numbers``."""
    return set(
        session.execute(
            select(Delivery.membership_number, Delivery.kind).where(
                Delivery.ballot_id == ballot_id, Delivery.membership_number.in_(numbers)
            )
        ).all()
    )


def accept(session: Session, ballot_id: int, codes: list[dict[str, Any]], now: datetime) -> int:
    """Record a pending delivery per code; one per voter, ballot and kind, whichever message brings it."""
    existing = _recorded(session, ballot_id, [c["membership_number"] for c in codes])
    added = 0
    for c in codes:
        if (c["membership_number"], c["kind"]) in existing:
            continue
        contact = {k: c.get(k) for k in ("name", "email", "address", "postcode")}
        not_before = datetime.fromisoformat(c["not_before"]) if c.get("not_before") else None
        session.add(
            _pending(
                ballot_id,
                c["membership_number"],
                c["kind"],
                contact,
                now,
                sealed_code=c["sealed_code"],
                not_before=not_before,
            )
        )
        existing.add((c["membership_number"], c["kind"]))
        added += 1
    return added


def accept_notice(session: Session, payload: dict[str, Any], message_id: str, now: datetime) -> int:
    """Tell the member at the old and at the new contact that their details changed.

    The kind carries the message id, and the inbox runs this once per message.
    """
    added = 0
    for side in ("old", "new"):
        contact = payload[side]
        if not (contact.get("email") or contact.get("address")):
            continue
        details = {"name": payload["name"], "fields_changed": payload["fields_changed"], **contact}
        kind = f"notice-{side}-{message_id[:12]}"
        session.add(
            _pending(payload["ballot_id"], payload["membership_number"], kind, details, now)
        )
        added += 1
    return added


def accept_roll_check(
    session: Session, payload: dict[str, Any], message_id: str, now: datetime
) -> int:
    """Queue the answer to a roll check for the member's party-held contact."""
    contact = {k: payload.get(k) for k in ("name", "email", "address", "postcode", "answer")}
    kind = f"notice-roll-{message_id[:12]}"
    session.add(_pending(payload["ballot_id"], payload["membership_number"], kind, contact, now))
    return 1


def accept_exclusions(session: Session, payload: dict[str, Any], now: datetime) -> int:
    """Record a notice per excluded member: one per member, ballot and reason, however often asked.

    Only the contact in the payload (the one the party holds) is written to.
    """
    ballot_id, notices = payload["ballot_id"], payload["notices"]
    existing = _recorded(session, ballot_id, [n["membership_number"] for n in notices])
    added = 0
    for n in notices:
        kind = letters.exclusion_kind(n["reason"])
        if (n["membership_number"], kind) in existing:
            continue
        contact = {k: n.get(k) for k in ("name", "email", "address", "postcode", "why", "fix")}
        contact["fix_by"] = payload.get("fix_by")
        session.add(_pending(ballot_id, n["membership_number"], kind, contact, now))
        existing.add((n["membership_number"], kind))
        added += 1
    return added


def record_ballot(
    session: Session,
    ballot_id: int,
    *,
    phase: str,
    title: str | None = None,
    timetable: dict[str, Any] | None = None,
    statements: list[Any] | None = None,
) -> None:
    """Keep the read model of a ballot: its phase, and its title, timetable and candidates'
    statements once known."""
    row = session.get(Ballot, ballot_id)
    if row is None:
        session.add(
            Ballot(
                ballot_id=ballot_id,
                phase=phase,
                title=title or f"ballot {ballot_id}",
                timetable=dict(timetable or {}),
                statements=list(statements) if statements else None,
            )
        )
        return
    if statements:
        row.statements = list(statements)
    if phase != "draft":
        row.phase = phase
    if title:
        row.title = title
    if timetable:
        row.timetable = dict(timetable)
