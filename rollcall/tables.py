"""Tables every service keeps in its own database: outbox, inbox, audit log."""

from __future__ import annotations

from sqlalchemy import MetaData

from rollcall.audit import audit_table
from rollcall.messaging.inbox import inbox_table
from rollcall.messaging.outbox import outbox_table


def add_kernel_tables(metadata: MetaData) -> None:
    """Add the outbox, inbox and audit_log tables to a service's metadata."""
    outbox_table(metadata)
    inbox_table(metadata)
    audit_table(metadata)
