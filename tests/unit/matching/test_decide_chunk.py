"""Deciding a chunk (``decisions.decide_chunk``) on the real databases: a handful of
statements a chunk, not a query a member, and deciding a chunk again keeps one decision
and one open review a member."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from rollcall.db import make_engine, upgrade
from rollcall.formats import MATCH_FIELDS
from rollcall_tools import synth
from services.matching import decisions
from services.matching.matcher.candidates import MemoryIndex
from services.matching.models import MatchDecision, Review

AREA_SHARE = 0.8


@pytest.fixture
def database(empty_database: str) -> Iterator[sa.Engine]:
    upgrade("matching", empty_database)
    engine = make_engine(empty_database)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def world() -> tuple[MemoryIndex, list[dict[str, str]], list[str]]:
    data = synth.generate(300, 200, seed=5)
    wards = sorted({r["ward"] for r in data.register_rows})
    area = wards[: max(1, int(len(wards) * AREA_SHARE))]
    members = [{f: m.get(f, "") for f in MATCH_FIELDS} for m in data.member_rows]
    return MemoryIndex.from_rows(data.register_rows), members, area


def _decide(engine: sa.Engine, world, members, ballot_id: int = 1) -> tuple[dict[str, int], int]:
    """Decide ``members`` as one chunk in one transaction; (counts, SQL statements run)."""
    source, _, area = world
    statements = 0

    def count(*_args: object) -> None:
        nonlocal statements
        statements += 1

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        with sessionmaker(engine)() as session, session.begin():
            counts = decisions.decide_chunk(
                session, source, ballot_id=ballot_id, area=area, members=members
            )
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return counts, statements


def test_a_chunk_costs_the_same_few_statements_whatever_its_size(database, world):
    _, members, _ = world
    small, small_statements = _decide(database, world, members[:10], ballot_id=1)
    large, large_statements = _decide(database, world, members[:200], ballot_id=2)
    assert sum(large.values()) == 200 and large["review"] and large["match"] and large["no_match"]
    # Reads of the chunk's holders, decisions and open reviews, one INSERT of the decisions,
    # an outbox row per event type, and the reviews (one INSERT each on SQLite, which reads
    # each new id back). Before: a SELECT and an INSERT per member.
    assert large_statements <= 10 + large["review"], (large, large_statements)
    assert large_statements - large["review"] <= small_statements - small["review"] + 3


def test_deciding_a_chunk_again_keeps_one_decision_and_one_open_review_a_member(database, world):
    _, members, _ = world
    chunk = members[:120]
    first, _ = _decide(database, world, chunk)
    again, _ = _decide(database, world, chunk)
    assert first == again and first["review"] > 0
    with Session(database) as session:
        rows = session.scalars(sa.select(MatchDecision).where(MatchDecision.ballot_id == 1)).all()
        reviews = session.scalars(sa.select(Review).where(Review.ballot_id == 1)).all()
        outbox = session.execute(sa.text("SELECT event_type, payload FROM outbox")).all()
    assert sorted(r.membership_number for r in rows) == sorted(
        m["membership_number"] for m in chunk
    )
    status = Counter((r.membership_number, r.status) for r in reviews)
    reviewed = {r.membership_number for r in rows if r.decision == "review"}
    assert {n for n, s in status if s == "open"} == reviewed
    assert all(status[(n, "open")] == 1 and status[(n, "superseded")] == 1 for n in reviewed)
    # Each event names the review it opened: the second chunk's events the open ones.
    open_ids = {r.id for r in reviews if r.status == "open"}
    named = [
        d["review_id"]
        for event_type, payload in outbox
        if event_type == "members.review_needed"
        for d in json.loads(payload)["decisions"]
    ]
    assert len(named) == 2 * len(reviewed) and open_ids == set(named[len(reviewed) :])


def test_a_chunk_finds_its_members_open_reviews_without_reading_the_ballots(database, world):
    """The open reviews a chunk supersedes are searched by member: with only the queue's
    index (ballot, association, status), every review of the ballot was read each chunk."""
    _, members, _ = world
    _decide(database, world, members[:120])
    reads: list[tuple[str, object]] = []

    def keep(_c: object, _cursor: object, statement: str, parameters: object, *_: object) -> None:
        if "FROM reviews" in statement:
            reads.append((statement, parameters))

    sa.event.listen(database, "before_cursor_execute", keep)
    try:
        again, _ = _decide(database, world, members[:120])
    finally:
        sa.event.remove(database, "before_cursor_execute", keep)
    assert again["review"] and len(reads) == 1
    statement, parameters = reads[0]
    with database.connect() as connection:
        if database.dialect.name == "sqlite":
            explain = f"EXPLAIN QUERY PLAN {statement}"
        else:  # a table this small is read whole; which index would it search?
            connection.exec_driver_sql("SET enable_seqscan = off")
            explain = f"EXPLAIN {statement}"
        plan = " ".join(str(row[-1]) for row in connection.exec_driver_sql(explain, parameters))
    assert "ix_reviews_member" in plan, plan
