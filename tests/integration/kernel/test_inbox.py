"""The inbox on both databases: a message id is accepted once per handler, and the statement
that records it is compiled once, not once per message (it runs for every event every
handler takes: three times per vote)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.engine.interfaces import CacheStats
from sqlalchemy.orm import Session

from rollcall.db import make_engine, upgrade
from rollcall.messaging import inbox

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'codes.sqlite'}"
        upgrade("codes", url)
    else:
        url = request.getfixturevalue("databases").fresh("codes")
    engine = make_engine(url)
    yield engine
    engine.dispose()


def test_a_message_is_accepted_once_per_handler(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        assert inbox.accept(session, "m-1", "codes.handle_ballots_marked")
        assert not inbox.accept(session, "m-1", "codes.handle_ballots_marked")
        assert inbox.accept(session, "m-1", "codes.handle_voters_enrolled")
        assert inbox.accept(session, "m-2", "codes.handle_ballots_marked")
    with Session(engine) as session, session.begin():
        assert not inbox.accept(session, "m-2", "codes.handle_ballots_marked")
        rows = session.execute(
            sa.text("SELECT message_id, handler, processed_at FROM inbox ORDER BY 1, 2")
        ).all()
    assert [(r[0], r[1]) for r in rows] == [
        ("m-1", "codes.handle_ballots_marked"),
        ("m-1", "codes.handle_voters_enrolled"),
        ("m-2", "codes.handle_ballots_marked"),
    ]
    assert all(r[2] is not None for r in rows)


def test_the_accepting_statement_is_compiled_once(engine: Engine) -> None:
    seen: list[object] = []

    def note(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if "inbox" in statement and isinstance(context, DefaultExecutionContext):
            seen.append(context.cache_hit)

    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        for n in range(3):
            with Session(engine) as session, session.begin():
                inbox.accept(session, f"m-{n}", "codes.handle_ballots_marked")
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)
    assert seen == [CacheStats.CACHE_MISS, CacheStats.CACHE_HIT, CacheStats.CACHE_HIT]
