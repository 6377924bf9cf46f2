"""Tables of the codes service only. No code is stored, only its keyed hash."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from rollcall.db import UTCDateTime
from rollcall.tables import add_kernel_tables


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Ballot(Base):
    """Read model of each ballot's phase, fed by ballot events."""

    __tablename__ = "ballots"
    ballot_id: Mapped[int] = mapped_column(primary_key=True)
    phase: Mapped[str] = mapped_column(String(16))
    cooling_off_hours: Mapped[int] = mapped_column(Integer, default=0)
    #: A test ballot (``test: true`` in its definition): its codes move no real-ballot metric.
    test: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class AccessCode(Base):
    __tablename__ = "codes"
    __table_args__ = (UniqueConstraint("ballot_id", "membership_number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(Integer)
    membership_number: Mapped[str] = mapped_column(String(64))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16))  # issued | redeemed | revoked
    generation: Mapped[int] = mapped_column(Integer, default=1)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime())
    redeemed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class FailedAttempt(Base):
    """Wrong codes per client and minute, and the last one's time: for slowing a client down."""

    __tablename__ = "failed_attempts"
    client: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    last_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


add_kernel_tables(Base.metadata)
