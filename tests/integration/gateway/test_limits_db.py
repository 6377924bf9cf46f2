"""Rate-limit counters in the gateway's database: shared, all-or-nothing, purged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import eventlet
import pytest

from gateway import limits
from rollcall.db import make_engine, session_factory, upgrade

LIMIT = limits.Limit(limit=5)
NOON = datetime(2026, 5, 1, 12, 0, 30, tzinfo=UTC)


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def factory(request, databases, tmp_path_factory):  # type: ignore[no-untyped-def]
    """Sessions on a gateway database, shared by the module: each test uses its own keys."""
    if request.param == "postgresql":
        url = databases.fresh("gateway")
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('limits') / 'gateway.db'}"
        upgrade("gateway", url)
    engine = make_engine(url)
    yield session_factory(engine)
    engine.dispose()


def take(factory, keys: list[str], now: datetime = NOON) -> int | None:  # type: ignore[no-untyped-def]
    with factory() as session, session.begin():
        return limits.take(session, keys, now, LIMIT)


def counts(factory, *keys: str) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Requests held under each of ``keys`` that has any."""
    with factory() as session:
        rows = session.query(limits.RateLimit).filter(limits.RateLimit.key.in_(keys)).all()
        totals: dict[str, int] = {}
        for row in rows:
            totals[row.key] = totals.get(row.key, 0) + row.count
        return totals


def test_a_refused_request_is_counted_under_no_key(factory):
    busy, idle = limits.key("client", "10.0.0.1"), limits.key("member", "M1")
    for _ in range(5):
        assert take(factory, [busy]) is None
    assert take(factory, [busy, idle]) == 3630  # until 13:01, when the 12:00 bucket leaves
    assert counts(factory, busy, idle) == {busy: 5}
    assert take(factory, [idle]) is None and counts(factory, idle) == {idle: 1}


def test_concurrent_requests_under_one_key_never_pass_the_limit(factory):
    key = limits.key("client", "10.0.0.2")
    pool = eventlet.GreenPool(12)
    results = list(pool.imap(lambda _: take(factory, [key]), range(12)))
    assert results.count(None) == 5 and counts(factory, key) == {key: 5}


def test_purge_removes_only_buckets_that_no_longer_count(factory):
    key = limits.key("client", "10.0.0.3")
    take(factory, [key], NOON - timedelta(hours=2))
    take(factory, [key], NOON - timedelta(minutes=30))
    with factory() as session, session.begin():
        limits.purge(session, NOON, LIMIT)
    assert counts(factory, key) == {key: 1}
