"""ballots.timetable: the ballot's dates, printed on its letters

Revision ID: 8e1f4a6b2c93
Revises: 7c3a9e2d5b18
Create Date: 2026-12-07 02:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8e1f4a6b2c93"
down_revision: str | None = "7c3a9e2d5b18"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ballots", schema=None) as batch_op:
        batch_op.add_column(sa.Column("timetable", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ballots", schema=None) as batch_op:
        batch_op.drop_column("timetable")
