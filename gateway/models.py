"""Tables of the gateway only: its users, their tokens' hashes, and rate-limit counters.

A user is a person (or a system); a token belongs to one user, and a user
may hold several (a laptop and a phone), each made and revoked on its own.
Two-person rules compare users, so two tokens of one person are one person.
A token is never stored: only its SHA-256 (``token_hash``), unique, so a
token names at most one user. A revoked user or token keeps its row, with
who revoked it and when, so the audit log's actors stay resolvable.

``rate_limits`` holds how many requests each key (a hashed client address or
membership number) made in each minute, so that every gateway replica counts
against the same limit. Rows older than the limit's window are purged.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from rollcall.db import UTCDateTime
from rollcall.tables import add_kernel_tables


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    association: Mapped[str | None] = mapped_column(String(32), nullable=True)
    #: A teller's one ballot.
    ballot_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(Text)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_by: Mapped[str | None] = mapped_column(Text, nullable=True)


class Token(Base):
    __tablename__ = "tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(Text)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_by: Mapped[str | None] = mapped_column(Text, nullable=True)


class RateLimit(Base):
    __tablename__ = "rate_limits"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True, index=True)
    count: Mapped[int] = mapped_column(Integer)


add_kernel_tables(Base.metadata)
