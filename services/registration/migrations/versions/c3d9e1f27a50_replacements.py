"""replacement codes asked for: by the member, an officer or an operator, and what came of it

Revision ID: c3d9e1f27a50
Revises: 5b1e0c7d2a44
Create Date: 2026-12-07 04:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import rollcall.db

revision: str = "c3d9e1f27a50"
down_revision: str | None = "5b1e0c7d2a44"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "replacements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ballot_id", sa.Integer(), nullable=False),
        sa.Column("membership_number", sa.String(length=64), nullable=False),
        sa.Column("association", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_at", rollcall.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("replacements", schema=None) as batch_op:
        batch_op.create_index(
            "ix_replacements_ballot_member", ["ballot_id", "membership_number"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("replacements", schema=None) as batch_op:
        batch_op.drop_index("ix_replacements_ballot_member")
    op.drop_table("replacements")
