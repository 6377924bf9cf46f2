"""A ballot with several contests: the code letter, the code email and the reminder name each
contest, and the postal words ask for a paper per contest; the code email says where the
candidates' statements are (the voting page) and carries none of their words. A ballot with one
contest reads as before."""

from __future__ import annotations

import dataclasses
import io
from datetime import UTC, datetime

from pypdf import PdfReader

from services.mailer import letters, printing
from tests.builders import ballots as builders
from tests.unit.mailer.test_printing import BALLOT, CODE, VOTER, _pages

TITLES = ("Candidate for Hackney North", "Motion 1: open selections")


def _facts(definition):
    stored = letters.statements_of(definition)
    return dataclasses.replace(
        BALLOT,
        timetable={**BALLOT.timetable, **letters.timetable_of(definition)},
        statements=letters.statements_facts(stored),
        stored_statements=stored,
    )


def _email(ballot: letters.BallotFacts) -> str:
    message = letters.email(
        ballot_id=ballot.ballot_id,
        title=ballot.title,
        contact={**VOTER, "email": "m1@example.org"},
        code=CODE,
        kind="initial",
        sender="ballots@example.org",
        vote_url=ballot.vote_url,
        ballot=ballot,
    )
    return " ".join(message.get_content().split())


def test_the_mailer_keeps_the_titles_of_a_ballot_with_several_contests():
    kept = letters.timetable_of(builders.contests_definition())
    assert letters.contests_of(kept) == TITLES
    assert letters.contests_of(letters.timetable_of(builders.ballot_definition())) == ()
    assert not letters.is_test(kept)
    assert letters.is_test(letters.timetable_of({**builders.ballot_definition(), "test": True}))


def test_the_code_letter_of_a_ballot_with_several_contests_names_each_and_a_paper_for_each():
    printed = letters.letter("initial", VOTER, CODE, _facts(builders.contests_definition()))
    words = " ".join((*printed.paragraphs, *printed.after_code))
    assert 'two contests: "Candidate for Hackney North" and "Motion 1: open selections"' in words
    assert "One access code votes in all of them" in words
    assert "mark the two postal ballot papers that come with this letter, one for each" in words
    assert "the postal ballot paper that comes" not in words
    assert "statements, in their own words, follow this letter" in words
    pdf = printing.render_pdf(
        [printed], sender="b@example", date=datetime(2026, 12, 7, tzinfo=UTC), fonts=None
    )
    first = _pages(pdf)[0]
    assert all(title in first for title in TITLES)
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 2  # the statements page follows


def test_a_single_contest_letter_reads_as_before():
    printed = letters.letter("initial", VOTER, CODE, _facts(builders.ballot_definition()))
    words = " ".join((*printed.paragraphs, *printed.after_code))
    assert "mark the postal ballot paper that comes with this letter" in words
    assert "contests" not in words and "statements" not in words


def test_the_code_email_names_each_contest_and_says_where_the_statements_are():
    definition = builders.contests_definition()
    definition["contests"][0]["statements"]["Mary Seacole"] = {"text": "<b>Vote</b> me", "link": ""}
    body = _email(_facts(definition))
    assert 'two contests: "Candidate for Hackney North" and "Motion 1: open selections"' in body
    assert "statements, in their own words, are on the voting page" in body
    assert "<b>Vote</b>" not in body and "Engines" not in body  # none of their words
    plain = _email(_facts(builders.ballot_definition()))
    assert "contests" not in plain and "statements" not in plain


def test_a_reminder_by_post_asks_for_a_paper_per_contest():
    ballot = _facts(builders.contests_definition())
    words = " ".join(letters.reminder_paragraphs({**VOTER, "code_channel": "post"}, ballot))
    assert "mark the postal ballot papers that came with your code letter, one for each" in words
    assert all(title in words for title in TITLES)
