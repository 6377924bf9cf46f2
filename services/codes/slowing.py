"""How long a client that keeps sending wrong access codes must wait before its next try. Pure.

The codes service counts wrong codes per client address over a sliding
``WINDOW`` (in buckets of ``BUCKET``; a bucket counts while any moment of it
lies inside the window, so the count errs on the side of slowing). The first
``FREE`` wrong codes in any window cost nothing; after that, each wrong code
makes the client wait before the next: ``FIRST_WAIT``, doubling with every
further one, up to ``LONGEST_WAIT``.

A wait never stops a valid code: the codes service checks the code first and
only a wrong one is answered with the wait. So many voters behind one address
(a party office, a university's NAT, a proxy not named in ``trusted_proxies``)
cannot be locked out by one of them typing badly or by someone guessing: they
are told to slow down only about codes that were wrong anyway.

Guarantees: ``wait_after`` never decreases as failures grow and never exceeds
``LONGEST_WAIT``; ``retry_after`` is 0 exactly when another try is allowed now.
``tries_within`` is the schedule a client that always waits as told gets:
the docs' figures come from it, and a test holds them to it.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

FREE = 10
WINDOW = timedelta(hours=1)
BUCKET = timedelta(minutes=1)
FIRST_WAIT = timedelta(seconds=1)
LONGEST_WAIT = timedelta(minutes=15)


def wait_after(failures: int) -> timedelta:
    """How long a client with ``failures`` wrong codes in the window waits after its last one."""
    if failures < FREE:
        return timedelta(0)
    doublings = failures - FREE
    if doublings >= 20:  # far past the cap; no giant powers of two
        return LONGEST_WAIT
    return min(LONGEST_WAIT, FIRST_WAIT * 2**doublings)


def retry_after(failures: int, last: datetime | None, now: datetime) -> int:
    """Whole seconds until the next try is allowed (0: now), given the count and the last failure."""
    if last is None:
        return 0
    left = (last + wait_after(failures) - now).total_seconds()
    return max(0, math.ceil(left))


def oldest_counted(now: datetime) -> datetime:
    """Buckets starting after this still count at ``now``."""
    return now - WINDOW - BUCKET


def bucket_start(now: datetime) -> datetime:
    """The start of the bucket ``now`` falls in (buckets are aligned to the minute)."""
    return now.replace(second=0, microsecond=0)


def tries_within(span: timedelta, start: datetime) -> int:
    """How many wrong codes a client sending each one the moment it is allowed gets in ``span``.

    Simulates the service's own counting (buckets, the sliding window) from
    ``start`` with no earlier failures.
    """
    buckets: dict[datetime, int] = {}
    now, last, tries = start, None, 0
    while now < start + span:
        live = sum(n for b, n in buckets.items() if b > oldest_counted(now))
        wait = retry_after(live, last, now)
        if wait:
            now += timedelta(seconds=wait)
            continue
        tries += 1
        buckets[bucket_start(now)] = buckets.get(bucket_start(now), 0) + 1
        last = now
    return tries
