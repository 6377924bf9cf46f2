"""failed attempts keep the last one's time: a client is slowed down from it

Revision ID: c41d7a9e2b10
Revises: ab80ac57027b
Create Date: 2026-12-07 04:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "c41d7a9e2b10"
down_revision: str | None = "ab80ac57027b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("failed_attempts") as batch:
        batch.add_column(sa.Column("last_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("failed_attempts") as batch:
        batch.drop_column("last_at")
