"""Retention of a ballot's personal data: when it falls due, and what every service shares
in erasing it.

Party membership reveals political opinion, so a ballot's personal data is kept only
until its *retention date*: ``retention_days`` after the result, and while any complaint
about the ballot is open, for as long as it stays open and ``retention_days`` after it is
settled (``due_at``, pure). Registration decides that a ballot is due and announces it
(``ballot.erasure_due``); each service then erases or pseudonymises what *it* holds for
the ballot, in one transaction with the audited erasure record (``record``), so a
service either has erased a ballot and says so in its audit chain, or has not.

What is kept: counts, the ledger's states, the marked register and the ballot box, the
bulletin board, and every audit chain. None of them holds a name, an address or an
email (the audit logs record personal values as keyed hashes), so each stays
verifiable. Membership numbers stay: they are the party's own keys, the ledger's and
the marked register's rows are counted by them, and they say nothing without the
party's membership system.

Guarantees:

- ``erase_outbox`` deletes only events already published, so no consumer misses one.
- ``record`` appends one ``retention.erased`` entry per service and ballot; ``erasure``
  finds it, so a second erasure of the same ballot is a no-op that says when the first was.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import MetaData, delete, or_, select
from sqlalchemy.orm import Session

from rollcall import audit
from rollcall.messaging.outbox import outbox_table

#: The audit action of an erasure record.
ERASED = "retention.erased"
#: The event that tells every service a ballot is due for erasure.
ERASURE_DUE = "ballot.erasure_due"
#: Complaint statuses during which a ballot's data is held whatever the date.
OPEN_COMPLAINT = ("open", "investigating")

_OUTBOX = outbox_table(MetaData())
_AUDIT = audit.audit_table(MetaData())


@dataclass(frozen=True)
class Complaint:
    """What retention needs of a complaint: its status and when it last changed."""

    status: str
    updated_at: datetime


@dataclass(frozen=True)
class Due:
    """When a ballot's personal data falls due for erasure, and what holds it until then."""

    #: None while it cannot be known: the ballot is not counted, or a complaint is open.
    due_at: datetime | None
    #: Why it is held (empty when due): in words an operator reads.
    holds: tuple[str, ...]


def due_at(
    counted_at: datetime | None, complaints: Iterable[Complaint], days: int, now: datetime
) -> Due:
    """The retention date: ``days`` after the result or after the last complaint settled.

    A ballot not yet counted, or with a complaint still open, has no date: it is held.
    """
    holds: list[str] = []
    if counted_at is None:
        return Due(None, ("the ballot has no result yet",))
    settled: list[datetime] = []
    open_ones = 0
    for c in complaints:
        if c.status in OPEN_COMPLAINT:
            open_ones += 1
        else:
            settled.append(c.updated_at)
    if open_ones:
        plural = "s" if open_ones > 1 else ""
        return Due(None, (f"{open_ones} complaint{plural} still open",))
    since = max([counted_at, *settled])
    when = since + timedelta(days=days)
    if when > now:
        what = "the result" if since == counted_at else "the last complaint was settled"
        holds.append(f"kept until {when:%Y-%m-%d %H:%M} UTC ({days} days after {what})")
    return Due(when, tuple(holds))


#: What an erased value reads, where text around it stays.
ERASED_TEXT = "(erased)"
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_EMAIL = re.compile(r"[^\s<>()'\",;:]+@[^\s<>()'\",;:]+")
_POSTCODE = re.compile(r"\b[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}\b", re.IGNORECASE)


def scrub(text: str, values: Iterable[str] = ()) -> str:
    """``text`` without the personal data it may quote: anything in quotes (reasons quote
    names and addresses that way), email addresses, UK postcodes, and each of ``values``
    (a member's own names and address lines). What is left says what kind of thing
    happened, not to whom."""
    wanted = {v.strip() for v in values if len(v.strip()) >= 3}
    for value in sorted((v for v in wanted if v.lower() in text.lower()), key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", ERASED_TEXT, text, flags=re.IGNORECASE)
    text = _QUOTED.sub(ERASED_TEXT, text)
    text = _EMAIL.sub(ERASED_TEXT, text)
    return _POSTCODE.sub(ERASED_TEXT, text)


def subject(ballot_id: int) -> str:
    """The audit subject of a ballot's erasure record."""
    return f"ballot:{ballot_id}"


def erasure(session: Session, ballot_id: int) -> dict[str, Any] | None:
    """This service's erasure record for the ballot (at, actor, details), or None."""
    row = session.execute(
        select(_AUDIT.c.at, _AUDIT.c.actor, _AUDIT.c.details)
        .where(_AUDIT.c.action == ERASED, _AUDIT.c.subject == subject(ballot_id))
        .order_by(_AUDIT.c.seq)
        .limit(1)
    ).first()
    if row is None:
        return None
    return {"at": row.at, "actor": row.actor, **json.loads(row.details)}


def record(
    session: Session,
    *,
    service: str,
    ballot_id: int,
    erased: Mapping[str, int],
    actor: str,
    reason: str,
    now: datetime,
) -> dict[str, Any]:
    """Append the audited erasure record: what was erased, as counts, and who asked why."""
    details = {"service": service, "erased": dict(sorted(erased.items()))}
    audit.append(
        session,
        actor=actor,
        source=service,
        action=ERASED,
        subject=subject(ballot_id),
        details=details,
        reason=reason,
        at=now,
    )
    return {"ballot_id": ballot_id, **details}


def _of_ballot(payload: str, ballot_id: int) -> bool:
    try:
        loaded = json.loads(payload)
    except ValueError:
        return False
    return isinstance(loaded, dict) and loaded.get("ballot_id") == ballot_id


def erase_outbox(session: Session, ballot_id: int) -> int:
    """Delete the published events about the ballot (their payloads hold contacts and
    names); events not yet published stay, to be delivered. Returns how many went."""
    needle = f'"ballot_id":{int(ballot_id)}'
    rows = session.execute(
        select(_OUTBOX.c.id, _OUTBOX.c.payload).where(
            _OUTBOX.c.published_at.is_not(None),
            or_(_OUTBOX.c.payload.contains(needle + ","), _OUTBOX.c.payload.contains(needle + "}")),
        )
    ).all()
    ids = [r.id for r in rows if _of_ballot(r.payload, ballot_id)]
    for start in range(0, len(ids), 500):
        session.execute(delete(_OUTBOX).where(_OUTBOX.c.id.in_(ids[start : start + 500])))
    return len(ids)


def held_in_outbox(session: Session, ballot_id: int) -> int:
    """How many events about the ballot the outbox still holds (published or not), but
    the erasure's own announcement, which holds nothing personal."""
    needle = f'"ballot_id":{int(ballot_id)}'
    rows = session.execute(
        select(_OUTBOX.c.payload).where(
            _OUTBOX.c.event_type != ERASURE_DUE,
            or_(_OUTBOX.c.payload.contains(needle + ","), _OUTBOX.c.payload.contains(needle + "}")),
        )
    ).scalars()
    return sum(1 for p in rows if _of_ballot(p, ballot_id))


def erase_here(
    session: Session,
    service: str,
    payload: Mapping[str, Any],
    erase: Callable[[Session, int], dict[str, int]],
    now: datetime,
) -> dict[str, Any]:
    """A service's handler of ``ballot.erasure_due``: ``erase`` its rows and its published
    events about the ballot, and record it, in the caller's transaction (once)."""
    ballot_id = int(payload["ballot_id"])
    done = erasure(session, ballot_id)
    if done is not None:
        return {"ballot_id": ballot_id, "already_erased_at": done["at"]}
    erased = erase(session, ballot_id)
    erased["outbox_events"] = erase_outbox(session, ballot_id)
    return record(
        session,
        service=service,
        ballot_id=ballot_id,
        erased=erased,
        actor=str(payload["actor"]),
        reason=str(payload.get("reason", "")),
        now=now,
    )


def state(
    session: Session,
    service: str,
    ballot_id: int,
    holdings: Callable[[Session, int], dict[str, int]],
) -> dict[str, Any]:
    """What a service holds of the ballot's personal data, and when it erased it."""
    done = erasure(session, ballot_id)
    held = holdings(session, ballot_id)
    held["outbox_events"] = held_in_outbox(session, ballot_id)
    return {
        "service": service,
        "ballot_id": ballot_id,
        "erased_at": done["at"] if done else None,
        "holds": held,
    }


def nothing(session: Session, ballot_id: int) -> dict[str, int]:
    """The rows of a service that holds nothing personal of a ballot beside its outbox."""
    return {}


def changed(result: Any) -> int:
    """How many rows an UPDATE changed (``rowcount``, which ``Result`` types do not declare)."""
    return int(getattr(result, "rowcount", 0) or 0)
