"""Bounces that arrive after an email was sent: read, matched to their delivery, kept, applied.

A bounce comes two ways: a delivery-status notification (RFC 3464,
``multipart/report; report-type=delivery-status``) mailed to the mailer's own
SMTP endpoint, or a mail provider's event posted to the gateway's signed
webhook. Either becomes ``Report`` values here.

Which delivery a report is about is proved, not guessed. Every email goes
out with the envelope sender ``bounce+<token>@<domain>`` and the header
``X-Rollcall-Delivery: <token>``; the token is the delivery's id and a keyed
MAC of it (``token``), so a report naming a token we did not make is forged.
A DSN is matched by the token it was addressed to (or that the returned
headers carry); a Message-ID alone is easy to guess and matches only a
webhook event, whose signature the gateway has checked.

``receive`` stores every report, whatever it is, with a status saying what
became of it: ``pending`` (a hard bounce of a known delivery, applied once
``bounce_settle_seconds`` have passed since the email went, so registration
has recorded the sending first), ``no_effect`` (a delay or a success
notice, or a delivery that is not an email that was sent), ``unmatched``,
``forged`` or ``unreadable`` (kept for review, never an error). The same
report received twice is stored once (``fingerprint``).

``apply_due`` turns a pending hard bounce into a delivery outcome: the email
falls back to a letter (an access code was kept sealed for this until the
postal cut-off; a notice needs none), or the delivery fails with the
bounce's words and why no letter went. Pure apart from the session it is given.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import Message
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.mailer.models import Bounce, Delivery

#: The header every email carries with its delivery's token.
TOKEN_HEADER = "X-Rollcall-Delivery"
#: ``bounce+<token>@`` in an address; the token is ``<delivery id>-<mac>``.
RETURN_PATH_RE = re.compile(r"bounce\+([0-9]+-[0-9a-f]+)@", re.IGNORECASE)
TOKEN_RE = re.compile(r"^([0-9]+)-([0-9a-f]{16})$")
#: How much of what arrived is kept for review.
RAW_KEPT = 16_000

HARD, SOFT, NONE = "hard", "soft", "none"


def token_key(seal_key: bytes) -> bytes:
    """The key of bounce tokens, derived from the mailer's seal key (no extra secret to set)."""
    return hmac.new(seal_key, b"rollcall bounce token", hashlib.sha256).digest()


def token(key: bytes, delivery_id: int) -> str:
    """The token of a delivery: its id and a MAC of it; the same every time it is sent."""
    mac = hmac.new(key, str(delivery_id).encode(), hashlib.sha256).hexdigest()[:16]
    return f"{delivery_id}-{mac}"


def verify(key: bytes, candidate: str) -> int | None:
    """The delivery id a token names, or None when the token is not one of ours."""
    found = TOKEN_RE.match(candidate.strip().lower())
    if not found:
        return None
    expected = token(key, int(found.group(1)))
    return int(found.group(1)) if hmac.compare_digest(expected, found.group(0)) else None


def return_path(key: bytes, delivery_id: int, domain: str) -> str:
    """The envelope sender of a delivery's email: where its bounces come back to."""
    return f"bounce+{token(key, delivery_id)}@{domain}"


@dataclass(frozen=True)
class Report:
    """One recipient's fate, as a bounce reported it."""

    severity: str  # hard | soft | none
    recipient: str = ""
    diagnostic: str = ""
    token: str = ""
    message_id: str = ""
    #: A webhook event's own id (the provider's), when it has one.
    event_id: str = ""


class Unreadable(ValueError):
    """What arrived is not a delivery-status notification we can read."""


def _severity(action: str, status: str) -> str:
    action, status = action.strip().lower(), status.strip()
    if action == "failed" or status.startswith("5"):
        return HARD
    if action == "delayed" or status.startswith("4"):
        return SOFT
    return NONE


def _address(field: str) -> str:
    """The address of an ``rfc822;addr`` field."""
    return field.split(";", 1)[-1].strip().strip("<>") if field else ""


def _returned_headers(msg: Message) -> Message | None:
    """The headers of the original message a DSN returned, if it did."""
    for part in msg.walk():
        kind = part.get_content_type()
        if kind == "message/rfc822":
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                return payload[0]
        if kind == "text/rfc822-headers":
            text = part.get_payload(decode=True) or b""
            return email.message_from_bytes(bytes(text), policy=email.policy.compat32)
    return None


def read_dsn(raw: bytes, envelope_recipients: Iterable[str] = ()) -> list[Report]:
    """The reports in a delivery-status notification; ``Unreadable`` with the reason if it is not one."""
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    except (ValueError, TypeError, IndexError) as exc:  # the parser is lenient; this is rare
        raise Unreadable(f"not a mail message: {exc}") from exc
    if msg.get_content_type() != "multipart/report":
        raise Unreadable(
            f"not a delivery-status notification: the message is {msg.get_content_type()}"
        )
    status_part = next(
        (p for p in msg.walk() if p.get_content_type() == "message/delivery-status"), None
    )
    if status_part is None:
        raise Unreadable("a multipart/report without a message/delivery-status part")
    blocks = status_part.get_payload()
    if not isinstance(blocks, list) or len(blocks) < 2:
        raise Unreadable("the delivery-status part names no recipient")
    returned = _returned_headers(msg)
    found = None
    for address in envelope_recipients:
        found = RETURN_PATH_RE.search(address) or found
    carried = str(returned.get(TOKEN_HEADER, "")) if returned is not None else ""
    tok = found.group(1) if found else carried.strip()
    message_id = str(returned.get("Message-ID", "")).strip() if returned is not None else ""
    reports = []
    for block in blocks[1:]:
        if not isinstance(block, Message):
            continue
        recipient = _address(str(block.get("Final-Recipient", "")))
        recipient = recipient or _address(str(block.get("Original-Recipient", "")))
        status = str(block.get("Status", ""))
        diagnostic = " ".join(str(block.get("Diagnostic-Code", "")).split(";", 1)[-1].split())
        if not recipient and not status:
            continue
        reports.append(
            Report(
                severity=_severity(str(block.get("Action", "")), status),
                recipient=recipient,
                diagnostic=diagnostic or status.strip(),
                token=tok,
                message_id=message_id,
            )
        )
    if not reports:
        raise Unreadable("the delivery-status part names no recipient")
    return reports


def from_events(events: Iterable[Mapping[str, Any]]) -> list[Report]:
    """Reports from a provider's bounce events (validated by the gateway's schema)."""
    return [
        Report(
            severity={"hard": HARD, "soft": SOFT}.get(e.get("severity", ""), NONE),
            recipient=e.get("recipient") or "",
            diagnostic=e.get("diagnostic") or "",
            token=e.get("token") or "",
            message_id=e.get("message_id") or "",
            event_id=e.get("id") or "",
        )
        for e in events
    ]


def _clean(text: str) -> str:
    """Text any database stores: PostgreSQL refuses NUL characters, which a hostile report may hold."""
    return text.replace("\x00", "\ufffd")


def _fingerprint(source: str, raw: str, report: Report | None) -> str:
    """The same for the same report sent again (a remote server's retry, a provider's
    redelivery), though its envelope and dates differ; what cannot be tied to a
    delivery is told apart by its bytes."""
    if report is None:
        parts = [source, raw]
    elif report.event_id:
        parts = [source, "event", report.event_id]
    else:
        about = [report.token, report.message_id] if report.token or report.message_id else [raw]
        parts = [source, *about, report.recipient.lower(), report.severity, report.diagnostic]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _match(
    session: Session, key: bytes, report: Report, source: str
) -> tuple[Delivery | None, str, str]:
    """The delivery a report is about, or the status and note it is kept with."""
    if report.token:
        delivery_id = verify(key, report.token)
        if delivery_id is None:
            return None, "forged", f"the bounce token {report.token[:40]!r} is not one we made"
        found = session.get(Delivery, delivery_id)
        if found is None:
            return None, "unmatched", f"no delivery {delivery_id}"
        return found, "", ""
    if report.message_id and source == "webhook":
        found = session.scalars(
            select(Delivery).where(Delivery.message_id == report.message_id).limit(1)
        ).first()
        if found is None:
            return None, "unmatched", f"no email was sent with Message-ID {report.message_id}"
        return found, "", ""
    if report.message_id:
        return None, "unmatched", "names only a Message-ID, which anyone can guess: not applied"
    return None, "unmatched", "names neither a bounce token nor a Message-ID"


def _effect(delivery: Delivery, report: Report) -> tuple[str, str]:
    """What a report does to its delivery: the status it is stored with and why."""
    if report.severity == SOFT:
        return "no_effect", "a delay notice: the remote server is still trying"
    if report.severity == NONE:
        return "no_effect", "not a failure (delivered, relayed or expanded)"
    if delivery.channel != "email" or delivery.status not in ("sent", "pending"):
        return "no_effect", f"the delivery is {delivery.status} by {delivery.channel}"
    # A fast bounce can arrive before the mailer has recorded its email as sent
    # (it records a whole batch at once): it waits, and ``apply_due`` decides.
    return "pending", "a hard bounce, applied once its email has been recorded as sent"


def receive(
    session: Session,
    key: bytes,
    source: str,
    raw: str,
    reports: list[Report] | Unreadable,
    now: datetime,
) -> list[Bounce]:
    """Store every report (or why what arrived could not be read); the rows newly stored."""
    if isinstance(reports, Unreadable):
        rows = [
            Bounce(
                fingerprint=_fingerprint(source, raw, None),
                severity="unknown",
                status="unreadable",
                note=str(reports),
            )
        ]
    else:
        rows = []
        for report in reports:
            delivery, status, note = _match(session, key, report, source)
            if delivery is not None:
                status, note = _effect(delivery, report)
            rows.append(
                Bounce(
                    fingerprint=_fingerprint(source, raw, report),
                    severity=report.severity,
                    status=status,
                    note=note,
                    delivery_id=delivery.id if delivery else None,
                    ballot_id=delivery.ballot_id if delivery else None,
                    membership_number=delivery.membership_number if delivery else None,
                    recipient=_clean(report.recipient[:320]),
                    diagnostic=_clean(report.diagnostic),
                )
            )
    seen = set(
        session.scalars(
            select(Bounce.fingerprint).where(Bounce.fingerprint.in_([r.fingerprint for r in rows]))
        )
    )
    stored = []
    for row in rows:
        if row.fingerprint in seen:
            continue
        seen.add(row.fingerprint)
        row.source, row.raw, row.received_at = source, _clean(raw[:RAW_KEPT]), now
        row.note = _clean(row.note)
        session.add(row)
        stored.append(row)
    session.flush()
    return stored


def apply_due(
    session: Session,
    now: datetime,
    settle: float,
    no_letter: Callable[[Delivery], str],
) -> list[dict[str, Any]]:
    """Apply the pending hard bounces whose email went ``settle`` seconds ago or more.

    ``no_letter(delivery)`` says why a bounced delivery cannot become a letter
    ("" when it can). Returns, per bounced access code, what registration is
    told (``mail.bounced``): ballot, membership number, kind, the reason, and
    whether a letter follows.
    """
    due = session.execute(
        select(Bounce, Delivery)
        .join(Delivery, Delivery.id == Bounce.delivery_id)
        .where(Bounce.status == "pending")
        .where(Delivery.done_at <= now - timedelta(seconds=settle))
        .order_by(Bounce.id)
        .with_for_update()
    ).all()
    told: list[dict[str, Any]] = []
    for bounce, delivery in due:
        bounce.applied_at = now
        if delivery.status != "sent" or delivery.channel != "email":
            bounce.status = "no_effect"
            bounce.note = f"the delivery was already {delivery.status} by {delivery.channel}"
            continue
        bounce.status = "applied"
        words = f"email bounced after it was sent: {bounce.diagnostic or 'no reason given'}"
        delivery.bounced_at = now
        # Notices and reminders carry no code: they too go by letter, and are no ledger fact.
        is_code = not delivery.kind.startswith(("notice", "reminder-"))
        why_not = no_letter(delivery)
        if not why_not and is_code and not delivery.sealed_code:
            why_not = "its code is no longer kept for a letter"
        if not why_not:
            # A notice needs no code: it too goes by letter.
            delivery.channel, delivery.status = "post", "pending"
            delivery.last_error, delivery.next_attempt_at, delivery.done_at = words, None, None
            bounce.note = "it goes by letter"
        else:
            delivery.status, delivery.last_error = "failed", f"{words}; {why_not}"
            delivery.sealed_code = None
            bounce.note = f"no letter: {why_not}"
        if is_code:
            told.append(
                {
                    "ballot_id": delivery.ballot_id,
                    "membership_number": delivery.membership_number,
                    "kind": delivery.kind,
                    "reason": delivery.last_error,
                    "letter": delivery.status == "pending",
                }
            )
    return told
