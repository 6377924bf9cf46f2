"""bounces: every bounce report received; deliveries.retries and bounced_at

Revision ID: b7d2e5f9a314
Revises: b3d5e7f9a1c2
Create Date: 2026-12-07 04:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b7d2e5f9a314"
down_revision: str | None = "b3d5e7f9a1c2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retries", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("bounced_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "bounces",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=True),
        sa.Column("ballot_id", sa.Integer(), nullable=True),
        sa.Column("membership_number", sa.String(length=64), nullable=True),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("diagnostic", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("fingerprint"),
    )
    op.create_index("ix_bounces_status", "bounces", ["status"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_bounces_status", table_name="bounces")
    op.drop_table("bounces")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("bounced_at")
        batch_op.drop_column("retries")
