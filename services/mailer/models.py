"""Tables of the mailer only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from rollcall.db import UTCDateTime
from rollcall.tables import add_kernel_tables


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Delivery(Base):
    """One code to one voter by one channel; unique per voter, ballot and kind."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("ballot_id", "membership_number", "kind"),
        Index("ix_deliveries_status", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(Integer)
    membership_number: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(8))  # email | post
    status: Mapped[str] = mapped_column(String(12))  # pending | sent | queued | failed
    contact: Mapped[dict[str, Any]]
    #: The sealed code while the delivery is pending; cleared once it went.
    sealed_code: Mapped[str | None] = mapped_column(Text, nullable=True)
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: When a delivery the mail server deferred is tried again; None when due at once.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    message_id: Mapped[str] = mapped_column(String(200), default="")
    #: The print batch a letter is in: set, with the batch's file, before the file is
    #: written, so a mailer killed in between writes the same batch again (``sending``).
    postal_batch: Mapped[str] = mapped_column(String(200), default="")
    #: When this email was handed to the mail server; cleared once the server answered.
    #: Set on a pending delivery after a crash: the email may have gone (``sending``).
    sending_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: When the mail server took this email (with ``message_id``), written as it answers;
    #: cleared when the flush records the outcome. Set on a pending delivery after a crash:
    #: the email went, and is recorded without being sent again (``sending``).
    handed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: Attempts the mail server deferred (no listener, a 4xx) before the last.
    retries: Mapped[int] = mapped_column(Integer, default=0)
    #: When the address was found not to take mail: a 5xx at sending, or a bounce after.
    bounced_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Bounce(Base):
    """Every bounce report received, by SMTP or webhook: applied, or kept for review with why not."""

    __tablename__ = "bounces"
    __table_args__ = (
        UniqueConstraint("fingerprint"),
        Index("ix_bounces_status", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    #: A digest of what arrived (and, for a report naming several recipients, which one):
    #: the same report received twice is stored once.
    fingerprint: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(8))  # smtp | webhook
    #: hard | soft | unknown
    severity: Mapped[str] = mapped_column(String(8))
    #: pending | applied | no_effect | unmatched | forged | unreadable
    status: Mapped[str] = mapped_column(String(12))
    delivery_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    ballot_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    membership_number: Mapped[str | None] = mapped_column(String(64), nullable=True)
    recipient: Mapped[str] = mapped_column(String(320), default="")
    #: What the remote server said (status code and diagnostic words).
    diagnostic: Mapped[str] = mapped_column(Text, default="")
    #: Why it was applied or kept, in words an operator reads.
    note: Mapped[str] = mapped_column(Text, default="")
    #: What arrived (the start of it), for review.
    raw: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Ballot(Base):
    """Read model of each ballot: its title and timetable for the letters, its phase."""

    __tablename__ = "ballots"
    ballot_id: Mapped[int] = mapped_column(primary_key=True)
    phase: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200), default="")
    #: The ballot's timetable (ISO timestamps by key, e.g. ``closes_at``), for the letters.
    timetable: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    #: The candidates' statements by contest (``letters.statements_of``), for the code letter.
    statements: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)


class Voted(Base):
    """Read model of the tally's marked register (``ballots.marked``): who has voted, never how.

    The mailer reminds only those not in it.
    """

    __tablename__ = "voted"
    ballot_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    membership_number: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(8))  # online | postal
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Withdrawn(Base):
    """Voters withdrawn from a ballot (``voters.withdrawn``), and when: not reminded unless a
    code was issued to them again since."""

    __tablename__ = "withdrawn"
    ballot_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    membership_number: Mapped[str] = mapped_column(String(64), primary_key=True)
    withdrawn_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Reminder(Base):
    """What the reminder run decided for one voter at one reminder time: exactly one row each."""

    __tablename__ = "reminders"
    __table_args__ = (UniqueConstraint("ballot_id", "membership_number", "slot"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(Integer)
    membership_number: Mapped[str] = mapped_column(String(64))
    #: The reminder time of the timetable this row answers.
    slot: Mapped[datetime] = mapped_column(UTCDateTime())
    #: email | letter (a delivery was recorded), or skipped_<why>.
    outcome: Mapped[str] = mapped_column(String(32))
    #: The reminder's delivery, when one was recorded.
    delivery_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReminderRun(Base):
    """A reminder time a ballot's reminder run has finished: every voter with a code then
    decided. Later runs skip it."""

    __tablename__ = "reminder_runs"
    ballot_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slot: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime())


add_kernel_tables(Base.metadata)
