"""ballots: what the paper holds beyond one list of candidates (contests, statements)

Revision ID: e4a7c2d91b36
Revises: c3d9e1f27a50
Create Date: 2026-12-07 12:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e4a7c2d91b36"
down_revision: str | None = "c3d9e1f27a50"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ballots", schema=None) as batch_op:
        batch_op.add_column(sa.Column("paper", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ballots", schema=None) as batch_op:
        batch_op.drop_column("paper")
