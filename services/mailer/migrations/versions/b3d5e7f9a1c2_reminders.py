"""voted and reminders: the marked register's read model, and one reminder per voter and time

Revision ID: b3d5e7f9a1c2
Revises: 8e1f4a6b2c93
Create Date: 2026-12-07 04:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b3d5e7f9a1c2"
down_revision: str | None = "8e1f4a6b2c93"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "voted",
        sa.Column("ballot_id", sa.Integer(), nullable=False),
        sa.Column("membership_number", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("ballot_id", "membership_number"),
    )
    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ballot_id", sa.Integer(), nullable=False),
        sa.Column("membership_number", sa.String(length=64), nullable=False),
        sa.Column("slot", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ballot_id", "membership_number", "slot"),
    )


def downgrade() -> None:
    op.drop_table("reminders")
    op.drop_table("voted")
