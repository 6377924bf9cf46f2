"""A ballot's timetable: the postal cut-off, on SQLite."""

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
