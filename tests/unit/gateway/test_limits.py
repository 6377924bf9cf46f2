"""Rate limits: at most N requests per key in any hour, and how long to wait beyond that."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from gateway import limits

LIMIT = limits.Limit(limit=5)
NOON = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def test_buckets_start_on_the_minute():
    assert limits.bucket_start(NOON + timedelta(seconds=59.9), LIMIT) == NOON
    assert limits.bucket_start(NOON + MINUTE, LIMIT) == NOON + MINUTE


def test_under_the_limit_a_request_is_allowed():
    assert limits.retry_after([], NOON, LIMIT) is None
    assert limits.retry_after([(NOON, 4)], NOON, LIMIT) is None


def test_at_the_limit_the_wait_is_until_the_oldest_bucket_leaves_the_hour():
    counts = [(NOON, 2), (NOON + 10 * MINUTE, 3)]
    now = NOON + 20 * MINUTE
    # The noon bucket counts until 13:01 (any moment of it may be in the last hour).
    assert limits.retry_after(counts, now, LIMIT) == (41 * MINUTE).total_seconds()


def test_the_wait_skips_buckets_that_would_still_leave_the_key_at_its_limit():
    counts = [(NOON, 1), (NOON + 10 * MINUTE, 1), (NOON + 30 * MINUTE, 5)]
    now = NOON + 40 * MINUTE
    assert limits.retry_after(counts, now, LIMIT) == (51 * MINUTE).total_seconds()


def test_buckets_older_than_the_hour_do_not_count():
    assert limits.retry_after([(NOON - 2 * MINUTE, 50)], NOON + 59 * MINUTE, LIMIT) is None
    assert limits.retry_after([(NOON, 5)], NOON + 60 * MINUTE, LIMIT) == 60


def test_keys_hold_no_value_in_clear():
    key = limits.key("member", "M12345")
    assert key.startswith("member:") and "M12345" not in key and len(key) <= 80
    assert key == limits.key("member", "M12345") != limits.key("client", "M12345")


@given(
    st.lists(st.integers(min_value=0, max_value=200), min_size=1, max_size=60),
    st.integers(min_value=1, max_value=6),
)
def test_taking_requests_as_allowed_never_puts_more_than_the_limit_in_any_hour(offsets, limit):
    """A naive check: every hour-long stretch holds at most ``limit`` accepted requests."""
    rule = limits.Limit(limit=limit)
    buckets: dict[datetime, int] = {}
    accepted: list[datetime] = []
    for offset in sorted(offsets):
        now = NOON + timedelta(minutes=offset, seconds=17)
        if limits.retry_after(list(buckets.items()), now, rule) is None:
            start = limits.bucket_start(now, rule)
            buckets[start] = buckets.get(start, 0) + 1
            accepted.append(now)
    for t in accepted:
        in_hour = [a for a in accepted if t <= a < t + rule.window]
        assert len(in_hour) <= limit


@given(st.lists(st.integers(min_value=0, max_value=120), min_size=5, max_size=30))
def test_after_the_announced_wait_a_request_is_allowed(offsets):
    buckets: dict[datetime, int] = {}
    now = NOON
    for offset in sorted(offsets):
        now = NOON + timedelta(minutes=offset)
        if limits.retry_after(list(buckets.items()), now, LIMIT) is None:
            start = limits.bucket_start(now, LIMIT)
            buckets[start] = buckets.get(start, 0) + 1
    wait = limits.retry_after(list(buckets.items()), now, LIMIT)
    if wait is not None:
        later = now + timedelta(seconds=wait)
        assert limits.retry_after(list(buckets.items()), later, LIMIT) is None
        earlier = later - timedelta(seconds=1)
        assert limits.retry_after(list(buckets.items()), earlier, LIMIT) is not None
