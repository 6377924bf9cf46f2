"""register_electors: one partition per version on PostgreSQL; street keys in the district

Revision ID: 3c5e0a9d2b71
Revises: 8f15f783beb9
Create Date: 2026-12-04 18:00:00.000000

On PostgreSQL ``register_electors`` becomes a table LIST-partitioned by
``version_id``: each version already loaded is copied into a partition of its
own (``register_electors_v<id>``) and attached. Everywhere the surrogate ``id``
goes (the primary key is ``(version_id, elector_id)``, which was unique
already; on PostgreSQL ``elector_id`` is compared bytewise, ``COLLATE "C"``),
the key indexes index only non-empty keys with ``text_pattern_ops``,
and the street keys (``sn|``, ``ss|``) of electors with a postcode are rewritten
within their postcode district: ``sn|HIGH STREET|10`` -> ``sn|HIGH STREET|10@E8``
(the district is the postcode in ``key_postcode`` without its last three
characters, as ``records.street_key_in_district`` writes it).
"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '3c5e0a9d2b71'
down_revision: str | None = '8f15f783beb9'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY_COLUMNS = (
    "key_premise_postcode", "key_premise_postcode_2", "key_premise_street",
    "key_premise_street_2", "key_flat_postcode", "key_flat_street", "key_surname_postcode",
    "key_surname_street", "key_postcode",
)
STREET_KEY_COLUMNS = ("key_premise_street", "key_premise_street_2", "key_surname_street")
REGISTER_COLUMNS = (
    "elector_id", "surname", "forenames", "address_1", "address_2", "address_3",
    "address_4", "address_5", "postcode", "ward", "constituency", "markers", "attainer_dob",
)
COLUMNS = ("version_id", "line_number", *REGISTER_COLUMNS, *KEY_COLUMNS)
OLD = "register_electors_unpartitioned"
NEW = "register_electors_partitioned"


def _register_columns() -> list[sa.Column]:
    return [
        sa.Column('surname', sa.Text(), nullable=False),
        sa.Column('forenames', sa.Text(), nullable=False),
        sa.Column('address_1', sa.Text(), nullable=False),
        sa.Column('address_2', sa.Text(), nullable=False),
        sa.Column('address_3', sa.Text(), nullable=False),
        sa.Column('address_4', sa.Text(), nullable=False),
        sa.Column('address_5', sa.Text(), nullable=False),
        sa.Column('postcode', sa.String(length=16), nullable=False),
        sa.Column('ward', sa.Text(), nullable=False),
        sa.Column('constituency', sa.Text(), nullable=False),
        sa.Column('markers', sa.String(length=32), nullable=False),
        sa.Column('attainer_dob', sa.String(length=32), nullable=False),
        *(sa.Column(c, sa.Text(), nullable=True) for c in KEY_COLUMNS),
    ]


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _in_district(column: str) -> str:
    return (
        f"CASE WHEN key_postcode IS NULL OR {column} IS NULL THEN {column} "
        f"ELSE {column} || '@' || substr(key_postcode, 3, length(key_postcode) - 5) END"
    )


def _city_wide(column: str) -> str:
    at = f"strpos({column}, '@')" if _postgres() else f"instr({column}, '@')"
    return f"CASE WHEN {at} > 0 THEN substr({column}, 1, {at} - 1) ELSE {column} END"


def _copy(source: str, target: str, rewrite: Callable[[str], str], where: str = "") -> None:
    values = [rewrite(c) if c in STREET_KEY_COLUMNS else c for c in COLUMNS]
    op.execute(
        f"INSERT INTO {target} ({', '.join(COLUMNS)}) "
        f"SELECT {', '.join(values)} FROM {source} {where} ORDER BY version_id, line_number"
    )


def _drop_old_indexes() -> None:
    for column in KEY_COLUMNS:
        op.drop_index(f"ix_register_electors_{column}", table_name="register_electors")


def upgrade() -> None:
    postgres = _postgres()
    _drop_old_indexes()
    if postgres:
        op.drop_constraint("uq_register_electors_version_elector", "register_electors")
        op.execute("ALTER INDEX register_electors_pkey RENAME TO register_electors_unpartitioned_pkey")
    op.rename_table("register_electors", OLD)
    op.create_table(
        'register_electors',
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('elector_id', sa.String(length=64).with_variant(sa.String(length=64, collation='C'), 'postgresql'), nullable=False),
        sa.Column('line_number', sa.Integer(), nullable=False),
        *_register_columns(),
        sa.ForeignKeyConstraint(['version_id'], ['register_versions.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('version_id', 'elector_id'),
        postgresql_partition_by="LIST (version_id)",
    )
    if postgres:
        versions = op.get_bind().execute(sa.text(f"SELECT DISTINCT version_id FROM {OLD}"))
        for (version_id,) in versions.all():
            partition = f"register_electors_v{int(version_id)}"
            op.execute(
                f"CREATE TABLE {partition} (LIKE register_electors INCLUDING DEFAULTS, "
                f"CONSTRAINT {partition}_version CHECK (version_id = {int(version_id)}))"
            )
            _copy(OLD, partition, _in_district, f"WHERE version_id = {int(version_id)}")
            op.execute(
                f"ALTER TABLE register_electors ATTACH PARTITION {partition} "
                f"FOR VALUES IN ({int(version_id)})"
            )
    else:
        _copy(OLD, "register_electors", _in_district)
    op.drop_table(OLD)
    for column in KEY_COLUMNS:
        op.create_index(
            f"ix_register_electors_{column}", "register_electors", [column],
            postgresql_ops={column: "text_pattern_ops"},
            postgresql_where=sa.text(f"{column} IS NOT NULL"),
            sqlite_where=sa.text(f"{column} IS NOT NULL"),
        )


def downgrade() -> None:
    postgres = _postgres()
    _drop_old_indexes()
    if postgres:
        op.execute("ALTER INDEX register_electors_pkey RENAME TO register_electors_partitioned_pkey")
    op.rename_table("register_electors", NEW)
    op.create_table(
        'register_electors',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('line_number', sa.Integer(), nullable=False),
        sa.Column('elector_id', sa.String(length=64), nullable=False),
        *_register_columns(),
        sa.ForeignKeyConstraint(['version_id'], ['register_versions.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('version_id', 'elector_id', name='uq_register_electors_version_elector'),
    )
    _copy(NEW, "register_electors", _city_wide)
    op.drop_table(NEW)  # on PostgreSQL with its partitions
    for column in KEY_COLUMNS:
        op.create_index(f"ix_register_electors_{column}", "register_electors", ["version_id", column])
