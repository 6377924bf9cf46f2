"""What the mailer did for a ballot, in figures: the delivery story an operator reads.

``summary`` counts from the deliveries and bounce reports as stored, so it is
the same however often it is asked. Access codes (the ``initial`` email or
letter and every reissue) are counted apart from notices; bounce reports that
could not be tied to a delivery (unmatched, forged, unreadable) belong to no
ballot and are counted for every ballot alike, as the ones kept for review.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.mailer.models import Bounce, Delivery

#: Bounce statuses of reports kept for an operator to look at.
FOR_REVIEW = ("unmatched", "forged", "unreadable")


def _is_code(kind: str) -> bool:
    return not kind.startswith("notice") and not kind.startswith("reminder")


def summary(session: Session, ballot_id: int) -> dict[str, Any]:
    """Sent, deferred and retried, bounced (at sending and after), posted, failed, pending."""
    rows = session.execute(
        select(
            Delivery.id,
            Delivery.kind,
            Delivery.channel,
            Delivery.status,
            Delivery.retries,
            Delivery.bounced_at,
            Delivery.contact,
        ).where(Delivery.ballot_id == ballot_id)
    ).all()
    late = set(
        session.scalars(
            select(Bounce.delivery_id).where(
                Bounce.ballot_id == ballot_id, Bounce.status == "applied"
            )
        )
    )
    codes = [r for r in rows if _is_code(r.kind)]
    statuses = Counter((r.channel, r.status) for r in codes)
    reports: Counter[str] = Counter()
    for status, n in session.execute(
        select(Bounce.status, func.count())
        .where((Bounce.ballot_id == ballot_id) | Bounce.ballot_id.is_(None))
        .group_by(Bounce.status)
    ):
        reports[status] += n
    return {
        "codes": len(codes),
        #: Access codes sent (or to be sent) by each channel, first codes and replacements alike.
        "codes_by_channel": dict(sorted(Counter(r.channel for r in codes).items())),
        "emails_accepted": statuses[("email", "sent")] + len(late & {r.id for r in codes}),
        "letters_queued": statuses[("post", "queued")],
        "transient_retries": sum(r.retries for r in rows),
        "hard_bounces": {
            "at_sending": sum(1 for r in codes if r.bounced_at and r.id not in late),
            "after_sending": len(late & {r.id for r in codes}),
        },
        "fallbacks_to_post": sum(
            1 for r in codes if r.channel == "post" and (r.contact or {}).get("email")
        ),
        "failed": sum(n for (_, status), n in statuses.items() if status == "failed"),
        #: Every delivery still to send, access codes and notices alike.
        "pending": sum(1 for r in rows if r.status == "pending"),
        #: Reminders that went (an email taken or a letter queued); not those a vote made moot.
        "reminders": sum(
            1 for r in rows if r.kind.startswith("reminder") and r.status in ("sent", "queued")
        ),
        "reissued_codes": sum(1 for r in codes if r.kind != "initial"),
        "bounce_reports": dict(sorted(reports.items())),
        "bounce_reports_for_review": sum(reports[s] for s in FOR_REVIEW),
    }


def bounced_members(session: Session, ballot_id: int) -> list[str]:
    """Membership numbers of members whose access code email bounced, at sending or after."""
    kinds = select(Delivery.membership_number, Delivery.kind).where(
        Delivery.ballot_id == ballot_id, Delivery.bounced_at.is_not(None)
    )
    return sorted({n for n, kind in session.execute(kinds) if _is_code(kind)})


def review(session: Session, limit: int = 100) -> list[dict[str, Any]]:
    """The latest bounce reports kept for review, newest first, with why each was kept."""
    found = session.scalars(
        select(Bounce).where(Bounce.status.in_(FOR_REVIEW)).order_by(Bounce.id.desc()).limit(limit)
    )
    return [
        {
            "id": b.id,
            "source": b.source,
            "status": b.status,
            "note": b.note,
            "recipient": b.recipient,
            "diagnostic": b.diagnostic,
            "received_at": b.received_at.isoformat(),
        }
        for b in found
    ]
