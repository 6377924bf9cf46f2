"""marks.request_tag: a keyed hash of the request that cast the vote

Revision ID: 9c3e7a1f5d24
Revises: 5b2d8e4c1a90
Create Date: 2026-12-07 12:40:00.000000

A vote that comes again with the request that cast it (a redelivery after a
crash, a caller's retry) is answered with its receipt instead of "already
voted" (``services/tally/repeats.py``). Nullable: marks cast before, postal
marks and closed ballots have none.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "9c3e7a1f5d24"
down_revision: str | None = "5b2d8e4c1a90"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("marks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_tag", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("marks", schema=None) as batch_op:
        batch_op.drop_column("request_tag")
