"""The match decisions and the review queue of the matching service."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from rollcall.db import UTCDateTime
from services.matching.models.base import Base


class MatchDecision(Base):
    """The current decision for a member in a ballot, with its evidence."""

    __tablename__ = "match_decisions"
    __table_args__ = (
        UniqueConstraint("ballot_id", "membership_number"),
        # One member to one elector, across chunks and replicas.
        Index(
            "ux_match_decisions_elector",
            "ballot_id",
            "elector_id",
            unique=True,
            postgresql_where=text("decision = 'match'"),
            sqlite_where=text("decision = 'match'"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(Integer)
    membership_number: Mapped[str] = mapped_column(String(64))
    association: Mapped[str] = mapped_column(String(32), default="")
    decision: Mapped[str] = mapped_column(String(12))
    elector_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    score: Mapped[float] = mapped_column(Float)
    reasons: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]]
    ward: Mapped[str | None] = mapped_column(String(32), nullable=True)
    is_eligible: Mapped[bool] = mapped_column(default=False)
    exclusion: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_by: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Review(Base):
    """A member whose match needs a person: candidates with evidence, then a decision."""

    __tablename__ = "reviews"
    __table_args__ = (
        Index("ix_reviews_queue", "ballot_id", "association", "status"),
        # A chunk finds its members' open reviews (to supersede) without reading the ballot's.
        Index("ix_reviews_member", "ballot_id", "membership_number"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(Integer)
    membership_number: Mapped[str] = mapped_column(String(64))
    association: Mapped[str] = mapped_column(String(32))
    member: Mapped[dict[str, Any]]
    area: Mapped[list[Any]]
    candidates: Mapped[list[Any]]
    reasons: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12))  # open | accepted | rejected | superseded
    decided_by: Mapped[str | None] = mapped_column(Text, nullable=True)
    decision_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
