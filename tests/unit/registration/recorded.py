"""What registration wrote beside its tables, read back for assertions: outbox events and audit entries."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.registration.models import Base


def events(session: Session, event_type: str) -> list[dict[str, Any]]:
    """The payloads ``event_type`` wrote to the outbox in this session, oldest first."""
    outbox = Base.metadata.tables["outbox"]
    rows = session.execute(
        select(outbox.c.payload).where(outbox.c.event_type == event_type).order_by(outbox.c.id)
    ).scalars()
    return [json.loads(p) for p in rows]


def audit_actions(session: Session) -> list[tuple[str, str, str]]:
    """(action, subject, reason) of every audit entry, oldest first."""
    log = Base.metadata.tables["audit_log"]
    return [
        tuple(r)
        for r in session.execute(
            select(log.c.action, log.c.subject, log.c.reason).order_by(log.c.seq)
        )
    ]
