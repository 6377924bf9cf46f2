"""The inbox: each handled message id, recorded with its effect.

``accept(session, meta, handler)`` inserts (message id, handler) in the
caller's transaction and says whether this is the first time. The caller does
its effect only when it is; since both commit together, a redelivered message
(after a crash between commit and ack, or a duplicate publish from the outbox
relay) finds its id already there and has no second effect. A concurrent
duplicate blocks on the primary key until the first commits, then sees it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Column, CursorResult, DateTime, MetaData, String, Table, bindparam, text
from sqlalchemy.orm import Session


def inbox_table(metadata: MetaData) -> Table:
    return Table(
        "inbox",
        metadata,
        Column("message_id", String(64), primary_key=True),
        Column("handler", String(96), primary_key=True),
        Column("processed_at", DateTime(timezone=True), nullable=False),
    )


_inbox = Table(
    "inbox",
    MetaData(),
    Column("message_id", String, primary_key=True),
    Column("handler", String, primary_key=True),
    Column("processed_at", DateTime(timezone=True)),
)


#: The same SQL on SQLite and PostgreSQL. Written out rather than built with the dialects'
#: ``insert(...).on_conflict_do_nothing()``, which SQLAlchemy cannot cache: that was
#: compiled again for every message every handler took (``docs/scaling.md``, "Votes").
_ACCEPT = text(
    "INSERT INTO inbox (message_id, handler, processed_at) "
    "VALUES (:message_id, :handler, :processed_at) ON CONFLICT DO NOTHING"
).bindparams(bindparam("processed_at", type_=DateTime(timezone=True)))


def accept(session: Session, message_id: str, handler: str) -> bool:
    """Record ``message_id`` for ``handler``; True if it was not seen before."""
    result = session.execute(
        _ACCEPT,
        {"message_id": message_id, "handler": handler, "processed_at": datetime.now(UTC)},
    )
    return bool(cast("CursorResult[Any]", result).rowcount)
