"""Which mailer replica sends a pending delivery: the one that claims it first.

Two mailers (replicas, or one restarted while the old one is still stopping)
may pick the same pending deliveries in the same moment. Without a claim both
would send them, and the voter would get the email twice (the same
Message-ID, which not every mailbox folds into one). ``Claims.take`` keeps
only the deliveries this process could claim and that are still pending once
claimed: on PostgreSQL a claim is a session advisory lock per delivery, taken
without waiting and held on a connection of its own until the flush is over,
so a process that dies drops its claims at once and nothing waits for a
timeout. A flush records its outcomes before it lets its claims go, so a
mailer that claims a delivery after that sees it is no longer pending.

SQLite (the demo's single mailer) has no such locks and needs none: ``take``
keeps every delivery.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, text

from rollcall.db import is_postgres

#: The first key of the mailer's advisory locks (the second is the delivery id).
LOCK_SPACE = 0x6D61696C  # "mail"


class Claims:
    """The deliveries one flush of one process may send."""

    def __init__(self, connection: Connection | None) -> None:
        self.connection = connection

    def take(self, ids: Iterable[int]) -> set[int]:
        """Of ``ids``, those now claimed by this flush and still pending."""
        wanted = sorted(set(ids))
        if self.connection is None or not wanted:
            return set(wanted)
        claimed = self.connection.execute(
            text(
                "SELECT id FROM unnest(CAST(:ids AS integer[])) AS id"
                " WHERE pg_try_advisory_lock(:space, id)"
            ),
            {"ids": wanted, "space": LOCK_SPACE},
        ).scalars()
        return set(
            self.connection.execute(
                text(
                    "SELECT id FROM deliveries WHERE id = ANY(CAST(:ids AS integer[]))"
                    " AND status = 'pending'"
                ),
                {"ids": list(claimed)},
            ).scalars()
        )


@contextmanager
def claims(engine: Engine) -> Iterator[Claims]:
    """Claims held for one flush; every one is let go when it ends, however it ends."""
    if not is_postgres(engine):
        yield Claims(None)
        return
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        try:
            yield Claims(connection)
        finally:
            connection.execute(text("SELECT pg_advisory_unlock_all()"))
