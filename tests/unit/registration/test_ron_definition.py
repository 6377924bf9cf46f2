"""``ron: true`` in a ballot definition offers RON (re-open nominations) as one more
candidate, stored with the others so that the page, casting and the count treat it like
any other; the count says when it wins (tests/unit/tally/test_ron.py)."""

from __future__ import annotations

import pytest

from services.registration import ballots
from services.registration.errors import BallotInvalid
from services.registration.schemas import RON, BallotDefinitionSchema
from services.tally.counting import count_ballots, is_ron
from tests.builders import ballots as builders
from tests.unit.docs.test_examples import EXAMPLES, load


def test_ron_true_adds_ron_as_the_last_candidate(session):
    created = ballots.create(session, builders.ballot_definition(ron=True), "test")
    assert created["candidates"] == ["Ada Lovelace", "Mary Seacole", "Sylvia Pankhurst", RON]
    assert is_ron(created["candidates"][-1])


def test_without_ron_the_candidates_are_as_given(session):
    created = ballots.create(session, builders.ballot_definition(), "test")
    assert RON not in created["candidates"]


def test_ron_named_among_the_candidates_as_well_is_refused(session):
    definition = builders.ballot_definition(ron=True, candidates=["Ada Lovelace", "RON"])
    with pytest.raises(BallotInvalid, match="RON is already a candidate"):
        ballots.create(session, definition, "test")


def test_ron_counts_towards_more_candidates_than_seats(session):
    definition = builders.ballot_definition(ron=True, candidates=["Ada Lovelace"], method="irv")
    created = ballots.create(session, definition, "test")
    result = count_ballots(
        "irv", created["candidates"], [((RON,), 3), (("Ada Lovelace",), 2)], seed="s"
    )
    assert result.winners == [RON] and result.ron_elected


def test_the_documented_example_offers_ron():
    [example] = [
        load(k, b)
        for w, k, b in EXAMPLES
        if w.startswith("docs/formats.md") and isinstance(load(k, b), dict) and "ron" in load(k, b)
    ]
    assert BallotDefinitionSchema().load(example)["candidates"][-1] == RON
