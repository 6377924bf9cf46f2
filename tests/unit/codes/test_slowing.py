"""The schedule a client that keeps sending wrong access codes is slowed down by."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from services.codes import slowing

START = datetime(2026, 12, 7, 10, 14, 50, tzinfo=UTC)
OPERATIONS = Path(__file__).resolve().parents[3] / "docs" / "operations.md"


def test_the_first_wrong_codes_cost_nothing_then_the_wait_doubles_up_to_fifteen_minutes():
    waits = [slowing.wait_after(n).total_seconds() for n in range(1, 25)]
    assert waits[: slowing.FREE - 1] == [0.0] * (slowing.FREE - 1)
    assert waits[slowing.FREE - 1 : slowing.FREE + 4] == [1.0, 2.0, 4.0, 8.0, 16.0]
    assert waits == sorted(waits)
    assert max(waits) == slowing.LONGEST_WAIT.total_seconds() == 900
    assert slowing.wait_after(10**9) == slowing.LONGEST_WAIT


def test_retry_after_counts_from_the_last_wrong_code_in_whole_seconds():
    last = START
    assert slowing.retry_after(slowing.FREE + 2, last, last) == 4
    assert slowing.retry_after(slowing.FREE + 2, last, last + timedelta(seconds=2.5)) == 2
    assert slowing.retry_after(slowing.FREE + 2, last, last + timedelta(seconds=4)) == 0
    assert slowing.retry_after(3, last, last) == 0
    assert slowing.retry_after(50, None, last) == 0


def test_the_docs_give_the_guesses_a_client_gets_that_waits_as_told():
    hour = slowing.tries_within(timedelta(hours=1), START)
    day = slowing.tries_within(timedelta(days=1), START)
    assert 0 < hour < day
    text = OPERATIONS.read_text()
    said = re.search(
        r"at most \*\*(\d+)\*\* wrong codes in its first hour and \*\*([\d,]+)\*\* in a day", text
    )
    assert said, "docs/operations.md must give the figures"
    assert (int(said[1]), int(said[2].replace(",", ""))) == (hour, day)
