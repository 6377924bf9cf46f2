"""The matching service's migrations: they build what the models declare, and the
partitioning revision keeps a register loaded before it usable."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.schema import CreateIndex

from rollcall.db import make_engine, upgrade
from rollcall.formats import REGISTER_COLUMNS
from rollcall_tools.synth import generate
from services.matching.batch.reading import read_members
from services.matching.batch.source import DatabaseSource
from services.matching.matcher.candidates import MemoryIndex
from services.matching.matcher.deciding import match_members
from services.matching.matcher.records import Elector, elector_keys
from services.matching.models import Base
from services.matching.models.registers import (
    KEY_COLUMNS,
    RegisterElector,
    is_partition,
    stored_keys,
)

INITIAL = "8f15f783beb9"
#: The key columns the initial revision had (``key_premise_inward`` came later).
INITIAL_KEY_COLUMNS = KEY_COLUMNS[:9]


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return generate(1500, 150, seed=7).write_csv(tmp_path_factory.mktemp("synth"))


@pytest.fixture
def engine(empty_database: str) -> Iterator[Engine]:
    built = make_engine(empty_database)
    yield built
    built.dispose()


def downgrade(url: str, revision: str) -> None:
    from alembic import command

    from rollcall.db import alembic_config

    command.downgrade(alembic_config("matching", url), revision)


def electors(path: Path) -> list[tuple[int, Elector, dict[str, str]]]:
    with path.open(encoding="utf-8") as handle:
        return [
            (line, Elector.from_row(row, ""), row)
            for line, row in enumerate(csv.DictReader(handle), start=2)
        ]


def load_as_before(engine: Engine, path: Path) -> None:
    """What the loader of the initial revision wrote: one plain table, city-wide keys."""
    found = electors(path)
    forenames = Counter(e.name.first for _, e, _ in found)
    surnames = Counter(e.name.surname_key for _, e, _ in found)
    columns = ("version_id", "line_number", *REGISTER_COLUMNS, *INITIAL_KEY_COLUMNS)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO register_versions (id, authority, label, source_name, sha256, "
                "started_at, completed_at, is_complete, row_count, elector_count, refused_count) "
                "VALUES (1, 'hackney', '2026-10', 'register.csv', '', :at, :at, true, :n, :n, 0)"
            ),
            {"at": datetime.now(UTC), "n": len(found)},
        )
        connection.execute(
            text(
                f"INSERT INTO register_electors ({', '.join(columns)}) "
                f"VALUES ({', '.join(':' + c for c in columns)})"
            ),
            [
                dict(
                    zip(
                        columns,
                        (
                            1,
                            line,
                            *(row[c] for c in REGISTER_COLUMNS),
                            *elector_keys(e.name, e.address).columns()[:9],
                        ),
                        strict=True,
                    )
                )
                for line, e, row in found
            ],  # fmt: skip
        )
        connection.execute(
            text(
                "INSERT INTO register_name_frequencies (version_id, kind, value, count) "
                "VALUES (1, :kind, :value, :count)"
            ),
            [{"kind": "forename", "value": v, "count": n} for v, n in forenames.items() if v]
            + [{"kind": "surname", "value": v, "count": n} for v, n in surnames.items() if v],
        )


def stored(
    engine: Engine, columns: tuple[str, ...] = KEY_COLUMNS
) -> dict[str, tuple[str | None, ...]]:
    with engine.connect() as connection:
        rows = connection.execute(
            text(f"SELECT elector_id, {', '.join(columns)} FROM register_electors")
        ).all()
    return {row[0]: tuple(row[1:]) for row in rows}


def test_the_migrations_build_the_tables_the_models_declare(empty_database: str) -> None:
    upgrade("matching", empty_database)
    engine = create_engine(empty_database)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={"include_object": lambda _o, name, kind, *_: not is_partition(name, kind)},
            )
            assert compare_metadata(context, Base.metadata) == []
        # Alembic compares an index's columns, not its operator class or predicate, and
        # a column's type, not its collation.
        assert key_indexes(engine) == declared_key_indexes(engine.dialect.name)
        if engine.dialect.name == "postgresql":
            elector_id = RegisterElector.__table__.c.elector_id.type.dialect_impl(engine.dialect)
            with engine.connect() as connection:
                assert connection.execute(
                    text(
                        "SELECT collation_name FROM information_schema.columns "
                        "WHERE table_name = 'register_electors' AND column_name = 'elector_id'"
                    )
                ).scalar_one() == getattr(elector_id, "collation", None)
    finally:
        engine.dispose()


def key_indexes(engine: Engine) -> dict[str, str]:
    """Each index of register_electors other than the primary key: its definition."""
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            found = connection.execute(
                text(
                    "SELECT c.relname, opc.opcname || ' WHERE ' || pg_get_expr(x.indpred, "
                    "x.indrelid) FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid "
                    "JOIN pg_opclass opc ON opc.oid = x.indclass[0] "
                    "WHERE x.indrelid = 'register_electors'::regclass AND NOT x.indisprimary"
                )
            ).all()
        else:
            found = connection.execute(
                text(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                    "AND tbl_name = 'register_electors' AND sql IS NOT NULL"
                )
            ).all()
    return {name: definition for name, definition in found}


def declared_key_indexes(dialect: str) -> dict[str, str]:
    declared: dict[str, str] = {}
    for index in RegisterElector.__table__.indexes:
        assert index.name is not None
        (column,) = index.columns
        if dialect == "postgresql":
            options = index.dialect_options["postgresql"]
            declared[index.name] = f"{options['ops'][column.name]} WHERE ({options['where']})"
        else:
            declared[index.name] = str(CreateIndex(index).compile(dialect=sqlite.dialect()))
    return declared


def test_upgrading_keeps_a_loaded_register_matching_as_the_in_memory_index(
    empty_database: str, engine: Engine, data: dict[str, Path]
) -> None:
    upgrade("matching", empty_database, INITIAL)
    load_as_before(engine, data["register"])
    upgrade("matching", empty_database)
    found = electors(data["register"])
    assert stored(engine) == {e.elector_id: stored_keys(e.name, e.address) for _, e, _ in found}
    assert any("@" in (keys[2] or "") for keys in stored(engine).values())
    assert any((keys[-1] or "").startswith("pi|") for keys in stored(engine).values())
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            partitions = connection.execute(
                text(
                    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                    "WHERE i.inhparent = 'register_electors'::regclass"
                )
            ).scalars()
            assert list(partitions) == ["register_electors_v1"]
    members = read_members(data["members"])
    with data["register"].open(encoding="utf-8") as handle:
        memory = MemoryIndex.from_rows(csv.DictReader(handle), "same")
    simple = [(d.membership_number, d.decision, d.elector_id, round(d.score, 6)) for d in
              match_members(members, memory)]  # fmt: skip
    assert simple == [
        (d.membership_number, d.decision, d.elector_id, round(d.score, 6))
        for d in match_members(members, DatabaseSource(engine))
    ]

    downgrade(empty_database, INITIAL)
    assert stored(engine, INITIAL_KEY_COLUMNS) == {
        e.elector_id: elector_keys(e.name, e.address).columns()[:9] for _, e, _ in found
    }
