"""withdrawals: candidates withdrawn from a contest after the papers were out

Revision ID: 7d4f2a9b3c61
Revises: 9c3e7a1f5d24
Create Date: 2026-12-07 13:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '7d4f2a9b3c61'
down_revision: str | None = '9c3e7a1f5d24'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('withdrawals',
    sa.Column('ballot_id', sa.Integer(), nullable=False),
    sa.Column('contest_id', sa.String(length=64), nullable=False),
    sa.Column('candidate', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ballot_id'], ['ballots.ballot_id'], ),
    sa.PrimaryKeyConstraint('ballot_id', 'contest_id', 'candidate')
    )


def downgrade() -> None:
    op.drop_table('withdrawals')
