"""The ledger at work: applying facts from other services, and reconciling.

``apply_decisions``, ``apply_deliveries`` and ``apply_mark`` move members'
ledger states inside the caller's transaction. A fact that cannot apply (a
member not on the ledger, or in a state the fact cannot move) never fails the
chunk it came in: it is appended to the audit log as ``ledger.move_refused``
with the reason, and the rest of the chunk moves.

``reconcile`` is the proof that nobody was dropped: each extract's
conservation equation, the count in every state (per association too), the
members in flight, and the members unaccounted for (accepted but in no ledger
state), listed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rollcall import audit, metrics
from rollcall.messaging.outbox import emit
from services.registration import ledger
from services.registration.errors import BallotNotFound
from services.registration.models import Ballot, Extract, LedgerEntry, Member

UNACCOUNTED_LIST_LIMIT = 1000


def _refuse(
    session: Session, ballot_id: int, number: str, fact: str, why: str, source: str
) -> None:
    audit.append(
        session,
        actor=source,
        source=source,
        action="ledger.move_refused",
        subject=f"ballot:{ballot_id}/member:{number}",
        details={"fact": fact},
        reason=why,
        at=datetime.now(UTC),
    )


def _entries(session: Session, ballot_id: int, numbers: Iterable[str]) -> dict[str, LedgerEntry]:
    rows = session.scalars(
        select(LedgerEntry)
        .where(LedgerEntry.ballot_id == ballot_id, LedgerEntry.membership_number.in_(list(numbers)))
        .with_for_update()
    )
    return {e.membership_number: e for e in rows}


def _apply(
    session: Session, ballot_id: int, facts: list[tuple[str, str, str]], source: str
) -> tuple[list[str], int]:
    """Apply (membership number, fact, reason); return who moved and how many were refused."""
    entries = _entries(session, ballot_id, [n for n, _, _ in facts])
    now = datetime.now(UTC)
    moved, refused = [], 0
    for number, fact, reason in facts:
        entry = entries.get(number)
        if entry is None:
            _refuse(
                session,
                ballot_id,
                number,
                fact,
                "the member is not on this ballot's ledger",
                source,
            )
            refused += 1
            continue
        try:
            result = ledger.move(entry.state, fact, reason)
        except ledger.MoveRefused as exc:
            _refuse(session, ballot_id, number, fact, str(exc), source)
            refused += 1
            continue
        entry.state, entry.reason, entry.updated_at = result.state, result.reason, now
        moved.append(number)
    return moved, refused


def _voter(member: Member) -> dict[str, Any]:
    name = " ".join(p for p in (member.title, member.first_name, member.last_name) if p)
    address = [a for a in (member.address_1, member.address_2, member.address_3, member.town) if a]
    return {
        "membership_number": member.membership_number,
        "name": name,
        "email": member.email,
        "address": address,
        "postcode": member.postcode,
    }


def apply_decisions(
    session: Session, ballot_id: int, decisions: list[dict[str, Any]]
) -> dict[str, int]:
    """Move members by match decisions; enrol the eligible (``voters.enrolled``)."""
    facts = []
    electors = {}
    for d in decisions:
        if d["decision"] == "review":
            facts.append(
                (d["membership_number"], "review", f"{ledger.STATES['in_review']}: {d['reasons']}")
            )
        elif d["decision"] == "match" and d["eligible"]:
            facts.append(
                (
                    d["membership_number"],
                    "matched",
                    f"{ledger.STATES['awaiting_code']}: {d['reasons']}",
                )
            )
            electors[d["membership_number"]] = d.get("elector_id")
        else:
            why = d.get("exclusion") or "not found on the electoral register at this address"
            facts.append((d["membership_number"], "excluded", f"excluded: {why}"))
    moved, refused = _apply(session, ballot_id, facts, "matching")
    enrolled = [n for n in moved if n in electors]
    if enrolled:
        members = session.scalars(
            select(Member).where(
                Member.ballot_id == ballot_id, Member.membership_number.in_(enrolled)
            )
        ).all()
        for member in members:
            member.elector_id = electors[member.membership_number]
        emit(
            session,
            "voters.enrolled",
            {"ballot_id": ballot_id, "voters": [_voter(m) for m in members]},
            correlation_id=ballot_id,
        )
    return {"moved": len(moved), "refused": refused, "enrolled": len(enrolled)}


def apply_deliveries(
    session: Session, ballot_id: int, deliveries: list[dict[str, Any]]
) -> dict[str, int]:
    facts = []
    for d in deliveries:
        if d["outcome"] == "sent":
            facts.append((d["membership_number"], "code_emailed", ledger.STATES["code_emailed"]))
        elif d["outcome"] == "queued":
            why = ledger.STATES["letter_queued"]
            if d.get("reason"):
                why = f"{why} ({d['reason']})"
            facts.append((d["membership_number"], "letter_queued", why))
        else:
            facts.append(
                (
                    d["membership_number"],
                    "mail_failed",
                    f"{ledger.STATES['mail_failed']}: {d.get('reason', '')}",
                )
            )
    moved, refused = _apply(session, ballot_id, facts, "mailer")
    return {"moved": len(moved), "refused": refused}


def apply_mark(session: Session, ballot_id: int, number: str, channel: str) -> dict[str, int]:
    how = "online" if channel == "online" else "by post"
    moved, refused = _apply(session, ballot_id, [(number, "voted", f"voted {how}")], "tally")
    return {"moved": len(moved), "refused": refused}


def reconcile(session: Session, ballot_id: int, association: str | None = None) -> dict[str, Any]:
    """The conservation report of a ballot (optionally of one association)."""
    ballot = session.get(Ballot, ballot_id)
    if ballot is None:
        raise BallotNotFound(f"ballot {ballot_id} does not exist")
    extracts = session.scalars(
        select(Extract).where(Extract.ballot_id == ballot_id).order_by(Extract.created_at)
    ).all()
    ledger_q = select(LedgerEntry.state, func.count()).where(LedgerEntry.ballot_id == ballot_id)
    member_q = select(func.count()).select_from(Member).where(Member.ballot_id == ballot_id)
    missing_q = (
        select(Member.membership_number, Member.association)
        .outerjoin(
            LedgerEntry,
            (LedgerEntry.ballot_id == Member.ballot_id)
            & (LedgerEntry.membership_number == Member.membership_number),
        )
        .where(Member.ballot_id == ballot_id)
        .where((LedgerEntry.state.is_(None)) | (LedgerEntry.state.not_in(list(ledger.STATES))))
    )
    if association:
        ledger_q = ledger_q.where(LedgerEntry.association == association)
        member_q = member_q.where(Member.association == association)
        missing_q = missing_q.where(Member.association == association)
    states = {state: 0 for state in ledger.STATES}
    for state, n in session.execute(ledger_q.group_by(LedgerEntry.state)):
        states[state] = states.get(state, 0) + n
    accepted = session.execute(member_q).scalar_one()
    missing = session.execute(missing_q.order_by(Member.membership_number)).all()
    by_association = {}
    if not association:
        rows = session.execute(
            select(LedgerEntry.association, LedgerEntry.state, func.count())
            .where(LedgerEntry.ballot_id == ballot_id)
            .group_by(LedgerEntry.association, LedgerEntry.state)
        )
        for assoc, state, n in rows:
            by_association.setdefault(assoc, {})[state] = n
    in_flight = sum(states[s] for s in ledger.IN_FLIGHT)
    known = sum(n for s, n in states.items() if s in ledger.STATES)
    report = {
        "ballot_id": ballot_id,
        "phase": ballot.phase,
        "association": association,
        "extracts": [
            {
                "extract_id": e.id,
                "status": e.status,
                "refusal": e.refusal,
                "declared": e.declared_rows,
                "accepted": e.accepted,
                "rejected": e.rejected,
                "duplicates": e.duplicates,
                "balanced": e.declared_rows is not None
                and e.declared_rows == e.accepted + e.rejected + e.duplicates,
            }
            for e in extracts
        ],
        "accepted": accepted,
        "ledger": states,
        "state_meanings": dict(ledger.STATES),
        "by_association": by_association,
        "in_ledger": known,
        "in_flight": in_flight,
        "unaccounted": len(missing),
        "unaccounted_members": [
            {"membership_number": n, "association": a} for n, a in missing[:UNACCOUNTED_LIST_LIMIT]
        ],
        "unaccounted_list_truncated": len(missing) > UNACCOUNTED_LIST_LIMIT,
    }
    report["balanced"] = (
        all(e["balanced"] for e in report["extracts"]) and accepted == known and not missing
    )
    if not association:
        for state, n in states.items():
            metrics.MEMBERS_BY_STATE.labels(str(ballot_id), state).set(n)
        metrics.UNACCOUNTED.labels(str(ballot_id)).set(len(missing))
    return report


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
    return [
        {
            "membership_number": m.membership_number,
            "name": " ".join(p for p in (m.first_name, m.last_name) if p),
            "association": m.association,
            "postcode": m.postcode,
            "state": state or "unaccounted",
            "reason": reason or "not in the ledger: report this to the operations team",
            "updated_at": updated_at.isoformat() if updated_at else None,
        }
        for m, state, reason, updated_at in session.execute(query)
    ]


def correct(
    session: Session,
    ballot_id: int,
    number: str,
    changes: dict[str, str],
    actor: str,
    reason: str,
    key: bytes,
) -> dict[str, Any]:
    """Apply an officer's correction (audited) and send the member back through matching."""
    from services.registration import updates
    from services.registration.errors import BallotNotFound as NotFound
    from services.registration.extracts import MATCH_FIELDS

    member = session.scalar(
        select(Member)
        .where(Member.ballot_id == ballot_id, Member.membership_number == number)
        .with_for_update()
    )
    if member is None:
        raise NotFound(f"member {number} is not on ballot {ballot_id}")
    ballot = session.get(Ballot, ballot_id)
    assert ballot is not None
    now = datetime.now(UTC)
    unknown = [f for f in changes if f not in updates.CORRECTABLE]
    if unknown:
        from services.registration.errors import BallotInvalid

        raise BallotInvalid(f"these fields cannot be corrected here: {', '.join(unknown)}")
    if updates.frozen(ballot, now) and any(f in updates.CONTACT_FIELDS for f in changes):
        change = updates.request_change(
            session,
            member,
            changes,
            requested_by=actor,
            source="gateway",
            reason=reason,
            key=key,
            now=now,
        )
        return {"status": "pending_approval", "change_id": change.id}
    updates._apply(
        session, member, changes, actor=actor, source="gateway", reason=reason, key=key, now=now
    )
    moved, refused = _apply(
        session, ballot_id, [(number, "rematch", ledger.STATES["awaiting_match"])], actor
    )
    if moved:
        emit(
            session,
            "members.registered",
            {
                "ballot_id": ballot_id,
                "extract_id": member.extract_id,
                "chunk": 0,
                "area": list(ballot.area),
                "members": [{f: getattr(member, f) for f in MATCH_FIELDS}],
            },
            correlation_id=ballot_id,
        )
        return {"status": "sent_to_matching"}
    return {"status": "corrected", "note": "the member's state does not allow matching again"}


HOW_TO_FIX = {
    "excluded": "If you think this is wrong, contact your association officer, who can correct your "
    "details and send them to be checked again.",
    "in_review": "An officer is checking your details against the electoral register; you need do nothing yet.",
    "mail_failed": "Your access code could not be delivered; contact your association officer to have it reissued.",
}


def roll_check(session: Session, ballot_id: int, number: str, postcode: str) -> bool:
    """Answer a member's "am I on the roll?" at the contact the party holds, never on the screen.

    Returns whether an answer was sent; the caller must not show it (the
    same reply is given either way, so the check reveals nothing).
    """
    from services.registration.rows import normalise_postcode

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
            "name": " ".join(p for p in (member.first_name, member.last_name) if p),
            "email": member.email,
            "address": [
                a for a in (member.address_1, member.address_2, member.address_3, member.town) if a
            ],
            "postcode": member.postcode,
            "state": state,
            "answer": answer,
        },
        correlation_id=ballot_id,
    )
    return True


def member_view(session: Session, ballot_id: int, number: str) -> dict[str, Any]:
    from services.registration.errors import MemberNotFound

    for view in members_view(session, ballot_id, None, number):
        return view
    raise MemberNotFound(f"member {number} is not on ballot {ballot_id}")
