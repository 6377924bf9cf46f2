"""Tables of the tally service only.

The marked register (``marks``) says who voted and by which channel, never
how. The ballot box (``box``) says how, never who: no voter id, no time, and a
random primary key, so neither the rows nor their order link a paper to a
voter. A paper is stored if and only if its mark commits in the same
transaction (``casting.cast``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from rollcall.db import UTCDateTime
from rollcall.tables import add_kernel_tables


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Ballot(Base):
    """Read model of the ballot definition, plus the box's own phase."""

    __tablename__ = "ballots"
    ballot_id: Mapped[int] = mapped_column(primary_key=True)
    definition: Mapped[dict[str, Any]]
    phase: Mapped[str] = mapped_column(String(16))


class SigningKey(Base):
    """The ballot's Ed25519 key: public half published, private half encrypted at rest."""

    __tablename__ = "signing_keys"
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.ballot_id"), primary_key=True)
    public_key: Mapped[str] = mapped_column(String(64))
    private_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Voter(Base):
    """A member enrolled to vote in a ballot (from ``voters.enrolled``)."""

    __tablename__ = "voters"
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.ballot_id"), primary_key=True)
    membership_number: Mapped[str] = mapped_column(String(64), primary_key=True)
    is_withdrawn: Mapped[bool] = mapped_column(default=False)


class Mark(Base):
    __tablename__ = "marks"
    # No rowid on SQLite: the physical order would be the order people voted.
    __table_args__ = {"sqlite_with_rowid": False}
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.ballot_id"), primary_key=True)
    membership_number: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(8))
    #: A keyed hash of the request that cast it (``repeats.mark_tag``), so the same request
    #: coming again is answered with its receipt; never the receipt. Erased at close.
    request_tag: Mapped[str | None] = mapped_column(String(64), nullable=True, default=None)


class Paper(Base):
    __tablename__ = "box"
    __table_args__ = {"sqlite_with_rowid": False}
    receipt: Mapped[str] = mapped_column(String(40), primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.ballot_id"), index=True)
    #: A list of names, or on a ballot with contests ``{contest id: [names]}`` (``contests``).
    choices: Mapped[Any] = mapped_column(JSON)


class PostalBatch(Base):
    __tablename__ = "postal_batches"
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.ballot_id"), primary_key=True)
    batch_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    teller: Mapped[str] = mapped_column(String(120))
    entered: Mapped[int] = mapped_column(Integer)
    refused: Mapped[int] = mapped_column(Integer)
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Refusal(Base):
    """A paper or vote refused, with the reason; shown in the reconciliation."""

    __tablename__ = "refusals"
    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.ballot_id"), index=True)
    channel: Mapped[str] = mapped_column(String(8))
    batch_id: Mapped[str] = mapped_column(String(64), default="")
    membership_number: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)


class Withdrawal(Base):
    """A candidate withdrawn from a contest after the papers were out (``withdrawals``)."""

    __tablename__ = "withdrawals"
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.ballot_id"), primary_key=True)
    contest_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    candidate: Mapped[str] = mapped_column(String(200), primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(120))
    withdrawn_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Result(Base):
    __tablename__ = "results"
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.ballot_id"), primary_key=True)
    result: Mapped[dict[str, Any]]
    bulletin_sha256: Mapped[str] = mapped_column(String(64))
    bulletin_path: Mapped[str] = mapped_column(Text)
    counted_at: Mapped[datetime] = mapped_column(UTCDateTime())


add_kernel_tables(Base.metadata)
