"""A definition's candidate order and test flag: kept, announced, and an unknown order refused
in one line."""

from __future__ import annotations

import pytest

from rollcall.messaging.contracts import BallotSchema
from services.registration import ballots
from services.registration.errors import BallotInvalid
from tests.builders import ballots as builders


def test_order_and_test_are_kept_and_announced(session):
    created = ballots.create(
        session, {**builders.ballot_definition(), "order": "random", "test": True}, "test"
    )
    assert created["order"] == "random" and created["test"] is True
    assert ballots.definition(ballots.get(session, created["ballot_id"])) == created
    BallotSchema().load(created)


def test_a_contest_keeps_its_own_order(session):
    raw = builders.contests_definition()
    raw["contests"][0]["order"] = "alphabetical"
    created = ballots.create(session, raw, "test")
    assert created["contests"][0]["order"] == "alphabetical"
    assert "order" not in created["contests"][1] and "test" not in created
    BallotSchema().load(created)


def test_fixed_order_leaves_the_definition_as_it_always_was(session):
    created = ballots.create(session, {**builders.ballot_definition(), "order": "fixed"}, "test")
    assert "order" not in created


def test_an_unknown_order_is_refused_in_one_line(session):
    with pytest.raises(BallotInvalid) as refused:
        ballots.create(session, {**builders.ballot_definition(), "order": "shuffled"}, "test")
    words = str(refused.value)
    assert "\n" not in words and "order" in words and "fixed, alphabetical, random" in words
