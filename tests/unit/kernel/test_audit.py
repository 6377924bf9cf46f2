"""The hash-chained audit log: appends, pure verification, and the CLI on SQLite."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import MetaData, create_engine, inspect, select, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from rollcall import audit
from rollcall.audit import (
    GENESIS_HASH,
    Entry,
    NewEntry,
    append,
    append_many,
    audit_table,
    entry_hash,
    head,
    personal,
    read_chain,
    verify,
)
from rollcall_cli.main import main

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
KEY = b"test-audit-key"


def new_entries(n: int, start: int = 1) -> list[NewEntry]:
    return [
        NewEntry(
            actor=f"officer:{i % 3}",
            action="member.updated",
            subject=f"ballot:1/member:M{i}",
            details={"field": "email", "new": personal(f"m{i}@example.org", KEY)},
            source="gateway",
            at=T0 + timedelta(minutes=i),
            reason="member moved house",
        )
        for i in range(start, start + n)
    ]


def make_chain(n: int) -> list[Entry]:
    """A valid chain of ``n`` entries, built without a database."""
    chain: list[Entry] = []
    prev = GENESIS_HASH
    for seq, new in enumerate(new_entries(n), start=1):
        fields = {
            "seq": seq,
            "at": audit.timestamp(new.at),
            "actor": new.actor,
            "source": new.source,
            "action": new.action,
            "subject": new.subject,
            "details": audit.canonical_json(new.details),
            "reason": new.reason,
            "prev_hash": prev,
        }
        prev = entry_hash(**fields)
        chain.append(Entry(**fields, hash=prev))
    return chain


def rehash(entry: Entry) -> Entry:
    fields = {f: getattr(entry, f) for f in audit.FIELDS if f != "hash"}
    return dataclasses.replace(entry, hash=entry_hash(**fields))


@pytest.fixture
def session() -> Iterator[Session]:
    engine = create_engine("sqlite://", poolclass=StaticPool)
    metadata = MetaData()
    audit_table(metadata)
    metadata.create_all(engine)
    with Session(engine) as s:
        yield s
    engine.dispose()


# --- appending -------------------------------------------------------------


def test_hash_encoding_is_pinned() -> None:
    # Changing the encoding would make every stored chain fail verification.
    assert (
        entry_hash(
            seq=1,
            at="2024-05-01T09:00:00.000000+00:00",
            actor="officer:7",
            source="gateway",
            action="member.updated",
            subject="ballot:3/member:M123",
            details='{"field":"email"}',
            reason="moved house",
            prev_hash=GENESIS_HASH,
        )
        == "c45bcb109fa2ed725d7d35eb8e311154ebb329da14ebd71230d1cd9e333180d4"
    )


def test_appends_chain_from_the_genesis(session: Session) -> None:
    written = append_many(session, new_entries(3))
    session.commit()
    stored = read_chain(session)
    assert stored == written
    assert [e.seq for e in stored] == [1, 2, 3]
    assert stored[0].prev_hash == "0" * 64
    assert [e.prev_hash for e in stored[1:]] == [e.hash for e in stored[:-1]]
    for e in stored:
        fields = {f: getattr(e, f) for f in audit.FIELDS if f != "hash"}
        assert e.hash == entry_hash(**fields)
    assert head(session) == (3, stored[-1].hash)


def test_append_stores_utc_iso_time_and_canonical_json(session: Session) -> None:
    at = datetime(2024, 5, 1, 9, 0, 0, 250, tzinfo=timezone(timedelta(hours=2)))
    entry = append(
        session,
        actor="cli",
        action="ballot.closed",
        subject="ballot:3",
        details={"b": 1, "a": [1, "é"], "c": {"z": None, "y": True}},
        source="cli",
        at=at,
    )
    session.commit()
    row = session.execute(text("SELECT at, details, reason FROM audit_log")).one()
    assert row.at == "2024-05-01T07:00:00.000250+00:00"
    assert row.details == '{"a":[1,"\\u00e9"],"b":1,"c":{"y":true,"z":null}}'
    assert row.reason == ""
    assert entry.details_dict() == {"a": [1, "é"], "b": 1, "c": {"y": True, "z": None}}


def test_append_refuses_a_naive_timestamp(session: Session) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        append(
            session,
            actor="cli",
            action="ballot.closed",
            subject="ballot:3",
            details={},
            source="cli",
            at=datetime(2024, 5, 1, 9, 0),
        )
    assert head(session) == (0, GENESIS_HASH)


def test_append_refuses_details_json_cannot_hold(session: Session) -> None:
    with pytest.raises(TypeError):
        append(
            session,
            actor="cli",
            action="ballot.closed",
            subject="ballot:3",
            details={"when": T0},
            source="cli",
            at=T0,
        )
    assert head(session) == (0, GENESIS_HASH)


def test_append_commits_and_rolls_back_with_the_callers_transaction(session: Session) -> None:
    append_many(session, new_entries(2))
    session.rollback()
    assert head(session) == (0, GENESIS_HASH)
    entry = append_many(session, new_entries(1))[0]
    session.commit()
    assert entry.seq == 1
    assert entry.prev_hash == GENESIS_HASH
    assert verify(read_chain(session)).ok


def test_append_many_accepts_mappings_and_continues_the_chain(session: Session) -> None:
    append_many(session, new_entries(2))
    more = append_many(session, [dataclasses.asdict(e) for e in new_entries(2, start=3)])
    session.commit()
    assert [e.seq for e in more] == [3, 4]
    assert verify(read_chain(session)).ok
    assert append_many(session, []) == []


def test_audit_table_is_declared_once_per_metadata() -> None:
    metadata = MetaData()
    table = audit_table(metadata)
    assert audit_table(metadata) is table
    assert [c.name for c in table.columns] == list(audit.FIELDS)
    assert [c.name for c in table.primary_key] == ["seq"]
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    assert inspect(engine).has_table("audit_log")


def test_personal_is_a_keyed_hash_that_hides_the_value() -> None:
    digest = personal("ann@example.org", KEY)
    assert digest == hmac.new(KEY, b"ann@example.org", hashlib.sha256).hexdigest()
    assert digest == personal("ann@example.org", KEY)
    assert digest != personal("ann@example.org", b"another key")
    assert digest != personal("bob@example.org", KEY)
    assert "ann" not in digest
    with pytest.raises(ValueError):
        personal("ann@example.org", b"")


# --- verifying -------------------------------------------------------------


def test_an_untouched_chain_verifies() -> None:
    chain = make_chain(5)
    report = verify(chain)
    assert report.ok
    assert report.problem is None
    assert (report.checked, report.total) == (5, 5)
    assert (report.head_seq, report.head_hash) == (5, chain[-1].hash)


def test_an_empty_chain_verifies_with_the_genesis_head() -> None:
    report = verify([])
    assert report.ok
    assert (report.head_seq, report.head_hash) == (0, GENESIS_HASH)


def test_verify_accepts_rows_in_any_order_as_mappings_or_objects() -> None:
    chain = make_chain(4)
    rows = [dataclasses.asdict(chain[2]), SimpleNamespace(**dataclasses.asdict(chain[0]))]
    rows += [chain[3], dataclasses.asdict(chain[1])]
    assert verify(rows).ok


@pytest.mark.parametrize(
    "field,value",
    [
        ("at", "2024-05-01T09:03:00.000001+00:00"),
        ("actor", "officer:9"),
        ("source", "cli"),
        ("action", "member.created"),
        ("subject", "ballot:1/member:M99"),
        ("details", '{"field":"address"}'),
        ("reason", ""),
        ("hash", "f" * 64),
    ],
)
def test_an_edited_field_is_named_as_the_first_bad_entry(field: str, value: str) -> None:
    chain = make_chain(5)
    chain[2] = dataclasses.replace(chain[2], **{field: value})
    report = verify(chain)
    assert not report.ok
    assert report.problem is not None
    assert (report.problem.seq, report.problem.kind) == (3, "edited")
    assert report.checked == 2


def test_an_edited_prev_hash_is_named_as_edited() -> None:
    chain = make_chain(5)
    chain[3] = dataclasses.replace(chain[3], prev_hash="a" * 64)
    problem = verify(chain).problem
    assert problem is not None
    assert (problem.seq, problem.kind, problem.why) == (4, "edited", "its prev_hash was changed")


def test_an_edit_with_a_recomputed_hash_is_caught_by_the_next_entry() -> None:
    chain = make_chain(5)
    chain[1] = rehash(dataclasses.replace(chain[1], reason="nobody will notice"))
    problem = verify(chain).problem
    assert problem is not None
    assert (problem.seq, problem.kind) == (2, "edited")
    assert problem.subject == "ballot:1/member:M2"
    assert "hash recomputed" in problem.why


def test_a_deleted_entry_leaves_a_gap() -> None:
    chain = make_chain(5)
    del chain[2]
    problem = verify(chain).problem
    assert problem is not None
    assert (problem.seq, problem.kind, problem.why) == (4, "deleted", "seq 3 missing before it")


def test_deleted_first_entries_are_caught() -> None:
    problem = verify(make_chain(5)[2:]).problem
    assert problem is not None
    assert (problem.seq, problem.kind, problem.why) == (3, "deleted", "seq 1-2 missing before it")


def test_a_gap_before_a_rehashed_last_entry_is_caught() -> None:
    chain = make_chain(4)
    chain[-1] = rehash(dataclasses.replace(chain[-1], seq=9))
    problem = verify(chain).problem
    assert problem is not None
    assert (problem.seq, problem.kind, problem.why) == (9, "deleted", "seq 4-8 missing before it")


def test_a_deletion_hidden_by_renumbering_is_caught() -> None:
    chain = make_chain(5)
    del chain[1]
    chain = [dataclasses.replace(e, seq=i) for i, e in enumerate(chain, start=1)]
    problem = verify(chain).problem
    assert problem is not None
    assert (problem.seq, problem.kind) == (2, "deleted")
    assert problem.subject == "ballot:1/member:M3"


def test_a_deleted_last_entry_is_caught_only_by_the_published_head() -> None:
    chain = make_chain(5)
    published = chain[-1].hash
    assert verify(chain[:-1]).ok
    report = verify(chain[:-1], expect_head=published)
    assert not report.ok
    assert report.problem is not None
    assert report.problem.kind == "rewritten"


def test_a_forged_entry_inserted_in_the_middle_is_named() -> None:
    chain = make_chain(5)
    forged = rehash(
        Entry(
            seq=3,
            at=chain[1].at,
            actor="officer:0",
            source="gateway",
            action="member.updated",
            subject="ballot:1/member:M2",
            details='{"field":"email","new":"attacker"}',
            reason="",
            prev_hash=chain[1].hash,
            hash="",
        )
    )
    shifted = [dataclasses.replace(e, seq=e.seq + 1) for e in chain[2:]]
    report = verify(chain[:2] + [forged] + shifted)
    assert report.problem is not None
    assert (report.problem.seq, report.problem.kind) == (3, "inserted")
    assert report.problem.why.startswith("seq 4 follows seq 2 directly")


def test_a_second_entry_with_the_same_seq_is_an_insertion() -> None:
    chain = make_chain(4)
    twin = dataclasses.replace(chain[2], actor="intruder")
    problem = verify([*chain[:3], twin, chain[3]]).problem
    assert problem is not None
    assert problem.seq == 3
    assert problem.kind == "inserted"


def test_swapped_entries_are_reordered() -> None:
    chain = make_chain(5)
    chain[1], chain[2] = (
        dataclasses.replace(chain[2], seq=2),
        dataclasses.replace(chain[1], seq=3),
    )
    problem = verify(chain).problem
    assert problem is not None
    assert (problem.seq, problem.kind) == (2, "reordered")
    assert problem.subject == "ballot:1/member:M3"


def test_swapping_the_first_two_entries_is_reordered() -> None:
    chain = make_chain(3)
    swapped = [dataclasses.replace(chain[1], seq=1), dataclasses.replace(chain[0], seq=2), chain[2]]
    problem = verify(swapped).problem
    assert problem is not None
    assert (problem.seq, problem.kind) == (1, "reordered")


def test_a_consistent_rewrite_is_caught_by_the_published_head() -> None:
    original = make_chain(4)
    published = original[-1].hash
    rewritten: list[Entry] = []
    prev = GENESIS_HASH
    for e in original:
        changed = dataclasses.replace(e, details='{"field":"email","new":"x"}', prev_hash=prev)
        changed = rehash(changed)
        rewritten.append(changed)
        prev = changed.hash
    assert verify(rewritten).ok
    report = verify(rewritten, expect_head=published)
    assert not report.ok
    assert report.problem is not None
    assert report.problem.kind == "rewritten"
    assert report.problem.seq is None
    assert verify(rewritten, expect_head=rewritten[-1].hash).ok


def test_a_published_head_may_be_followed_by_later_entries() -> None:
    chain = make_chain(6)
    assert verify(chain, expect_head=chain[3].hash.upper()).ok
    assert verify(chain, expect_head=GENESIS_HASH).ok


HASHED_TEXT_FIELDS = ("at", "actor", "source", "action", "subject", "details", "reason")


@settings(max_examples=200, deadline=None)
@given(
    length=st.integers(min_value=1, max_value=8),
    data=st.data(),
    field=st.sampled_from((*HASHED_TEXT_FIELDS, "prev_hash", "hash")),
    value=st.text(max_size=20),
)
def test_any_single_edit_is_named_at_its_entry(
    length: int, data: st.DataObject, field: str, value: str
) -> None:
    chain = make_chain(length)
    index = data.draw(st.integers(min_value=0, max_value=length - 1))
    if getattr(chain[index], field) == value:
        value += "x"
    chain[index] = dataclasses.replace(chain[index], **{field: value})
    report = verify(chain)
    assert not report.ok
    assert report.problem is not None
    assert (report.problem.seq, report.problem.kind) == (index + 1, "edited")


# --- tampering in a real database ------------------------------------------


def test_an_edit_made_in_the_database_is_caught(session: Session) -> None:
    append_many(session, new_entries(4))
    session.commit()
    session.execute(text("UPDATE audit_log SET details = '{}' WHERE seq = 3"))
    session.commit()
    problem = verify(session.execute(select(audit_table(MetaData())))).problem
    assert problem is not None
    assert (problem.seq, problem.kind) == (3, "edited")


# --- the CLI on SQLite files -----------------------------------------------


def cli_env(tmp_path: Path, **extra: str) -> dict[str, str | None]:
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("ROLLCALL_")}
    env["ROLLCALL_VAR_DIR"] = str(tmp_path)
    env.update(extra)
    return env


def seed_sqlite(tmp_path: Path, service: str, n: int) -> list[Entry]:
    path = tmp_path / "db" / f"{service}.sqlite"
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(f"sqlite:///{path}")
    metadata = MetaData()
    audit_table(metadata)
    metadata.create_all(engine)
    with Session(engine) as s:
        append_many(s, new_entries(n))
        s.commit()
        chain = read_chain(s)
    engine.dispose()
    return chain


def run(tmp_path: Path, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, ["audit", *args], env=cli_env(tmp_path))


def test_cli_verify_prints_entries_and_head(tmp_path: Path) -> None:
    chain = seed_sqlite(tmp_path, "registration", 3)
    result = run(tmp_path, "verify", "--service", "registration")
    assert result.exit_code == 0, result.output
    assert "registration" in result.output
    assert f"ok      3 entries checked, head 3:{chain[-1].hash}" in result.output


def test_cli_verify_all_reports_missing_logs_without_creating_them(tmp_path: Path) -> None:
    seed_sqlite(tmp_path, "registration", 2)
    result = run(tmp_path, "verify", "--all")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 6
    assert "ok" in lines[0]
    assert all("no audit log yet: no database at" in line for line in lines[1:])
    assert sorted(p.name for p in (tmp_path / "db").iterdir()) == ["registration.sqlite"]


def test_cli_verify_reports_a_database_without_the_table(tmp_path: Path) -> None:
    (tmp_path / "db").mkdir()
    engine = create_engine(f"sqlite:///{tmp_path / 'db' / 'codes.sqlite'}")
    with engine.begin() as c:
        c.execute(text("CREATE TABLE other (id INTEGER)"))
    engine.dispose()
    result = run(tmp_path, "verify", "--service", "codes")
    assert result.exit_code == 0, result.output
    assert "no audit log yet: no audit_log table in sqlite" in result.output


def test_cli_verify_fails_naming_the_first_bad_entry(tmp_path: Path) -> None:
    seed_sqlite(tmp_path, "registration", 4)
    seed_sqlite(tmp_path, "tally", 2)
    engine = create_engine(f"sqlite:///{tmp_path / 'db' / 'registration.sqlite'}")
    with engine.begin() as c:
        c.execute(text("UPDATE audit_log SET actor = 'intruder' WHERE seq = 2"))
    engine.dispose()
    result = run(tmp_path, "verify", "--service", "registration", "--service", "tally")
    assert result.exit_code == 1, result.output
    registration, tally = result.output.splitlines()
    assert "FAILED  1 of 4 entries good" in registration
    assert (
        "first bad entry seq 2 (member.updated ballot:1/member:M2): edited: "
        "its contents no longer match its hash"
    ) in registration
    assert "ok" in tally


def test_cli_verify_checks_the_published_head(tmp_path: Path) -> None:
    chain = seed_sqlite(tmp_path, "registration", 3)
    good = run(tmp_path, "verify", "--expect-head", f"registration={chain[1].hash}")
    assert good.exit_code == 0, good.output
    assert f"published head {chain[1].hash} found" in good.output
    bad = run(tmp_path, "verify", "--service", "registration", "--expect-head", f"tally={'a' * 64}")
    assert bad.exit_code == 1, bad.output
    assert "tally        FAILED  no database at" in bad.output
    other = run(tmp_path, "verify", "--expect-head", f"registration={'b' * 64}")
    assert other.exit_code == 1
    assert "rewritten: the published head bbbb" in other.output


@pytest.mark.parametrize(
    "args",
    [
        ("--expect-head", "registration"),
        ("--expect-head", "nosuch=" + "a" * 64),
        ("--expect-head", "tally=xyz"),
        ("--all", "--service", "tally"),
    ],
)
def test_cli_verify_rejects_bad_arguments(tmp_path: Path, args: tuple[str, ...]) -> None:
    result = run(tmp_path, "verify", *args)
    assert result.exit_code == 2, result.output


def test_cli_show_filters_by_subject_and_limits(tmp_path: Path) -> None:
    seed_sqlite(tmp_path, "registration", 12)
    engine = create_engine(f"sqlite:///{tmp_path / 'db' / 'registration.sqlite'}")
    with Session(engine) as s:
        append(
            s,
            actor="cli",
            action="ballot.closed",
            subject="ballot:1",
            details={},
            source="cli",
            at=T0,
            reason="timetable",
        )
        append(
            s,
            actor="cli",
            action="ballot.closed",
            subject="ballot:10",
            details={},
            source="cli",
            at=T0,
        )
        s.commit()
    engine.dispose()
    result = run(tmp_path, "show", "--service", "registration", "--subject", "ballot:1/member:M1")
    assert result.exit_code == 0, result.output
    assert len(result.output.splitlines()) == 1
    assert "ballot:1/member:M1 " in result.output
    result = run(tmp_path, "show", "--service", "registration", "--subject", "ballot:1")
    lines = result.output.splitlines()
    assert len(lines) == 13
    assert lines[-1].split()[0] == "13"
    assert "reason: timetable" in lines[-1]
    assert all("ballot:10" not in line for line in lines)
    result = run(tmp_path, "show", "--service", "registration", "--limit", "2")
    assert [line.split()[0] for line in result.output.splitlines()] == ["13", "14"]


def test_cli_show_without_a_log_says_so(tmp_path: Path) -> None:
    result = run(tmp_path, "show", "--service", "mailer")
    assert result.exit_code == 0
    assert "mailer: no audit log yet" in result.output
