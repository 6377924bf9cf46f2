"""withdrawn: voters withdrawn from a ballot, whom the reminders leave out

Revision ID: c4e6a8b0d2f1
Revises: b7d2e5f9a314
Create Date: 2026-12-07 04:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c4e6a8b0d2f1"
down_revision: str | None = "b7d2e5f9a314"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "withdrawn",
        sa.Column("ballot_id", sa.Integer(), nullable=False),
        sa.Column("membership_number", sa.String(length=64), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("ballot_id", "membership_number"),
    )


def downgrade() -> None:
    op.drop_table("withdrawn")
