"""ballots keep whether they are test ballots: their codes move no real-ballot metric

Revision ID: e7a3c1d9b5f2
Revises: c41d7a9e2b10
Create Date: 2026-12-07 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e7a3c1d9b5f2"
down_revision: str | None = "c41d7a9e2b10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ballots") as batch:
        batch.add_column(sa.Column("test", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("ballots") as batch:
        batch.drop_column("test")
