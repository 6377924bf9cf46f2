"""Facts from other services, turned into ledger facts: match decisions, deliveries, marks.

Each function runs inside the handler's transaction and records its facts
through the ledger's one writer (``ledger_writer.record``): a fact that cannot apply
is recorded as refused and never fails the chunk it came in. Members a match
makes eligible are enrolled with codes and tally (``voters.enrolled``), and
those it excludes are sent a notice of why and how to fix it (``notices``), in
the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rollcall.messaging.outbox import emit
from services.registration import contacts, ledger_writer, notices
from services.registration.ledger import STATES
from services.registration.models import Member


def apply_decisions(
    session: Session, ballot_id: int, decisions: list[dict[str, Any]]
) -> dict[str, int]:
    """Move members by match decisions; enrol the eligible (``voters.enrolled``), tell the excluded."""
    facts = []
    electors = {}
    excluded = {}
    for d in decisions:
        number = d["membership_number"]
        if d["decision"] == "review":
            facts.append((number, "review", f"{STATES['in_review']}: {d['reasons']}"))
        elif d["decision"] == "match" and d["eligible"]:
            facts.append((number, "matched", f"{STATES['awaiting_code']}: {d['reasons']}"))
            electors[number] = d.get("elector_id")
        elif exclusion := notices.exclusion(d):
            facts.append((number, "excluded", f"excluded: {exclusion.why}"))
            excluded[number] = exclusion
    recorded = ledger_writer.record(session, ballot_id, facts, source="matching")
    # Only those this batch excluded: one excluded already (say, lapsed) is not told to fix this.
    newly = [n for n in recorded.moved if n in excluded and recorded.moved_from[n] != "excluded"]
    notices.request(session, ballot_id, {n: excluded[n] for n in newly}, source="matching")
    enrolled = [n for n in recorded.moved if n in electors]
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
            {"ballot_id": ballot_id, "voters": [contacts.voter(m) for m in members]},
            correlation_id=ballot_id,
        )
    return {"moved": len(recorded.moved), "refused": recorded.refused, "enrolled": len(enrolled)}


def apply_deliveries(
    session: Session, ballot_id: int, deliveries: list[dict[str, Any]]
) -> dict[str, int]:
    facts = []
    for d in deliveries:
        number = d["membership_number"]
        if d["outcome"] == "sent":
            facts.append((number, "code_emailed", STATES["code_emailed"]))
        elif d["outcome"] == "queued":
            why = STATES["letter_queued"]
            if d.get("reason"):
                why = f"{why} ({d['reason']})"
            facts.append((number, "letter_queued", why))
        else:
            facts.append((number, "mail_failed", f"{STATES['mail_failed']}: {d.get('reason', '')}"))
    recorded = ledger_writer.record(session, ballot_id, facts, source="mailer")
    return {"moved": len(recorded.moved), "refused": recorded.refused}


def apply_bounces(
    session: Session, ballot_id: int, bounces: list[dict[str, Any]]
) -> dict[str, int]:
    """Members whose code email bounced after it went: not reached, until a letter is queued."""
    facts = []
    for b in bounces:
        then = "a letter with the code is being queued" if b["letter"] else "no letter follows"
        facts.append(
            (b["membership_number"], "bounced", f"{STATES['mail_failed']}: {b['reason']} ({then})")
        )
    recorded = ledger_writer.record(session, ballot_id, facts, source="mailer")
    return {"moved": len(recorded.moved), "refused": recorded.refused}


def apply_marks(session: Session, marks: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """``ballots.marked`` payloads: each voter's ledger entry moves to ``voted`` (one ledger
    batch per ballot)."""
    moved = refused = 0
    by_ballot: dict[int, list[tuple[str, str, str]]] = {}
    for mark in marks:
        how = "online" if mark["channel"] == "online" else "by post"
        fact = (mark["membership_number"], "voted", f"voted {how}")
        by_ballot.setdefault(mark["ballot_id"], []).append(fact)
    for ballot_id, facts in by_ballot.items():
        recorded = ledger_writer.record(session, ballot_id, facts, source="tally")
        moved, refused = moved + len(recorded.moved), refused + recorded.refused
    return {"moved": moved, "refused": refused}
