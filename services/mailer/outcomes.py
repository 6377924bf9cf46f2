"""What an SMTP result means for a delivery, and when a transient failure is tried again.

Pure: no I/O. ``classify`` turns what ``smtplib`` raised into one of
``TRANSIENT`` (no listener, a timeout, a dropped connection, any 4xx reply:
try again later), ``BOUNCE`` (the server refused the recipient with a 5xx:
that address will not take mail) or ``PERMANENT`` (a 5xx about the message or
the transaction, such as 552 or 554: sending it again will not help). Every
outcome carries a reason in words, with the server's own words when it gave
any. ``retry_at`` says when the next attempt is due under a schedule of
delays, or that the schedule is exhausted.
"""

from __future__ import annotations

import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

TRANSIENT = "transient"
BOUNCE = "bounce"
PERMANENT = "permanent"


@dataclass(frozen=True)
class Outcome:
    kind: str
    reason: str


def _words(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return f"{code} {' '.join(text.split())}".strip()


def _by_code(code: int, message: bytes | str, stage: str) -> Outcome:
    said = _words(code, message)
    if 400 <= code < 500:
        return Outcome(TRANSIENT, f"mail server deferred the {stage}: {said}")
    if 500 <= code < 600:
        return Outcome(PERMANENT, f"mail server rejected the {stage}: {said}")
    return Outcome(TRANSIENT, f"mail server gave an unexpected reply to the {stage}: {said}")


def classify(exc: BaseException) -> Outcome:
    """The outcome of a send that raised ``exc``."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        replies = sorted(exc.recipients.items())
        words = "; ".join(f"{addr}: {_words(code, msg)}" for addr, (code, msg) in replies)
        if any(500 <= code < 600 for code, _ in exc.recipients.values()):
            return Outcome(BOUNCE, f"email address refused: {words}")
        return Outcome(TRANSIENT, f"email address deferred: {words}")
    if isinstance(exc, smtplib.SMTPConnectError):
        return Outcome(
            TRANSIENT, f"mail server unreachable: {_words(exc.smtp_code, exc.smtp_error)}"
        )
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return _by_code(exc.smtp_code, exc.smtp_error, "sender")
    if isinstance(exc, smtplib.SMTPDataError):
        return _by_code(exc.smtp_code, exc.smtp_error, "message")
    if isinstance(exc, smtplib.SMTPResponseException):
        return _by_code(exc.smtp_code, exc.smtp_error, "transaction")
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return Outcome(TRANSIENT, f"mail server closed the connection: {exc}")
    if isinstance(exc, smtplib.SMTPException):
        return Outcome(TRANSIENT, f"mail server error: {exc}")
    if isinstance(exc, TimeoutError):
        return Outcome(TRANSIENT, f"mail server timed out: {exc or 'no answer'}")
    if isinstance(exc, OSError):
        return Outcome(TRANSIENT, f"mail server unreachable: {exc}")
    raise TypeError(f"not an SMTP or network failure: {exc!r}")


def retry_at(attempts: int, delays: Sequence[float], now: datetime) -> datetime | None:
    """When to try again after ``attempts`` failed attempts; None once ``delays`` are used up."""
    if attempts > len(delays):
        return None
    return now + timedelta(seconds=delays[attempts - 1])


def gave_up(attempts: int, delays: Sequence[float], reason: str) -> str:
    """The reason a delivery failed for good after its schedule ran out."""
    span = timedelta(seconds=round(sum(delays)))
    return f"not delivered after {attempts} attempts over {span}: {reason}"
