"""Loading a register as a new version (PostgreSQL with COPY, SQLite with inserts): every
row loaded or refused, versions side by side, partitions, interruptions."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text

from rollcall.formats import REGISTER_COLUMNS
from services.matching.batch.loading import RegisterFileInvalid, list_versions, load_register
from services.matching.batch.reading import read_members
from services.matching.batch.source import DatabaseSource
from services.matching.matcher.deciding import match_members
from services.matching.matcher.records import Elector
from services.matching.models.registers import (
    KEY_COLUMNS,
    RegisterElector,
    RegisterNameFrequency,
    RegisterRefusal,
    partition_name,
    stored_keys,
)
from tests.builders.registers import elector, partition_tables, write_register


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


def test_each_row_is_stored_as_written_with_the_keys_of_the_elector_the_matcher_reads(
    engine: Engine, data: dict[str, Path]
) -> None:
    load_register(engine, data["register"], "hackney")
    with data["register"].open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    expected = {}
    for row in rows:
        elector = Elector.from_row(row, "")
        expected[row["elector_id"]] = (
            *(row[c] for c in REGISTER_COLUMNS), *stored_keys(elector.name, elector.address)
        )  # fmt: skip
    table = RegisterElector.__table__
    with engine.connect() as connection:
        found = connection.execute(
            select(*(table.c[c] for c in REGISTER_COLUMNS), *(table.c[c] for c in KEY_COLUMNS))
        ).all()
    assert {row[0]: tuple(row) for row in found} == expected


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


def refusals(engine: Engine, version_id: int) -> list[tuple[int, str, str]]:
    with engine.connect() as connection:
        found = connection.execute(
            select(RegisterRefusal.line_number, RegisterRefusal.reason, RegisterRefusal.text)
            .where(RegisterRefusal.version_id == version_id)
            .order_by(RegisterRefusal.line_number)
        ).all()
    return [(line, reason, row_text) for line, reason, row_text in found]


def test_each_version_is_a_partition_of_its_own_with_its_indexes(
    postgres_engine: Engine, data: dict[str, Path]
) -> None:
    engine = postgres_engine
    old = load_register(engine, data["register"], "hackney", "2026-10")
    new = load_register(engine, data["register"], "hackney", "2026-11")
    assert partition_tables(engine) == {
        partition_name(old.version_id): True, partition_name(new.version_id): True
    }  # fmt: skip
    with engine.connect() as connection:
        indexes = connection.execute(
            text(
                "SELECT count(*) FILTER (WHERE x.indisvalid), "
                "count(*) FILTER (WHERE x.indisprimary) FROM pg_index x "
                "WHERE x.indrelid = to_regclass(:name)"
            ),
            {"name": partition_name(new.version_id)},
        ).one()
        in_partition = connection.execute(
            text(f"SELECT count(*) FROM {partition_name(new.version_id)}")
        ).scalar_one()
    assert tuple(indexes) == (11, 1)  # the primary key and one per key column
    assert in_partition == 3000
    assert set(new.phases) == {"parse_and_copy", "index", "attach"}


def test_a_repeated_elector_number_is_refused_whichever_worker_reads_each_line(
    engine: Engine, tmp_path: Path
) -> None:
    rows = [
        elector(f"E{i}", "Ada", f"Surname{i % 40}", f"{i} Mare Street", postcode="E8 1AB")
        for i in range(12_000)
    ]
    rows[1] = {**rows[1], "surname": "", "forenames": ""}  # line 3: no name, so not "seen"
    rows[6000] = {**rows[6000], "elector_id": "E1"}  # line 6002 (second block): E1 loads here
    rows[6001] = {**rows[6001], "elector_id": "E0"}  # line 6003: repeats line 2
    rows[11_000] = {**rows[11_000], "elector_id": "E1"}  # line 11002 (third block): repeats
    rows[11_001] = {**rows[11_001], "elector_id": "E5"}  # line 11003: repeats line 7
    summary = load_register(engine, write_register(tmp_path / "r.csv", rows), "hackney")
    assert (summary.rows, summary.loaded, summary.refused) == (12_000, 11_996, 4)
    found = refusals(engine, summary.version_id)
    assert [(line, reason) for line, reason, _ in found] == [
        (3, "has no name"),
        (6003, "repeats elector number E0 from an earlier line"),
        (11002, "repeats elector number E1 from an earlier line"),
        (11003, "repeats elector number E5 from an earlier line"),
    ]
    assert found[1][2].startswith("E0,Surname1,Ada,6001 Mare Street")
    with engine.connect() as connection:
        lines = dict(
            connection.execute(
                select(RegisterElector.elector_id, RegisterElector.line_number).where(
                    RegisterElector.elector_id.in_(["E0", "E1", "E5"])
                )
            ).all()
        )
    assert lines == {"E0": 2, "E1": 6002, "E5": 7}


def test_a_field_too_long_for_its_column_refuses_the_row_not_the_load(
    engine: Engine, tmp_path: Path
) -> None:
    rows = [elector(f"E{i}", "Ada", "Lovelace", f"{i} Mare Street") for i in range(5)]
    rows[2] = {**rows[2], "postcode": "E8 1AB (ring the bell twice)"}
    summary = load_register(engine, write_register(tmp_path / "r.csv", rows), "hackney")
    assert (summary.loaded, summary.refused) == (4, 1)
    assert refusals(engine, summary.version_id)[0][:2] == (
        4, "has a postcode longer than 16 characters"
    )  # fmt: skip


def test_an_interrupted_load_leaves_no_partition_and_the_older_version_in_use(
    postgres_engine: Engine, data: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = postgres_engine
    old = load_register(engine, data["register"], "hackney", "2026-10")

    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt  # as if stopped after every row was copied

    monkeypatch.setattr("services.matching.batch.partitions.index_partition", interrupted)
    with pytest.raises(KeyboardInterrupt):
        load_register(engine, data["register"], "hackney", "2026-11")
    newest = list_versions(engine)[0]
    assert newest["label"] == "2026-11" and not newest["is_complete"]
    assert partition_tables(engine) == {partition_name(old.version_id): True}
    members = read_members(data["members"])[:20]
    decisions = match_members(members, DatabaseSource(engine))
    versions = {d.evidence.get("register_version") for d in decisions if d.elector_id}
    assert versions == {f"hackney/2026-10#{old.version_id}"}
