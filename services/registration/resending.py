"""Sending access codes again (``rollcall mail resend``): who is sent a new code, and the ledger fact.

``skip_reason`` is the rule: a member whose code never arrived (``mail_failed``)
is sent a new one; a member whose code was delivered (emailed or queued for
posting), or who awaits one (a resend cut short), only when the operator
asks to reissue; anyone else never (a voter has voted; the rest hold no
code). ``resend`` moves those sent again to
``awaiting_code`` through the ledger's one writer and returns their
party-held contacts for the codes service, so a second run finds nobody left
in the state it asked for and sends nothing twice. Every run is appended to
the audit log (``codes.resent``) with the actor, what was asked, who was sent
a new code and how many were skipped why.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rollcall import audit
from services.registration import contacts, ledger_writer
from services.registration.ledger import STATES
from services.registration.models import LedgerEntry, Member

#: States in which the member's code reached them.
DELIVERED = ("code_emailed", "letter_queued")


def skip_reason(state: str, reissue: bool) -> str:
    """Why a member in ``state`` is not sent a code again; "" if they are."""
    if state == "mail_failed" or (reissue and state in (*DELIVERED, "awaiting_code")):
        return ""
    if state in DELIVERED:
        return "code already delivered (ask to reissue to send a new one)"
    if state == "voted":
        return "has voted"
    return f"holds no code to send again ({STATES.get(state, state)})"


def resend(
    session: Session,
    ballot_id: int,
    *,
    state: str,
    association: str | None,
    reissue: bool,
    actor: str,
) -> dict[str, Any]:
    """Move the members in ``state`` who may be sent a code again; return their contacts and the skips."""
    query = (
        select(Member, LedgerEntry.state)
        .join(
            LedgerEntry,
            (LedgerEntry.ballot_id == Member.ballot_id)
            & (LedgerEntry.membership_number == Member.membership_number),
        )
        .where(Member.ballot_id == ballot_id, LedgerEntry.state == state)
        .order_by(Member.membership_number)
    )
    if association:
        query = query.where(Member.association == association)
    chosen: dict[str, Member] = {}
    skipped: Counter[str] = Counter()
    for member, current in session.execute(query):
        why = skip_reason(current, reissue)
        if why:
            skipped[why] += 1
        else:
            chosen[member.membership_number] = member
    reason = f"{STATES['awaiting_code']}: sent again at the operator's request ({actor})"
    recorded = ledger_writer.record(
        session,
        ballot_id,
        [(n, "resend", reason) for n in chosen],
        source="registration",
        actor=actor,
    )
    audit.append(
        session,
        actor=actor,
        source="cli",
        action="codes.resent",
        subject=f"ballot:{ballot_id}",
        details={
            "state": state,
            "association": association,
            "reissue": reissue,
            "members": list(recorded.moved),
            "skipped": dict(skipped),
        },
        reason=f"rollcall mail resend: {len(recorded.moved)} sent a new code",
        at=datetime.now(UTC),
    )
    return {
        "voters": [contacts.voter(chosen[n]) for n in recorded.moved],
        "skipped": dict(skipped),
    }
