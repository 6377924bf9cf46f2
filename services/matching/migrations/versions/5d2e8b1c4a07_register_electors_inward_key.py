"""register_electors: the house by postcode area, inward code and street (key_premise_inward)

Revision ID: 5d2e8b1c4a07
Revises: 3c5e0a9d2b71
Create Date: 2026-12-07 02:30:00.000000

Adds ``key_premise_inward`` (``pi|YO|4XX|12|HESLINGTON LANE``, ``records.inward_keys``) with its
partial index, as the other key columns have. On PostgreSQL the column and the
index are added to the partitioned table and so to every partition. Rows loaded before it get the key
from their ``key_premise_postcode`` (``pn|YO104XX|12``: the postcode and first
premise) and ``key_premise_street`` (``sn|HESLINGTON LANE|12@YO10``: the street), in
SQL (the street only for a numbered house), so a register already loaded needs no
re-import.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '5d2e8b1c4a07'
down_revision: str | None = '3c5e0a9d2b71'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMN = "key_premise_inward"
INDEX = f"ix_register_electors_{COLUMN}"


def _inward_from_premise_key() -> str:
    """``pn|YO104XX|12`` and ``sn|HESLINGTON LANE|12@YO10`` -> ``pi|YO|4XX|12|HESLINGTON
    LANE`` as SQL on ``key_premise_postcode`` and ``key_premise_street``."""
    find = "strpos({}, '|')" if op.get_bind().dialect.name == "postgresql" else "instr({}, '|')"
    rest = "substr(key_premise_postcode, 4)"
    bar = find.format(rest)
    postcode = f"substr({rest}, 1, {bar} - 1)"
    area = (
        f"CASE WHEN substr({postcode}, 2, 1) BETWEEN 'A' AND 'Z' "
        f"THEN substr({postcode}, 1, 2) ELSE substr({postcode}, 1, 1) END"
    )
    inward = f"substr({postcode}, length({postcode}) - 2)"
    premise = f"substr({rest}, {bar} + 1)"
    # "sn|" street "|" premise "@" district, the district being the postcode less three.
    size = f"length(key_premise_street) - length({premise}) - length({postcode}) - 2"
    street = (
        f"CASE WHEN substr({premise}, 1, 1) BETWEEN '0' AND '9' "
        f"THEN COALESCE(substr(key_premise_street, 4, {size}), '') ELSE '' END"
    )  # a house name is looked up without its street (records._inward_key)
    return f"'pi|' || {area} || '|' || {inward} || '|' || {premise} || '|' || {street}"


def upgrade() -> None:
    op.add_column("register_electors", sa.Column(COLUMN, sa.Text(), nullable=True))
    op.execute(
        f"UPDATE register_electors SET {COLUMN} = {_inward_from_premise_key()} "
        "WHERE key_premise_postcode IS NOT NULL"
    )
    op.create_index(
        INDEX, "register_electors", [COLUMN],
        postgresql_ops={COLUMN: "text_pattern_ops"},
        postgresql_where=sa.text(f"{COLUMN} IS NOT NULL"),
        sqlite_where=sa.text(f"{COLUMN} IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="register_electors")
    with op.batch_alter_table("register_electors") as batch:
        batch.drop_column(COLUMN)
