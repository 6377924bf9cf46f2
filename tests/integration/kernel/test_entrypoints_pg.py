"""ServiceBase.write on PostgreSQL: a transaction chosen as a deadlock victim is run again."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import eventlet
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from rollcall import entrypoints
from rollcall.db import make_engine
from rollcall.entrypoints import ServiceBase

pytestmark = pytest.mark.integration


class _Store:
    def __init__(self, engine: Engine) -> None:
        self.factory = sessionmaker(engine)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        with self.factory() as session, session.begin():
            yield session


class _Relay:
    def __init__(self) -> None:
        self.kicks = 0

    def kick(self) -> None:
        self.kicks += 1


def _service(engine: Engine) -> Any:
    service = ServiceBase()
    service.store = _Store(engine)  # type: ignore[assignment]
    service.relay = _Relay()  # type: ignore[assignment]
    return service


@pytest.fixture
def engine(databases) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    engine = make_engine(databases.fresh("tally"))
    with engine.begin() as c:
        c.execute(sa.text("CREATE TABLE pair (id int PRIMARY KEY, v int)"))
        c.execute(sa.text("INSERT INTO pair VALUES (1, 0), (2, 0)"))
    yield engine
    engine.dispose()


def _crossing(engine: Engine) -> tuple[list[BaseException | None], list[int]]:
    """Two writes that lock rows 1 and 2 in opposite orders, meeting in the middle."""
    meet = eventlet.event.Event()
    arrived = [0]
    attempts = [0, 0]

    def work(first: int, second: int, who: int):  # type: ignore[no-untyped-def]
        def run(session: Session) -> None:
            attempts[who] += 1
            session.execute(sa.text("UPDATE pair SET v = v + 1 WHERE id = :i"), {"i": first})
            if attempts[who] == 1:  # only the first time round do both wait for each other
                arrived[0] += 1
                if arrived[0] == 2:
                    meet.send()
                meet.wait()
            session.execute(sa.text("UPDATE pair SET v = v + 1 WHERE id = :i"), {"i": second})

        return run

    errors: list[BaseException | None] = [None, None]

    def call(who: int, first: int, second: int) -> None:
        try:
            _service(engine).write(work(first, second, who))
        except BaseException as exc:  # noqa: BLE001 - recorded for the assertion
            errors[who] = exc

    pool = eventlet.GreenPool(2)
    pool.spawn(call, 0, 1, 2)
    pool.spawn(call, 1, 2, 1)
    pool.waitall()
    return errors, attempts


def test_a_deadlock_victim_is_run_again_and_both_writes_commit(engine):
    errors, attempts = _crossing(engine)
    assert errors == [None, None]
    assert sorted(attempts) == [1, 2]  # PostgreSQL aborted one; it ran again
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT sum(v) FROM pair")).scalar_one() == 4


def test_without_retries_the_deadlock_victim_fails(engine, monkeypatch):
    monkeypatch.setattr(entrypoints, "ATTEMPTS", 1)
    errors, _ = _crossing(engine)
    failed = [e for e in errors if e is not None]
    assert len(failed) == 1 and "deadlock detected" in str(failed[0])
