"""test_ballots: the ballots created with test: true, whose decisions move no real-ballot metric

Revision ID: a4f9e2c7d310
Revises: 5d2e8b1c4a07
Create Date: 2026-12-07 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a4f9e2c7d310"
down_revision: str | None = "5d2e8b1c4a07"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "test_ballots",
        sa.Column("ballot_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("ballot_id"),
    )


def downgrade() -> None:
    op.drop_table("test_ballots")
