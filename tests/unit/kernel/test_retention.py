"""A ballot's retention date: days after the result, held while a complaint is open."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rollcall.config import ConfigError, load_settings
from rollcall.retention import Complaint, due_at, scrub

RESULT = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def test_a_ballot_without_a_result_has_no_date():
    due = due_at(None, [], 183, RESULT)
    assert due.due_at is None and due.holds == ("the ballot has no result yet",)


def test_the_date_is_the_days_after_the_result_and_holds_until_then():
    due = due_at(RESULT, [], 183, RESULT + timedelta(days=10))
    assert due.due_at == RESULT + timedelta(days=183)
    assert due.holds == ("kept until 2027-06-02 10:00 UTC (183 days after the result)",)
    assert due_at(RESULT, [], 183, RESULT + timedelta(days=183)).holds == ()


def test_an_open_complaint_holds_the_ballot_whatever_the_date():
    later = RESULT + timedelta(days=400)
    for status in ("open", "investigating"):
        due = due_at(RESULT, [Complaint(status, RESULT)], 183, later)
        assert due.due_at is None and due.holds == ("1 complaint still open",)
    two = [Complaint("open", RESULT), Complaint("investigating", RESULT)]
    assert due_at(RESULT, two, 183, later).holds == ("2 complaints still open",)


def test_a_settled_complaint_restarts_the_clock_from_its_settlement():
    settled = RESULT + timedelta(days=100)
    complaints = [Complaint("dismissed", settled), Complaint("upheld", RESULT)]
    due = due_at(RESULT, complaints, 183, RESULT + timedelta(days=200))
    assert due.due_at == settled + timedelta(days=183)
    assert due.holds and "after the last complaint was settled" in due.holds[0]
    assert due_at(RESULT, complaints, 183, settled + timedelta(days=183)).holds == ()


def test_scrub_leaves_what_happened_and_takes_out_whom_it_quotes():
    matched = "in review: first name differs ('Jon' / 'John'); postcode differs (E8 1AA / E81AB)"
    assert scrub(matched) == (
        "in review: first name differs ((erased) / (erased)); postcode differs "
        "((erased) / (erased))"
    )
    bounced = "mail failed: 550 5.1.1 <ada.byron@example.org>: Recipient address rejected"
    assert scrub(bounced) == "mail failed: 550 5.1.1 <(erased)>: Recipient address rejected"
    own = "awaiting code: Ada Byron at 10 High Street, Hackney"
    assert scrub(own, ["Ada", "Byron", "10 High Street", ""]) == (
        "awaiting code: (erased) (erased) at (erased), Hackney"
    )
    assert scrub("voted online", ["Ada"]) == "voted online"
    assert scrub("Adam voted", ["Ada"]) == "Adam voted"


def test_a_negative_retention_is_refused_naming_the_setting():
    with pytest.raises(ConfigError, match="setting retention_days: needs 0 or more days, got -1"):
        load_settings({"ROLLCALL_RETENTION_DAYS": "-1"})
    assert load_settings({}).retention_days == 183
