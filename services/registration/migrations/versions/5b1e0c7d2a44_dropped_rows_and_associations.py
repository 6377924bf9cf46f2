"""dropped rows (rejected, duplicate, conflict) in one table; associations; how an extract was read

Revision ID: 5b1e0c7d2a44
Revises: 37fa39f90bdd
Create Date: 2026-12-07 01:40:00.000000
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import rollcall.db

revision: str = "5b1e0c7d2a44"
down_revision: str | None = "37fa39f90bdd"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json(value):  # type: ignore[no-untyped-def]
    return json.loads(value) if isinstance(value, str) else value


def upgrade() -> None:
    with op.batch_alter_table("extracts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("corrected", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("read_as", sa.JSON(), nullable=True))
    op.execute("UPDATE extracts SET read_as = '{}'")
    with op.batch_alter_table("extracts", schema=None) as batch_op:
        batch_op.alter_column("read_as", existing_type=sa.JSON(), nullable=False)
    op.create_table(
        "associations",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("created_at", rollcall.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    dropped = op.create_table(
        "dropped_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ballot_id", sa.Integer(), nullable=False),
        sa.Column("extract_id", sa.String(length=64), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("membership_number", sa.String(length=64), nullable=False),
        sa.Column("association", sa.String(length=32), nullable=False),
        sa.Column("association_as_given", sa.Text(), nullable=False),
        sa.Column("row", sa.JSON(), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("first_seen", sa.Text(), nullable=True),
        sa.Column("differs", sa.JSON(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.Text(), nullable=True),
        sa.Column("decided_at", rollcall.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["ballot_id"], ["ballots.id"]),
        sa.ForeignKeyConstraint(["extract_id"], ["extracts.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("dropped_rows", schema=None) as batch_op:
        batch_op.create_index(
            "ix_dropped_rows_ballot_association", ["ballot_id", "association"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_dropped_rows_extract_id"), ["extract_id"], unique=False)
    _copy_old_rows(dropped)
    with op.batch_alter_table("rejected_rows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rejected_rows_extract_id"))
    op.drop_table("rejected_rows")
    with op.batch_alter_table("duplicate_rows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_duplicate_rows_extract_id"))
    op.drop_table("duplicate_rows")


def _copy_old_rows(dropped: sa.Table) -> None:
    """Rejected and duplicate rows move over, their records keyed by the extract's header."""
    bind = op.get_bind()
    extracts = {
        e.id: (e.ballot_id, [str(h) for h in _json(e.header) or []])
        for e in bind.execute(sa.text("SELECT id, ballot_id, header FROM extracts"))
    }
    moved = []
    for kind, sql in (
        ("rejected", "SELECT extract_id, line_no, record, reasons, '' AS membership_number, "
         "NULL AS first_seen FROM rejected_rows ORDER BY id"),
        ("duplicate", "SELECT extract_id, line_no, record, '[]' AS reasons, membership_number, "
         "first_seen FROM duplicate_rows ORDER BY id"),
    ):
        for r in bind.execute(sa.text(sql)):
            ballot_id, header = extracts[r.extract_id]
            record = [str(v) for v in _json(r.record) or []]
            row = dict(zip(header, record, strict=False))
            association = row.get("association", "")
            moved.append(
                {
                    "ballot_id": ballot_id,
                    "extract_id": r.extract_id,
                    "line_no": r.line_no,
                    "kind": kind,
                    "status": "open",
                    "membership_number": r.membership_number or row.get("membership_number", ""),
                    "association": association if kind == "duplicate" else "",
                    "association_as_given": association,
                    "row": row,
                    "extra": {},
                    "raw": ",".join(record),
                    "reasons": _json(r.reasons) or [],
                    "first_seen": r.first_seen,
                    "differs": [],
                }
            )
    if moved:
        op.bulk_insert(dropped, moved)


def downgrade() -> None:
    op.create_table(
        "duplicate_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("extract_id", sa.String(length=64), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("membership_number", sa.String(length=64), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("first_seen", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["extract_id"], ["extracts.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("duplicate_rows", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_duplicate_rows_extract_id"), ["extract_id"], unique=False)
    op.create_table(
        "rejected_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("extract_id", sa.String(length=64), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["extract_id"], ["extracts.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("rejected_rows", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rejected_rows_extract_id"), ["extract_id"], unique=False)
    with op.batch_alter_table("dropped_rows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dropped_rows_extract_id"))
        batch_op.drop_index("ix_dropped_rows_ballot_association")
    op.drop_table("dropped_rows")
    op.drop_table("associations")
    with op.batch_alter_table("extracts", schema=None) as batch_op:
        batch_op.drop_column("read_as")
        batch_op.drop_column("corrected")
