"""The transactional outbox, and the relay that empties it.

``emit(session, ...)`` writes an event into the service's ``outbox`` table in
the caller's transaction: the event exists if and only if the state change it
describes committed. The relay (``OutboxRelay``, a nameko extension every
service runs) publishes unsent rows in id order with confirms and marks them
sent only after the broker confirmed them. A crash between publish and mark
publishes the batch again; consumers' inboxes make that harmless.

On PostgreSQL the relay claims rows with ``FOR UPDATE SKIP LOCKED`` so several
replicas of a service share the work; SQLite ignores row locks, so there one
relay per database is correct (the demo runs one process per service).
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    select,
    update,
)
from sqlalchemy.orm import Session

from rollcall import metrics
from rollcall.db import is_postgres
from rollcall.messaging import contracts
from rollcall.messaging.publisher import Messaging, Outgoing
from rollcall.messaging.topology import PRODUCER_HEADER, SCHEMA_HEADER
from rollcall.runtime import BackgroundLoop, Database

log = logging.getLogger(__name__)


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "outbox",
        metadata,
        Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
        Column("message_id", String(36), nullable=False, unique=True),
        Column("event_type", String(64), nullable=False),
        Column("correlation_id", String(64), nullable=False),
        Column("schema_version", Integer, nullable=False),
        Column("payload", Text, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("published_at", DateTime(timezone=True), nullable=True),
        Index(
            "ix_outbox_unpublished",
            "id",
            postgresql_where=Column("published_at").is_(None),
            sqlite_where=Column("published_at").is_(None),
        ),
    )


_outbox = Table(
    "outbox",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("message_id", String),
    Column("event_type", String),
    Column("correlation_id", String),
    Column("schema_version", Integer),
    Column("payload", Text),
    Column("created_at", DateTime(timezone=True)),
    Column("published_at", DateTime(timezone=True)),
)


#: Built once and given the row as parameters: building ``insert().values(...)`` for each
#: event (and its cache key) cost more than the insert (130 us against 57 us an event).
_INSERT = _outbox.insert()


def emit(
    session: Session,
    event_type: str,
    payload: dict[str, Any],
    *,
    correlation_id: str | int,
    message_id: str | None = None,
) -> str:
    """Write ``event_type`` to the outbox in ``session``'s transaction; return its message id.

    The session remembers it (``emitted``), so the entrypoint wakes the relay
    after the commit only when there is something to publish.
    """
    body = contracts.dump(event_type, payload)
    message_id = message_id or str(uuid.uuid4())
    session.execute(
        _INSERT,
        {
            "message_id": message_id,
            "event_type": event_type,
            "correlation_id": str(correlation_id),
            "schema_version": contracts.contract(event_type).version,
            "payload": json.dumps(body, sort_keys=True, separators=(",", ":")),
            "created_at": datetime.now(UTC),
        },
    )
    session.info[_EMITTED] = True
    return message_id


_EMITTED = "rollcall.outbox.emitted"


def emitted(session: Session) -> bool:
    """Whether ``emit`` wrote an event in ``session`` (since it was opened)."""
    return bool(session.info.get(_EMITTED))


def backlog(session: Session) -> int:
    return int(
        session.execute(
            select(func.count()).select_from(_outbox).where(_outbox.c.published_at.is_(None))
        ).scalar_one()
    )


def relay_once(factory, publisher, exchange: str, producer: str, batch: int) -> int:
    """Publish up to ``batch`` unsent events; return how many were confirmed and marked."""
    with factory() as session, session.begin():
        query = (
            select(_outbox)
            .where(_outbox.c.published_at.is_(None))
            .order_by(_outbox.c.id)
            .limit(batch)
        )
        if is_postgres(session.get_bind()):
            query = query.with_for_update(skip_locked=True)
        rows = session.execute(query).all()
        if not rows:
            return 0
        publisher.publish(
            [
                Outgoing.event(
                    exchange,
                    row.event_type,
                    row.payload,
                    message_id=row.message_id,
                    correlation_id=row.correlation_id,
                    headers={SCHEMA_HEADER: row.schema_version, PRODUCER_HEADER: producer},
                )
                for row in rows
            ]
        )
        session.execute(
            update(_outbox)
            .where(_outbox.c.id.in_([row.id for row in rows]))
            .values(published_at=datetime.now(UTC))
        )
    metrics.OUTBOX_PUBLISHED.labels(producer).inc(len(rows))
    return len(rows)


class OutboxRelay(BackgroundLoop):
    """Publishes the outbox in a loop for the service's lifetime.

    Declare it on the service class (``relay = OutboxRelay()``). Handlers may
    call ``self.relay.kick()`` after a commit to publish at once instead of at
    the next interval.
    """

    database = Database()
    messaging = Messaging()

    def setup(self) -> None:
        super().setup()
        self.interval = self.settings.relay_interval
        self.linger = self.settings.relay_linger

    def step(self) -> int:
        return relay_once(
            self.database.factory,
            self.messaging.publisher,
            self.messaging.topology.events_exchange,
            self.container.service_name,
            self.settings.relay_batch,
        )

    def idle(self) -> None:
        with self.database.factory() as session:
            metrics.OUTBOX_BACKLOG.labels(self.container.service_name).set(backlog(session))
