"""Rate limits shared by every gateway replica: counters in the gateway's database.

A limit allows at most ``limit`` requests per key in any ``window``. Requests
are counted per key in buckets of ``bucket`` (a row of ``rate_limits``:
key, bucket start, count); a bucket counts while any moment of it lies
inside the last ``window``, so the count errs on the side of refusing.

Guarantees:

- ``take`` counts one request under every key, or under none: a request
  refused under one key is not counted under any, so a refusal never
  lengthens the wait it announces.
- On PostgreSQL each key is locked for the transaction before it is read,
  so replicas checking the same key at once cannot both slip under the
  limit. SQLite serialises writers itself.
- Keys are stored as a SHA-256 of what they name (a client address, a
  membership number), never in clear; rows older than the window are
  removed by ``purge``.
- ``retry_after`` is pure: how long until a request under a key would be
  allowed again, or ``None`` if it is allowed now.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from gateway.models import RateLimit

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: Arbitrary class id for the advisory locks of rate-limit keys ("RL").
LOCK_CLASS = 0x524C


@dataclass(frozen=True, slots=True)
class Limit:
    limit: int
    window: timedelta = timedelta(hours=1)
    bucket: timedelta = timedelta(minutes=1)


#: A member's roll check: per client address and per membership number.
ROLL_CHECK = Limit(limit=5)
#: Replacement codes: per membership number (each one replaces the member's code), and
#: per client address (a party office may help several members). The window and bucket
#: are the roll check's, so one purge serves both.
REPLACEMENT_MEMBER = Limit(limit=3)
REPLACEMENT_CLIENT = Limit(limit=10)


def key(kind: str, value: str) -> str:
    """The stored key for ``value`` of ``kind`` (``client``, ``member``)."""
    return f"{kind}:{hashlib.sha256(value.encode('utf-8')).hexdigest()}"


def bucket_start(now: datetime, limit: Limit) -> datetime:
    """The start of the bucket ``now`` falls in."""
    return EPOCH + ((now - EPOCH) // limit.bucket) * limit.bucket


def oldest_counted(now: datetime, limit: Limit) -> datetime:
    """Buckets starting after this still count at ``now``."""
    return now - limit.window - limit.bucket


def retry_after(counts: Sequence[tuple[datetime, int]], now: datetime, limit: Limit) -> int | None:
    """Seconds until one more request is allowed, given (bucket start, count); ``None``: now."""
    live = sorted((start, n) for start, n in counts if start > oldest_counted(now, limit))
    total = sum(n for _, n in live)
    if total < limit.limit:
        return None
    for start, n in live:
        total -= n
        if total < limit.limit:
            expires = start + limit.bucket + limit.window
            return max(1, math.ceil((expires - now).total_seconds()))
    raise AssertionError("unreachable: the counts fell below the limit")  # pragma: no cover


def _lock(session: Session, keys: Iterable[str]) -> None:
    if session.get_bind().dialect.name != "postgresql":
        return
    for k in sorted(keys):  # one order everywhere: no deadlock between replicas
        session.execute(
            text(f"SELECT pg_advisory_xact_lock({LOCK_CLASS}, hashtext(:key))"), {"key": k}
        )


def take(session: Session, keys: Sequence[str], now: datetime, limit: Limit) -> int | None:
    """Count one request under each of ``keys``; or, if any is at its limit, the wait."""
    _lock(session, keys)
    rows = session.execute(
        select(RateLimit.key, RateLimit.window_start, RateLimit.count.label("n")).where(
            RateLimit.key.in_(list(keys)),
            RateLimit.window_start > oldest_counted(now, limit),
        )
    ).all()
    waits = []
    for k in keys:
        wait = retry_after([(r.window_start, r.n) for r in rows if r.key == k], now, limit)
        if wait is not None:
            waits.append(wait)
    if waits:
        return max(waits)
    start = bucket_start(now, limit)
    for k in keys:
        row = session.get(RateLimit, (k, start))
        if row is None:
            session.add(RateLimit(key=k, window_start=start, count=1))
        else:
            row.count += 1
    return None


def purge(session: Session, now: datetime, limit: Limit) -> None:
    """Remove buckets that no longer count."""
    session.execute(delete(RateLimit).where(RateLimit.window_start <= oldest_counted(now, limit)))
