"""ballots.statements: the candidates' statements, printed with the code letter

Revision ID: a8c4e1f7d302
Revises: d5f7b9c1e3a4
Create Date: 2026-12-07 12:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a8c4e1f7d302"
down_revision: str | None = "d5f7b9c1e3a4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ballots", schema=None) as batch_op:
        batch_op.add_column(sa.Column("statements", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ballots", schema=None) as batch_op:
        batch_op.drop_column("statements")
