"""The audit log on real PostgreSQL: tampering in the database, concurrent appends.

The module gets a fresh database (dropped afterwards) on the server of the
``pg_url`` fixture (``ROLLCALL_TEST_PG``, default the local postgres
superuser). Tampering is done the way an intruder with database access
would: plain SQL on the rows. The threads here are green (the test run is
monkey-patched for nameko); ``make_engine`` makes psycopg2 yield while it
waits, so two transactions really do contend for the lock in PostgreSQL.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, MetaData, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from rollcall import audit
from rollcall.audit import GENESIS_HASH, NewEntry, append, append_many, audit_table, read_chain
from rollcall.db import make_engine
from rollcall_cli.main import main
from tests import support

pytestmark = pytest.mark.integration

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def database_url(pg_url: str) -> Iterator[str]:
    """A database of its own for this module, dropped afterwards."""
    admin = support.admin_engine(pg_url)
    name = f"rc_audit_{uuid.uuid4().hex[:12]}"
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield support.with_database(pg_url, name)
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    metadata = MetaData()
    audit_table(metadata)
    metadata.drop_all(engine)
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def seed(engine: Engine, n: int) -> list[audit.Entry]:
    with Session(engine) as s:
        append_many(
            s,
            [
                NewEntry(
                    actor=f"officer:{i}",
                    action="member.updated",
                    subject=f"ballot:3/member:M{i}",
                    details={"field": "address", "new": audit.personal(f"{i} High St", b"k")},
                    source="gateway",
                    at=T0 + timedelta(seconds=i),
                    reason="moved",
                )
                for i in range(1, n + 1)
            ],
        )
        s.commit()
        return read_chain(s)


def tamper(engine: Engine, *statements: str) -> None:
    with engine.begin() as c:
        for statement in statements:
            c.execute(text(statement))


def verify_cli(database_url: str, *args: str) -> Result:
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("ROLLCALL_")}
    env["ROLLCALL_DATABASE_URL_REGISTRATION"] = database_url
    return CliRunner().invoke(
        main, ["audit", "verify", "--service", "registration", *args], env=env
    )


def test_a_clean_chain_verifies_on_postgres(engine: Engine, database_url: str) -> None:
    chain = seed(engine, 5)
    result = verify_cli(database_url, "--expect-head", f"registration={chain[-1].hash}")
    assert result.exit_code == 0, result.output
    assert f"ok      5 entries checked, head 5:{chain[-1].hash}" in result.output


def test_text_fields_round_trip_so_the_hash_is_stable(engine: Engine) -> None:
    with Session(engine) as s:
        written = append(
            s,
            actor="officer:Ó'Brien",
            action="user.added",
            subject="user:7",
            details={"role": "officer", "note": "naïve\u2028line"},
            source="cli",
            at=datetime(2024, 5, 1, 10, 0, 0, 1, tzinfo=UTC),
            reason="new officer for Hackney – approved",
        )
        s.commit()
        assert read_chain(s) == [written]


def test_an_edited_row_is_named(engine: Engine, database_url: str) -> None:
    seed(engine, 5)
    tamper(engine, 'UPDATE audit_log SET details = \'{"field":"email"}\' WHERE seq = 3')
    result = verify_cli(database_url)
    assert result.exit_code == 1, result.output
    assert "2 of 5 entries good" in result.output
    assert "first bad entry seq 3 (member.updated ballot:3/member:M3): edited" in result.output


def test_a_deleted_row_is_named(engine: Engine, database_url: str) -> None:
    seed(engine, 5)
    tamper(engine, "DELETE FROM audit_log WHERE seq = 2")
    result = verify_cli(database_url)
    assert result.exit_code == 1, result.output
    assert (
        "first bad entry seq 3 (member.updated ballot:3/member:M3): deleted: "
        "seq 2 missing before it"
    ) in result.output


def test_a_deleted_and_renumbered_row_is_named(engine: Engine, database_url: str) -> None:
    seed(engine, 5)
    tamper(
        engine,
        "DELETE FROM audit_log WHERE seq = 2",
        "UPDATE audit_log SET seq = seq + 100 WHERE seq > 2",
        "UPDATE audit_log SET seq = seq - 101 WHERE seq > 100",
    )
    result = verify_cli(database_url)
    assert result.exit_code == 1, result.output
    assert "first bad entry seq 2 (member.updated ballot:3/member:M3): deleted" in result.output


def test_a_forged_row_inserted_in_the_middle_is_named(engine: Engine, database_url: str) -> None:
    chain = seed(engine, 4)
    fields = {
        "seq": 3,
        "at": chain[1].at,
        "actor": "officer:2",
        "source": "gateway",
        "action": "member.updated",
        "subject": "ballot:3/member:M9",
        "details": '{"field":"email","new":"forged"}',
        "reason": "",
        "prev_hash": chain[1].hash,
    }
    forged = {**fields, "hash": audit.entry_hash(**fields)}
    with engine.begin() as c:
        c.execute(text("UPDATE audit_log SET seq = seq + 100 WHERE seq >= 3"))
        c.execute(text("UPDATE audit_log SET seq = seq - 99 WHERE seq > 100"))
        c.execute(
            text(
                "INSERT INTO audit_log (seq, at, actor, source, action, subject, details,"
                " reason, prev_hash, hash) VALUES (:seq, :at, :actor, :source, :action,"
                " :subject, :details, :reason, :prev_hash, :hash)"
            ),
            forged,
        )
    result = verify_cli(database_url)
    assert result.exit_code == 1, result.output
    assert "first bad entry seq 3 (member.updated ballot:3/member:M9): inserted" in result.output


def test_two_swapped_rows_are_named(engine: Engine, database_url: str) -> None:
    seed(engine, 5)
    tamper(
        engine,
        "UPDATE audit_log SET seq = 0 WHERE seq = 2",
        "UPDATE audit_log SET seq = 2 WHERE seq = 3",
        "UPDATE audit_log SET seq = 3 WHERE seq = 0",
    )
    result = verify_cli(database_url)
    assert result.exit_code == 1, result.output
    assert "first bad entry seq 2 (member.updated ballot:3/member:M3): reordered" in result.output


def test_a_consistent_rewrite_is_caught_by_the_published_head(
    engine: Engine, database_url: str
) -> None:
    published = seed(engine, 4)[-1].hash
    with Session(engine) as s:
        rows = read_chain(s)
        prev = GENESIS_HASH
        for row in rows:
            fields = {f: getattr(row, f) for f in audit.FIELDS if f != "hash"}
            fields.update(prev_hash=prev, reason="rewritten")
            prev = audit.entry_hash(**fields)
            s.execute(
                text("UPDATE audit_log SET reason = :r, prev_hash = :p, hash = :h WHERE seq = :s"),
                {"r": "rewritten", "p": fields["prev_hash"], "h": prev, "s": row.seq},
            )
        s.commit()
    assert verify_cli(database_url).exit_code == 0
    result = verify_cli(database_url, "--expect-head", f"registration={published}")
    assert result.exit_code == 1, result.output
    assert f"rewritten: the published head {published} is not in the chain" in result.output


def test_a_database_without_the_table_gets_a_clear_message(
    engine: Engine, database_url: str
) -> None:
    tamper(engine, "DROP TABLE audit_log")
    result = verify_cli(database_url)
    assert result.exit_code == 0, result.output
    assert "no audit log yet: no audit_log table in postgresql" in result.output
    published = verify_cli(database_url, "--expect-head", f"registration={'c' * 64}")
    assert published.exit_code == 1


def test_an_unreachable_database_fails_clearly(database_url: str) -> None:
    missing = make_url(database_url).set(database="rollcall_no_such_db")
    result = verify_cli(missing.render_as_string(hide_password=False))
    assert result.exit_code == 1, result.output
    assert "FAILED  cannot read the database" in result.output


def test_a_second_append_waits_for_the_first_transaction(engine: Engine) -> None:
    # Without the advisory lock the second writer reads the same head, takes
    # the same seq and fails on the primary key once the first commits.
    first = Session(engine)
    append_many(first, [_entry("first")])
    outcome: list[object] = []

    started: list[bool] = []

    def second() -> None:
        started.append(True)
        with Session(engine) as s:
            try:
                outcome.append(append_many(s, [_entry("second")])[0])
                s.commit()
            except Exception as exc:  # noqa: BLE001 - the test reports it below
                outcome.append(exc)

    thread = threading.Thread(target=second)
    thread.start()
    try:
        # Wait until the second writer is seen blocked on a lock in this database (or
        # has finished, which is the failure), rather than for a fixed time it might not
        # need; the deadline is generous because a loaded machine can take seconds.
        deadline = time.monotonic() + 60
        longest_gap, last = 0.0, time.monotonic()
        with engine.connect() as watcher:
            while not outcome and time.monotonic() < deadline:
                waiting = watcher.execute(
                    text(
                        "select count(*) from pg_stat_activity"
                        " where wait_event_type = 'Lock' and datname = current_database()"
                    )
                ).scalar_one()
                if waiting:
                    break
                time.sleep(0.01)
                longest_gap, last = max(longest_gap, time.monotonic() - last), time.monotonic()
            backends = watcher.execute(
                text(
                    "select state, wait_event_type, wait_event, left(query, 60)"
                    " from pg_stat_activity where datname = current_database()"
                )
            ).all()
        assert outcome == [], "the second append did not wait for the first transaction"
        # If this fails, say what the backends were doing and whether this process was
        # stalled (a gap between two looks far above 10 ms: something blocked the hub)
        assert waiting, (
            f"the second append never reached the lock; second started: {started}, "
            f"longest gap between looks {longest_gap:.2f} s, backends {backends}"
        )
        first.commit()
    finally:
        # A failed assertion must not leave the first transaction holding the lock: the
        # second writer and the fixture's teardown would wait on it until the suite times out.
        first.close()
        thread.join(timeout=30)
    assert len(outcome) == 1 and isinstance(outcome[0], audit.Entry), outcome
    assert (outcome[0].seq, outcome[0].actor) == (2, "second")
    with Session(engine) as s:
        assert audit.verify(read_chain(s)).ok


def test_concurrent_appends_keep_the_chain_valid(engine: Engine) -> None:
    per_writer = 30
    errors: list[BaseException] = []

    def writer(name: str) -> None:
        try:
            for i in range(per_writer):
                with Session(engine) as s:
                    append(
                        s,
                        actor=name,
                        action="member.updated",
                        subject=f"ballot:1/member:{name}-{i}",
                        details={"i": i},
                        source="gateway",
                        at=datetime.now(UTC),
                    )
                    s.execute(text("SELECT pg_sleep(0.002)"))
                    s.commit()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(f"w{n}",)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    with Session(engine) as s:
        chain = read_chain(s)
    report = audit.verify(chain)
    assert report.ok, report.problem
    assert [e.seq for e in chain] == list(range(1, 2 * per_writer + 1))
    assert {e.actor for e in chain} == {"w0", "w1"}


def _entry(actor: str) -> NewEntry:
    return NewEntry(
        actor=actor,
        action="ballot.closed",
        subject="ballot:1",
        details={},
        source="cli",
        at=T0,
    )
