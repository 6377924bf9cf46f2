"""An entrypoint wakes its outbox relay only when its transaction emitted an event: a relay
step is a transaction of its own (on SQLite it takes the write lock), and every consumed
event used to wake it for nothing (three times per vote)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from rollcall.db import make_engine, upgrade
from rollcall.entrypoints import ServiceBase
from rollcall.messaging.consumer import EventMeta
from rollcall.messaging.outbox import emit


class _Store:
    def __init__(self, engine: sa.Engine) -> None:
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


def _service(tmp_path) -> Any:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'codes.sqlite'}"
    upgrade("codes", url)
    service = ServiceBase()
    service.store = _Store(make_engine(url))  # type: ignore[assignment]
    service.relay = _Relay()  # type: ignore[assignment]
    return service


def _marked(session: Session) -> None:
    emit(
        session,
        "ballots.marked",
        {"ballot_id": 1, "membership_number": "M1", "channel": "online"},
        correlation_id=1,
    )


def _meta(message_id: str) -> EventMeta:
    return EventMeta(message_id, "1", "ballots.marked", 0, False, "codes.handle_ballots_marked")


def test_a_write_wakes_the_relay_only_if_it_emitted(tmp_path):
    service = _service(tmp_path)
    service.write(lambda s: s.execute(sa.text("SELECT 1")))
    assert service.relay.kicks == 0
    service.write(_marked)
    assert service.relay.kicks == 1


def test_an_event_wakes_the_relay_only_if_its_effect_emitted(tmp_path):
    service = _service(tmp_path)
    assert service.on_event(_meta("a"), lambda s: None) == "ok"
    assert service.relay.kicks == 0
    assert service.on_event(_meta("b"), _marked) == "ok"
    assert service.relay.kicks == 1
    assert service.on_event(_meta("b"), _marked) == "duplicate"
    assert service.relay.kicks == 1
    with service.store.transaction() as session:
        assert session.execute(sa.text("SELECT count(*) FROM outbox")).scalar_one() == 1
