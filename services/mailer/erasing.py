"""The mailer's part of erasing a ballot's personal data (``ballot.erasure_due``).

A delivery keeps its kind, channel, status, times and counts (the delivery report still
adds up) and the membership number; the contact it went to (name, email, address), the
sealed code and the mail server's last words (which often quote the address) go. A
delivery still pending cannot go any more: it is marked failed, saying why. Bounce reports
tied to the ballot lose the recipient, the diagnostic and what arrived. The postal batches
of the ballot (the letters as PDF and the printer's manifest, under ``postal_dir``) are
deleted from disk.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from rollcall import retention
from services.mailer.models import Bounce, Delivery

#: Why a delivery still pending at erasure never went.
NEVER_SENT = "not sent: the ballot's personal data was erased (retention)"


def _postal_files(postal_dir: Path, session: Session, ballot_id: int) -> set[Path]:
    """The ballot's postal batch files: its folder, and every batch its deliveries name."""
    files = set((postal_dir / f"ballot-{ballot_id}").glob("batch-*"))
    batches = session.scalars(
        select(Delivery.postal_batch)
        .where(Delivery.ballot_id == ballot_id, Delivery.postal_batch != "")
        .distinct()
    )
    for manifest in batches:
        path = Path(manifest)
        files.update(p for p in (path, path.with_suffix(".pdf")) if p.exists())
    return {p for p in files if p.is_file()}


def holdings(session: Session, ballot_id: int, postal_dir: Path) -> dict[str, int]:
    """Deliveries and bounces of the ballot that hold a contact, and its postal files."""
    contacts = session.scalars(select(Delivery.contact).where(Delivery.ballot_id == ballot_id))
    bounces = session.scalar(
        select(func.count())
        .select_from(Bounce)
        .where(Bounce.ballot_id == ballot_id, Bounce.recipient != "")
    )
    return {
        "deliveries": sum(1 for c in contacts if set(c or {}) - {"membership_number"}),
        "bounces": int(bounces or 0),
        "postal_files": len(_postal_files(postal_dir, session, ballot_id)),
    }


def erase(session: Session, ballot_id: int, postal_dir: Path) -> dict[str, int]:
    """Blank the contacts, seals and errors of the ballot's deliveries and bounces, and
    delete its postal batch files (module doc)."""
    files = _postal_files(postal_dir, session, ballot_id)
    never_sent = retention.changed(
        session.execute(
            update(Delivery)
            .where(Delivery.ballot_id == ballot_id, Delivery.status == "pending")
            .values(status="failed", last_error=NEVER_SENT)
        )
    )
    deliveries = 0
    for delivery in session.scalars(select(Delivery).where(Delivery.ballot_id == ballot_id)):
        delivery.contact = {"membership_number": delivery.membership_number}
        delivery.sealed_code = None
        if delivery.last_error != NEVER_SENT:
            delivery.last_error = ""
        deliveries += 1
    bounces = retention.changed(
        session.execute(
            update(Bounce)
            .where(Bounce.ballot_id == ballot_id)
            .values(recipient="", diagnostic="", raw="")
        )
    )
    session.flush()
    for path in files:
        path.unlink(missing_ok=True)
    return {
        "deliveries": deliveries,
        "never_sent": never_sent,
        "bounces": bounces,
        "postal_files": len(files),
    }
