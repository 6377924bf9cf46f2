"""A ballot's timetable: the postal cut-off and the reminder times, on SQLite."""

from __future__ import annotations

import pytest

from services.registration import ballots
from services.registration.errors import BallotInvalid
from tests.builders import ballots as builders


def test_a_postal_cut_off_before_the_close_is_kept_in_the_timetable(session):
    timetable = {
        "closes_at": "2026-12-22T17:00:00+00:00",
        "postal_cutoff": "2026-12-17T17:00:00+00:00",
    }
    created = ballots.create(session, builders.ballot_definition(timetable=timetable), "test")
    assert created["timetable"]["postal_cutoff"] == "2026-12-17T17:00:00+00:00"


@pytest.mark.parametrize("cutoff", ["2026-12-22T17:00:00+00:00", "2026-12-23T09:00:00+00:00"])
def test_a_postal_cut_off_at_or_after_the_close_is_refused_with_the_reason(session, cutoff):
    timetable = {"closes_at": "2026-12-22T17:00:00+00:00", "postal_cutoff": cutoff}
    with pytest.raises(BallotInvalid, match="the postal cut-off .* must be before the close"):
        ballots.create(session, builders.ballot_definition(timetable=timetable), "test")


def test_a_postal_cut_off_that_is_not_a_time_is_refused(session):
    timetable = {"postal_cutoff": "next week"}
    with pytest.raises(BallotInvalid, match="postal_cutoff"):
        ballots.create(session, builders.ballot_definition(timetable=timetable), "test")


def test_a_replacement_cut_off_later_than_the_postal_one_is_kept(session):
    # The example: letters up to 5 days before the close, emails up to 3.
    timetable = {
        "closes_at": "2026-12-22T17:00:00+00:00",
        "postal_cutoff": "2026-12-17T17:00:00+00:00",
        "replacement_cutoff": "2026-12-19T17:00:00+00:00",
    }
    created = ballots.create(session, builders.ballot_definition(timetable=timetable), "test")
    assert created["timetable"]["replacement_cutoff"] == "2026-12-19T17:00:00+00:00"


def test_a_replacement_cut_off_at_or_after_the_close_is_refused_with_the_reason(session):
    timetable = {
        "closes_at": "2026-12-22T17:00:00+00:00",
        "replacement_cutoff": "2026-12-22T17:00:00+00:00",
    }
    with pytest.raises(BallotInvalid, match="the replacement cut-off .* must be before the close"):
        ballots.create(session, builders.ballot_definition(timetable=timetable), "test")


OPEN_CLOSE = {"opens_at": "2026-12-08T09:00:00+00:00", "closes_at": "2026-12-22T17:00:00+00:00"}


def test_reminder_times_between_opening_and_close_are_announced_earliest_first(session):
    reminders = ["2026-12-21T09:00:00+00:00", "2026-12-15T09:00:00+01:00"]
    timetable = {**OPEN_CLOSE, "reminders": reminders}
    created = ballots.create(session, builders.ballot_definition(timetable=timetable), "test")
    assert created["timetable"]["reminders"] == [reminders[1], reminders[0]]
    assert created["timetable"]["closes_at"] == OPEN_CLOSE["closes_at"]


@pytest.mark.parametrize(
    ("reminders", "words"),
    [
        (["2026-12-08T09:00:00+00:00"], "must be after the opening"),
        (["2026-12-01T09:00:00+00:00"], "must be after the opening"),
        (["2026-12-22T17:00:00+00:00"], "must be before the close"),
        (["2026-12-30T09:00:00+00:00"], "must be before the close"),
        (["2026-12-15T09:00:00+00:00", "2026-12-15T10:00:00+01:00"], "given twice"),
    ],
)
def test_a_reminder_outside_the_voting_period_or_given_twice_is_refused(session, reminders, words):
    timetable = {**OPEN_CLOSE, "reminders": reminders}
    with pytest.raises(BallotInvalid, match=words):
        ballots.create(session, builders.ballot_definition(timetable=timetable), "test")


def test_reminders_need_the_opening_and_the_close_and_must_be_times(session):
    timetable = {"closes_at": OPEN_CLOSE["closes_at"], "reminders": ["2026-12-15T09:00:00+00:00"]}
    with pytest.raises(BallotInvalid, match="reminders need the timetable's opens_at"):
        ballots.create(session, builders.ballot_definition(timetable=timetable), "test")
    timetable = {**OPEN_CLOSE, "reminders": ["the day before"]}
    with pytest.raises(BallotInvalid, match="reminders"):
        ballots.create(session, builders.ballot_definition(timetable=timetable), "test")
