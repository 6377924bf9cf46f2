"""reviews: index (ballot_id, membership_number), so a chunk finds its members' open reviews

Revision ID: b7d3e1f09a52
Revises: a4f9e2c7d310
Create Date: 2026-12-07 20:15:00

``decisions._supersede`` reads the open reviews of a chunk's members; with only
``ix_reviews_queue`` (ballot, association, status) it read every review of the
ballot for each chunk, a cost that grows with the reviews opened so far.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "b7d3e1f09a52"
down_revision: str | None = "a4f9e2c7d310"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_reviews_member", "reviews", ["ballot_id", "membership_number"])


def downgrade() -> None:
    op.drop_index("ix_reviews_member", table_name="reviews")
