"""Loading a register as a new version (PostgreSQL with COPY, SQLite with inserts), and
matching through the database-backed source."""

from __future__ import annotations

import csv
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, update

from rollcall.db import make_engine
from services.matching.dbsource import DatabaseSource
from services.matching.files import read_members
from services.matching.loading import RegisterFileInvalid, list_versions, load_register
from services.matching.matcher import MemoryIndex, match_members
from services.matching.models import Base
from services.matching.records import REGISTER_COLUMNS
from services.matching.register_models import (
    RegisterElector,
    RegisterNameFrequency,
    RegisterRefusal,
    RegisterVersion,
)
from services.matching.synth import generate

TABLES = [
    t.__table__ for t in (RegisterVersion, RegisterElector, RegisterRefusal, RegisterNameFrequency)
]


@pytest.fixture(scope="module")
def postgres_server() -> Iterator[str]:
    """A fresh PostgreSQL database for this module, dropped afterwards."""
    import psycopg2

    server = os.environ.get("ROLLCALL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"rollcall_matching_test_{uuid.uuid4().hex[:8]}"
    try:
        admin = psycopg2.connect(server)
    except psycopg2.OperationalError as exc:
        pytest.fail(f"no PostgreSQL at {server}: {exc} (the tests need the real database)")
    admin.autocommit = True
    admin.cursor().execute(f"CREATE DATABASE {name}")
    yield server.rsplit("/", 1)[0] + f"/{name}"
    admin.cursor().execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.close()


@pytest.fixture(params=["postgresql", "sqlite"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_server")
    else:
        url = f"sqlite:///{tmp_path / 'matching.sqlite'}"
    built = make_engine(url)
    Base.metadata.drop_all(built, tables=TABLES)
    Base.metadata.create_all(built, tables=TABLES)
    yield built
    Base.metadata.drop_all(built, tables=TABLES)
    built.dispose()


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    paths = generate(3000, 300, seed=5).write_csv(tmp_path_factory.mktemp("synth"))
    damaged = paths["register"].with_name("damaged.csv")
    lines = paths["register"].read_text(encoding="utf-8").splitlines()
    lines[5] = lines[5] + ",an extra field"  # line 6: wrong number of fields
    lines[7] = "," + lines[7].split(",", 1)[1]  # line 8: no elector number
    lines.append(lines[10])  # last line repeats line 11's elector number
    damaged.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {**paths, "damaged": damaged}


def count(engine: Engine, table: type, version_id: int) -> int:
    with engine.connect() as connection:
        return connection.execute(
            select(func.count()).select_from(table).where(table.version_id == version_id)  # type: ignore[attr-defined]
        ).scalar_one()


def test_every_row_is_loaded_or_refused_with_its_line_and_reason(
    engine: Engine, data: dict[str, Path]
) -> None:
    summary = load_register(engine, data["damaged"], "hackney", "2026-11", batch=700)
    assert summary.rows == 3001
    assert (summary.loaded, summary.refused) == (2998, 3)
    assert count(engine, RegisterElector, summary.version_id) == 2998
    with engine.connect() as connection:
        refused = connection.execute(
            select(
                RegisterRefusal.line_number, RegisterRefusal.reason, RegisterRefusal.text
            ).order_by(RegisterRefusal.line_number)
        ).all()
    assert [(line, reason.split(" ")[0]) for line, reason, _ in refused] == [
        (6, "has"), (8, "has"), (3002, "repeats")
    ]  # fmt: skip
    assert "an extra field" in refused[0][2]
    (version,) = list_versions(engine)
    assert version["is_complete"] and version["elector_count"] == 2998


def test_a_new_version_loads_beside_the_old_and_becomes_the_newest(
    engine: Engine, data: dict[str, Path]
) -> None:
    old = load_register(engine, data["register"], "hackney", "2026-10")
    new = load_register(engine, data["register"], "hackney", "2026-11")
    assert (
        count(engine, RegisterElector, old.version_id)
        == count(engine, RegisterElector, new.version_id)
        == 3000
    )
    members = read_members(data["members"])[:20]
    decisions = match_members(members, DatabaseSource(engine))
    versions = {d.evidence.get("register_version") for d in decisions if d.elector_id}
    assert versions == {f"hackney/2026-11#{new.version_id}"}


def test_an_incomplete_version_is_never_used(engine: Engine, data: dict[str, Path]) -> None:
    summary = load_register(engine, data["register"], "hackney", "2026-11")
    members = read_members(data["members"])[:30]
    assert any(d.decision == "match" for d in match_members(members, DatabaseSource(engine)))
    with engine.begin() as connection:  # as if the load had been interrupted
        connection.execute(
            update(RegisterVersion)
            .where(RegisterVersion.id == summary.version_id)
            .values(is_complete=False)
        )
    assert all(d.decision == "no_match" for d in match_members(members, DatabaseSource(engine)))


def test_database_source_decides_exactly_as_the_in_memory_index(
    engine: Engine, data: dict[str, Path]
) -> None:
    load_register(engine, data["register"], "hackney", "2026-11")
    members = read_members(data["members"])
    with data["register"].open(encoding="utf-8") as handle:
        memory = MemoryIndex.from_rows(csv.DictReader(handle), "same")
    from_memory = match_members(members, memory)
    from_database = match_members(members, DatabaseSource(engine))
    simple = [
        (d.membership_number, d.decision, d.elector_id, round(d.score, 6)) for d in from_memory
    ]
    assert simple == [
        (d.membership_number, d.decision, d.elector_id, round(d.score, 6)) for d in from_database
    ]
    assert sum(d.decision == "match" for d in from_database) > len(members) / 2


def test_a_file_without_the_register_columns_is_refused_whole(
    engine: Engine, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("id,name\n1,Smith\n", encoding="utf-8")
    with pytest.raises(RegisterFileInvalid, match="lacks elector_id"):
        load_register(engine, bad, "hackney")
    assert list_versions(engine) == []


def test_name_frequencies_are_stored_with_the_version(
    engine: Engine, data: dict[str, Path]
) -> None:
    summary = load_register(engine, data["register"], "hackney")
    with engine.connect() as connection:
        total = connection.execute(
            select(func.sum(RegisterNameFrequency.count)).where(
                RegisterNameFrequency.version_id == summary.version_id,
                RegisterNameFrequency.kind == "surname",
            )
        ).scalar_one()
    assert total == 3000
    assert set(REGISTER_COLUMNS) <= set(RegisterElector.__table__.c.keys())
