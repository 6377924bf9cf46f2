"""A member's "am I on the roll?", answered at the contact the party holds, never on the screen.

The answer (on the roll or not, the ledger's reason, and how to fix a
fixable state) goes out as ``roll.check_answered`` to the member's party-held
contact. Whether an answer was sent is returned for the caller's record only:
the caller gives the same reply either way, so the check reveals nothing.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from rollcall.messaging.outbox import emit
from services.registration import contacts
from services.registration.models import LedgerEntry, Member
from services.registration.rows import normalise_postcode

HOW_TO_FIX = {
    "excluded": "If you think this is wrong, contact your association officer, who can correct your "
    "details and send them to be checked again.",
    "in_review": "An officer is checking your details against the electoral register; you need do nothing yet.",
    "mail_failed": "Your access code could not be delivered; contact your association officer to have it reissued.",
}


def roll_check(session: Session, ballot_id: int, number: str, postcode: str) -> bool:
    """Send the answer if ``number`` and ``postcode`` match a member with a contact; say whether."""
    member = session.scalar(
        select(Member).where(Member.ballot_id == ballot_id, Member.membership_number == number)
    )
    if (
        member is None
        or normalise_postcode(postcode) != member.postcode
        or not (member.email or member.postcode)
    ):
        return False
    entry = session.get(LedgerEntry, (ballot_id, number))
    state = entry.state if entry else "unaccounted"
    reason = entry.reason if entry else "not in the ledger"
    on_roll = state not in ("excluded", "unaccounted")
    answer = (
        "You are on the roll for this ballot: "
        if on_roll
        else "You are not on the roll for this ballot: "
    ) + reason
    fix = HOW_TO_FIX.get(state)
    if fix:
        answer += ". " + fix
    emit(
        session,
        "roll.check_answered",
        {
            "ballot_id": ballot_id,
            "membership_number": number,
            "name": contacts.name(member, title=False),
            "email": member.email,
            "address": contacts.address(member),
            "postcode": member.postcode,
            "state": state,
            "answer": answer,
        },
        correlation_id=ballot_id,
    )
    return True
