"""tokens belong to users: a person may hold several, and rules compare people

Revision ID: 5e2b8c71d0a4
Revises: 9f30cd6f46b1
Create Date: 2026-12-07 04:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e2b8c71d0a4"
down_revision: str | None = "9f30cd6f46b1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("tokens") as batch:
        batch.create_index(batch.f("ix_tokens_user_id"), ["user_id"], unique=False)
    # Every user's one token so far becomes their first token.
    op.execute(
        "INSERT INTO tokens (user_id, token_hash, created_at, created_by, revoked_at, revoked_by)"
        " SELECT id, token_hash, created_at, created_by, revoked_at, revoked_by FROM users"
    )
    with op.batch_alter_table("users") as batch:
        batch.drop_column("token_hash")


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("token_hash", sa.String(length=64), nullable=True))
    op.execute(
        "UPDATE users SET token_hash = (SELECT min(t.token_hash) FROM tokens t"
        " WHERE t.user_id = users.id)"
    )
    with op.batch_alter_table("tokens") as batch:
        batch.drop_index(batch.f("ix_tokens_user_id"))
    op.drop_table("tokens")
