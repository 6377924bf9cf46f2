"""Candidates from the database (``DatabaseSource``): the same as the in-memory index
over the same file, from complete versions only."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, select, update

from services.matching.batch.loading import load_register
from services.matching.batch.reading import read_members
from services.matching.batch.source import DatabaseSource
from services.matching.matcher.candidates import MemoryIndex
from services.matching.matcher.deciding import match_members
from services.matching.models.registers import RegisterElector, RegisterVersion
from tests.builders.registers import elector, member, register_tables, write_register


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


def test_street_keys_are_stored_in_the_district_and_found_with_or_without_a_postcode(
    engine: Engine, tmp_path: Path
) -> None:
    rows = [
        elector("E1", "Ada", "Lovelace", "10 High Street", postcode="E8 1AB"),
        elector("E2", "Ada", "Lovelace", "10 High Street", postcode="N1 9GU"),
        elector("E3", "Ada", "Lovelace", "10 High Street", postcode=""),
        elector("E4", "Bob", "Okonkwo", "12 High Street", postcode="E8 1AB"),
    ]
    load_register(engine, write_register(tmp_path / "r.csv", rows), "hackney")
    with engine.connect() as connection:
        stored = dict(
            connection.execute(
                select(RegisterElector.elector_id, RegisterElector.key_premise_street)
            ).all()
        )
    assert stored["E1"] == "sn|HIGH STREET|10@E8" and stored["E2"] == "sn|HIGH STREET|10@N1"
    assert stored["E3"] == "sn|HIGH STREET|10"
    members = [
        member("M1", "Ada", "Lovelace", "10 High Street", postcode="E8 1AB"),
        member("M2", "Ada", "Lovelace", "10 High Street", postcode=""),
        member("M3", "Ada", "Lovelace", "10 High St", postcode="E8 1AX"),
    ]
    from_database = DatabaseSource(engine).fetch(members).candidates
    from_memory = MemoryIndex.from_rows(rows).fetch(members).candidates
    found = {n: sorted(e.elector_id for e in found) for n, found in from_database.items()}
    assert found == {n: sorted(e.elector_id for e in f) for n, f in from_memory.items()}
    assert found["M1"] == found["M3"] == ["E1"]  # by street within E8, or by postcode
    assert found["M2"] == ["E1", "E2", "E3"]


def test_a_district_digit_slip_is_found_in_the_database_only_when_nobody_is_at_home(
    engine: Engine, tmp_path: Path
) -> None:
    rows = [
        elector("Y1", "Harriet", "Calvert", "12 Heslington Lane", postcode="YO10 4XX"),
        elector("Y2", "Harriet", "Calvert", "12 Heslington Lane", postcode="YO12 4XX"),
        elector("Y3", "Chidi", "Okafor", "12 Main Street", postcode="YO11 2AB"),
    ]
    load_register(engine, write_register(tmp_path / "r.csv", rows), "york")
    members = [
        member("M1", "Harriet", "Calvert", "12 Heslington Lane", postcode="YO11 4XX"),
        member("M2", "Harriet", "Calvert", "12 Heslington Lane", postcode="YO10 4XX"),
    ]
    from_database = DatabaseSource(engine).fetch(members).candidates
    from_memory = MemoryIndex.from_rows(rows).fetch(members).candidates
    found = {n: sorted(e.elector_id for e in found) for n, found in from_database.items()}
    assert found == {n: sorted(e.elector_id for e in f) for n, f in from_memory.items()}
    assert found == {"M1": ["Y1", "Y2"], "M2": ["Y1"]}  # M2's own postcode found Y1


def test_the_database_finds_a_named_house_with_an_inward_slip_and_a_cottage_of_a_row(
    engine: Engine, tmp_path: Path
) -> None:
    rows = [
        elector("T1", "Valerie", "Thwaite", "Tan y Bryn", "Bow Street", postcode="SY24 7FD"),
        elector("C1", "Grzegorz", "Jankowski", "2 Church Cottages", "Shaftoe Lane",
                postcode="NE47 4SL"),
    ]  # fmt: skip
    load_register(engine, write_register(tmp_path / "r.csv", rows), "shires")
    members = [
        member("M1", "Valerie", "Thwaite", "Tan y Bryn", postcode="SY24 7DF"),
        member("M2", "Grzegorz", "Jankowsi", "2 Church Cottages", postcode="NE47 4SL"),
    ]
    from_database = DatabaseSource(engine).fetch(members).candidates
    from_memory = MemoryIndex.from_rows(rows).fetch(members).candidates
    found = {n: sorted(e.elector_id for e in found) for n, found in from_database.items()}
    assert found == {n: sorted(e.elector_id for e in f) for n, f in from_memory.items()}
    assert found == {"M1": ["T1"], "M2": ["C1"]}


def test_on_sqlite_every_elector_read_is_found_through_a_key_index(tmp_path: Path) -> None:
    """Never the whole register a chunk: SQLite searches an index for ``LIKE`` never, and
    without statistics takes the primary key's ``version_id`` for selective; either made it
    read every elector of the version for each chunk."""
    rows = [
        elector("E1", "Ada", "Lovelace", "10 High Street", postcode="E8 1AB"),
        elector("E2", "Bob", "Okonkwo", "3 Mare Street", postcode="E8 2CD"),
    ]
    members = [
        member("M1", "Ada", "Lovelace", "10 High Street", postcode="E8 1AB"),
        member("M2", "Ada", "Lovelace", "10 High Street", postcode=""),  # street keys city-wide
        member("M3", "Harriet", "Calvert", "12 Heslington Lane", postcode="YO10 4XX"),
    ]
    with register_tables(f"sqlite:///{tmp_path / 'matching.sqlite'}") as engine:
        load_register(engine, write_register(tmp_path / "r.csv", rows), "hackney")
        reads: list[tuple[str, Any]] = []

        def keep(_c: object, _cursor: object, statement: str, parameters: Any, *_: object) -> None:
            if "FROM register_electors" in statement:
                reads.append((statement, parameters))

        event.listen(engine, "before_cursor_execute", keep)
        try:
            found = DatabaseSource(engine).fetch(members).candidates
        finally:
            event.remove(engine, "before_cursor_execute", keep)
        with engine.connect() as connection:
            plans = [
                [step for *_, step in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {s}", p)]
                for s, p in reads
            ]
    assert {n: [e.elector_id for e in f] for n, f in found.items()} == {
        "M1": ["E1"],
        "M2": ["E1"],
        "M3": [],
    }
    assert len(plans) == 2  # the members' keys, then M3's inward keys (nobody at home)
    for plan in plans:
        reads_of_electors = [step for step in plan if "register_electors" in step]
        assert reads_of_electors, plan
        assert all(
            step.startswith("SEARCH register_electors USING INDEX ix_register_electors_key_")
            for step in reads_of_electors
        ), plan
