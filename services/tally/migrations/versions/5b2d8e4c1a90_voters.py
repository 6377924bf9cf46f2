"""electorate -> voters: an enrolled voter is a Voter, kept in ``voters``

Revision ID: 5b2d8e4c1a90
Revises: eedff523aa73
Create Date: 2026-12-07 01:20:00.000000

A rename only: the rows, the primary key (ballot, membership number) and the
foreign key to ``ballots`` are kept. On PostgreSQL the constraints keep the
names PostgreSQL would give them on a table created as ``voters``.
"""

from collections.abc import Sequence

from alembic import op


revision: str = '5b2d8e4c1a90'
down_revision: str | None = 'eedff523aa73'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _rename(old: str, new: str) -> None:
    op.rename_table(old, new)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE {new} RENAME CONSTRAINT {old}_pkey TO {new}_pkey")
        op.execute(
            f"ALTER TABLE {new} RENAME CONSTRAINT {old}_ballot_id_fkey TO {new}_ballot_id_fkey"
        )


def upgrade() -> None:
    _rename("electorate", "voters")


def downgrade() -> None:
    _rename("voters", "electorate")
