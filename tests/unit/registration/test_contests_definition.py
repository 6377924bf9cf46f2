"""A ballot definition with several contests, and candidate statements: what registration
keeps and announces, and what it refuses (one line naming the problem)."""

from __future__ import annotations

import pytest

from rollcall.messaging.contracts import BallotSchema
from services.registration import ballots
from services.registration.errors import BallotInvalid
from services.registration.schemas import RON
from tests.builders import ballots as builders


def _contests(**first):
    definition = builders.contests_definition()
    definition["contests"][0].update(first)
    return definition


def test_contests_are_kept_and_announced_each_with_its_own_method_and_candidates(session):
    raw = _contests(candidates=["Ada Lovelace", "Mary Seacole"], ron=True)
    created = ballots.create(session, raw, "test")
    assert "method" not in created and "candidates" not in created
    selection, motion = created["contests"]
    assert selection["candidates"] == ["Ada Lovelace", "Mary Seacole", RON]
    assert selection["statements"]["Ada Lovelace"]["link"] == "https://example.org/ada"
    assert (motion["method"], motion["candidates"]) == ("fptp", ["Yes", "No"])
    assert ballots.definition(ballots.get(session, created["ballot_id"])) == created
    BallotSchema().load(created)  # what the tally, codes and mailer are sent


def test_a_single_contest_definition_is_announced_as_it_always_was(session):
    created = ballots.create(session, builders.ballot_definition(), "test")
    assert set(created) == {
        "ballot_id",
        "title",
        "method",
        "seats",
        "candidates",
        "area",
        "timetable",
        "eligibility",
        "seed",
        "phase",
    }


def test_a_single_contest_may_carry_statements_and_instructions(session):
    raw = builders.ballot_definition(
        instructions="Choose one.", statements={"Mary Seacole": {"text": "Nurse."}}
    )
    created = ballots.create(session, raw, "test")
    assert created["instructions"] == "Choose one."
    assert created["statements"] == {"Mary Seacole": {"text": "Nurse.", "link": ""}}


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (_contests(statements={"Nobody": {"text": "x"}}), "not a candidate: Nobody"),
        (_contests(statements={"Ada Lovelace": {"text": "x" * 1001}}), "Longer than maximum"),
        (_contests(statements={"Ada Lovelace": {"text": "bell\x07"}}), "plain text"),
        (
            _contests(statements={"Ada Lovelace": {"link": "javascript:alert(1)"}}),
            "http:// or https://",
        ),
        (_contests(id="Has Spaces"), "lower-case letters"),
        (_contests(id="motion"), "contest ids must be distinct"),
        (_contests(seats=4), "more candidates than seats"),
        ({**builders.contests_definition(), "method": "stv"}, "in each contest"),
    ],
)
def test_a_bad_contest_or_statement_is_refused_naming_it(session, raw, words):
    with pytest.raises(BallotInvalid, match=words):
        ballots.create(session, raw, "test")


def test_the_documented_contests_example_is_a_valid_ballot_as_written(session):
    from tests.unit.docs.test_examples import one

    example = one("docs/formats.md", lambda d: isinstance(d, dict) and "contests" in d)
    created = ballots.create(session, example, "test")
    assert [c["id"] for c in created["contests"]] == ["selection", "motion"]
    assert created["contests"][0]["candidates"][-1] == RON
