"""Tables of the registration service only."""

from __future__ import annotations

from contextvars import ContextVar
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, validates

from rollcall.db import UTCDateTime
from rollcall.tables import add_kernel_tables


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Ballot(Base):
    __tablename__ = "ballots"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(16))
    seats: Mapped[int] = mapped_column(Integer)
    candidates: Mapped[list[Any]]
    area: Mapped[list[Any]]
    timetable: Mapped[dict[str, Any]]
    eligibility: Mapped[dict[str, Any]]
    seed: Mapped[str] = mapped_column(String(64))
    #: What the ballot paper holds beyond one list of candidates: ``contests`` (then
    #: ``method`` is ``contests``, ``seats`` 0 and ``candidates`` empty), or the single
    #: contest's ``instructions`` and ``statements``. None for a plain ballot.
    paper: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    phase: Mapped[str] = mapped_column(String(16), default="draft")
    #: Who asked to resume a paused ballot; a different person must approve.
    resume_requested_by: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Extract(Base):
    __tablename__ = "extracts"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.id"), index=True)
    source: Mapped[str] = mapped_column(String(200))
    file_name: Mapped[str] = mapped_column(String(400))
    header: Mapped[list[Any]]
    declared_rows: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # receiving | complete | refused
    refusal: Mapped[str] = mapped_column(Text, default="")
    received_rows: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    #: Of the rejected rows, how many an officer corrected and admitted since.
    corrected: Mapped[int] = mapped_column(Integer, default=0)
    #: How the file was read (intake's summary: kind, encoding, delimiter, sheet, extra columns).
    read_as: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ExtractChunk(Base):
    __tablename__ = "extract_chunks"
    extract_id: Mapped[str] = mapped_column(ForeignKey("extracts.id"), primary_key=True)
    chunk: Mapped[int] = mapped_column(Integer, primary_key=True)
    rows: Mapped[int] = mapped_column(Integer)


class Member(Base):
    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("ballot_id", "membership_number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.id"))
    extract_id: Mapped[str] = mapped_column(ForeignKey("extracts.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    membership_number: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(40), default="")
    first_name: Mapped[str] = mapped_column(String(200))
    last_name: Mapped[str] = mapped_column(String(200))
    address_1: Mapped[str] = mapped_column(String(200), default="")
    address_2: Mapped[str] = mapped_column(String(200), default="")
    address_3: Mapped[str] = mapped_column(String(200), default="")
    town: Mapped[str] = mapped_column(String(200), default="")
    postcode: Mapped[str] = mapped_column(String(16), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    date_of_birth: Mapped[str] = mapped_column(String(10), default="")
    joined_on: Mapped[str] = mapped_column(String(10), default="")
    association: Mapped[str] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(16))
    payment_reference: Mapped[str] = mapped_column(String(64), default="")
    dues_paid_to: Mapped[str] = mapped_column(String(10), default="")
    elector_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: When the membership system last changed this member: an older update never wins.
    source_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class DroppedRow(Base):
    """A row of an extract that did not become a member: rejected, a duplicate, or a conflict.

    ``kind`` is ``rejected`` (``reasons`` say why), ``duplicate`` (the same
    member seen before, at ``first_seen``) or ``conflict`` (a duplicate whose
    ``differs`` fields disagree with the first copy). ``status`` is ``open``
    until an officer corrects a rejected row or resolves a conflict.
    """

    __tablename__ = "dropped_rows"
    __table_args__ = (Index("ix_dropped_rows_ballot_association", "ballot_id", "association"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.id"))
    extract_id: Mapped[str] = mapped_column(ForeignKey("extracts.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(12))  # rejected | duplicate | conflict
    status: Mapped[str] = mapped_column(String(12), default="open")  # open | corrected | resolved
    membership_number: Mapped[str] = mapped_column(String(64), default="")
    association: Mapped[str] = mapped_column(String(32), default="")  # resolved code, or ''
    association_as_given: Mapped[str] = mapped_column(Text, default="")
    row: Mapped[dict[str, Any]]  # format column -> value as received
    extra: Mapped[dict[str, Any]]  # the file's extra columns -> value
    raw: Mapped[str] = mapped_column(Text, default="")
    reasons: Mapped[list[Any]]
    first_seen: Mapped[str | None] = mapped_column(Text, nullable=True)
    differs: Mapped[list[Any]]
    outcome: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Association(Base):
    """An association of the party: its code, its name and the other names it goes by."""

    __tablename__ = "associations"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    aliases: Mapped[list[Any]]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


#: True only while ``services.registration.ledger_writer`` writes: the ledger's one writer.
LEDGER_WRITER: ContextVar[bool] = ContextVar("ledger_writer", default=False)


class LedgerWriteRefused(RuntimeError):
    """Code outside the ledger module tried to set a member's ledger state."""


class LedgerEntry(Base):
    """A member's state in a ballot. Only ``services.registration.ledger_writer`` may create or change one."""

    __tablename__ = "ledger"
    __table_args__ = (Index("ix_ledger_ballot_state", "ballot_id", "state"),)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.id"), primary_key=True)
    membership_number: Mapped[str] = mapped_column(String(64), primary_key=True)
    association: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    @validates("state", "reason")
    def _written_by_the_ledger(self, field: str, value: str) -> str:
        if not LEDGER_WRITER.get():
            raise LedgerWriteRefused(
                f"a ledger {field} is set only through services.registration.ledger_writer"
            )
        return value


class PendingChange(Base):
    """A contact change after the freeze, waiting for a second person's approval."""

    __tablename__ = "pending_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.id"), index=True)
    membership_number: Mapped[str] = mapped_column(String(64))
    changes: Mapped[dict[str, Any]]
    requested_by: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12))  # pending | approved | refused
    decided_by: Mapped[str | None] = mapped_column(Text, nullable=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Complaint(Base):
    """A complaint about a ballot: a case with a state, evidence and a deadline."""

    __tablename__ = "complaints"
    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.id"), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16))
    opened_by: Mapped[str] = mapped_column(Text)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime())
    outcome: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Evidence(Base):
    __tablename__ = "complaint_evidence"
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    added_by: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Replacement(Base):
    """A replacement code asked for: by the member (self-service), an officer or an operator.

    ``outcome`` is ``reissued`` (a new code goes by ``channel``; the old one is
    revoked) or why not (``not_matched``, ``no_code``, ``voted``, ``in_flight``,
    ``cut_off``). No contact detail the member gave is kept.
    """

    __tablename__ = "replacements"
    __table_args__ = (Index("ix_replacements_ballot_member", "ballot_id", "membership_number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(Integer)
    membership_number: Mapped[str] = mapped_column(String(64))
    #: The member's association, or '' when no member has this number.
    association: Mapped[str] = mapped_column(String(32), default="")
    source: Mapped[str] = mapped_column(String(16))  # member | officer | operator
    actor: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(8), default="")  # email | post | ''
    reason: Mapped[str] = mapped_column(Text, default="")
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())


add_kernel_tables(Base.metadata)
