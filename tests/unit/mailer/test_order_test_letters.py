"""Letters of a test ballot say TEST BALLOT; a random order rotates per print batch; the
preview's sample letter is to a placeholder member, headed PREVIEW."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from pypdf import PdfReader

from services.mailer import letters
from services.mailer.models import Delivery
from services.mailer.sending import _batch_manifest, _write_postal_batch
from tests.unit.mailer.test_printing import BALLOT, VOTER

NAMES = ["Ann A", "Ben B", "Cat C"]


def _definition(order):
    return {
        "title": "Selection",
        "candidates": NAMES,
        "order": order,
        "statements": {n: {"text": f"I am {n}", "link": ""} for n in NAMES},
    }


def test_a_test_ballots_title_says_test_ballot_in_every_email_and_letter():
    title = letters.title_of({"title": "Selection", "test": True})
    assert title.startswith("TEST BALLOT")
    assert letters.title_of({"title": "Selection"}) == "Selection"
    ballot = dataclasses.replace(BALLOT, title=title)
    mail = letters.email(
        ballot_id=1,
        title=title,
        contact={**VOTER, "email": "v@example.org"},
        code="X",
        kind="initial",
        sender="a@example.org",
        vote_url="https://v",
    )
    assert mail["Subject"].endswith("TEST BALLOT - Selection")
    assert "TEST BALLOT" in mail.get_content()
    assert letters.letter("initial", VOTER, "X", ballot).title.startswith("TEST BALLOT")
    assert letters.letter("reminder-1", VOTER, "", ballot).title.startswith("TEST BALLOT")


def test_a_random_order_rotates_per_print_batch():
    stored = letters.statements_of(_definition("random"))
    for k in range(4):
        ((_, rows),) = letters.statements_facts(stored, k)
        assert [r[0] for r in rows] == NAMES[k % 3 :] + NAMES[: k % 3]
    fixed = letters.statements_of(_definition("fixed"))
    assert [r[0] for r in letters.statements_facts(fixed, 2)[0][1]] == NAMES


def test_the_sample_letter_is_headed_preview_to_a_placeholder():
    sample = letters.sample_letter(BALLOT)
    assert sample.heading.startswith("PREVIEW")
    assert sample.name == letters.SAMPLE_CONTACT["name"] and sample.code == letters.SAMPLE_CODE


def test_each_postal_batch_of_a_ballot_prints_the_statements_rotated_by_one_more(tmp_path):
    stored = letters.statements_of(_definition("random"))
    ballot = dataclasses.replace(
        BALLOT, statements=letters.statements_facts(stored), stored_statements=stored
    )
    contact = {**VOTER, "membership_number": "M1"}
    item = (
        Delivery(kind="initial", contact=contact),
        letters.postal_row(
            ballot_id=BALLOT.ballot_id, contact=contact, code="ABCD", vote_url="https://v"
        ),
    )
    firsts = []
    for k in range(4):
        at = datetime(2026, 12, 1, tzinfo=UTC) + timedelta(seconds=k)
        manifest = _batch_manifest(tmp_path, BALLOT.ballot_id, at)
        _write_postal_batch(ballot, [item], manifest, "a@example.org")
        text = PdfReader(manifest.replace(".csv", ".pdf")).pages[-1].extract_text()
        firsts.append(min(NAMES, key=lambda n: text.index(f"I am {n}")))
    assert firsts == ["Ann A", "Ben B", "Cat C", "Ann A"]
    # A batch written again (after a crash) keeps its place, though later batches exist now.
    again = _batch_manifest(tmp_path, BALLOT.ballot_id, datetime(2026, 12, 1, 0, 0, 1, tzinfo=UTC))
    _write_postal_batch(ballot, [item], again, "a@example.org")
    text = PdfReader(again.replace(".csv", ".pdf")).pages[-1].extract_text()
    assert min(NAMES, key=lambda n: text.index(f"I am {n}")) == "Ben B"
