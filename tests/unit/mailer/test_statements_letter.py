"""The candidates' statements go with the code letter, on a page of their own, as plain text;
the manifest still names the page each letter starts on."""

from __future__ import annotations

import csv
import dataclasses
import io

from services.mailer import letters, printing
from tests.builders import ballots as builders
from tests.unit.mailer.test_printing import BALLOT, CODE, EXCLUDED, NOW, VOTER, _pages

HOSTILE = "<b>Engines</b> & **poetry** %s {x}"


def _ballot():
    definition = builders.contests_definition()
    definition["contests"][0]["statements"]["Mary Seacole"] = {"text": HOSTILE, "link": ""}
    stored = letters.statements_of(definition)
    return dataclasses.replace(BALLOT, statements=letters.statements_facts(stored)), stored


def test_statements_are_taken_by_contest_in_the_order_of_its_candidates():
    _, stored = _ballot()
    assert stored == [
        [
            "Candidate for Hackney North",
            [
                ["Ada Lovelace", 'Engines <and> numbers & "poetry".', "https://example.org/ada"],
                ["Mary Seacole", HOSTILE, ""],
            ],
        ]
    ]
    assert letters.statements_of(builders.ballot_definition()) == []


def test_the_code_letter_is_followed_by_the_statements_and_the_manifest_says_where_each_starts():
    ballot, _ = _ballot()
    printed = [
        letters.letter("initial", VOTER, CODE, ballot),
        letters.letter(letters.exclusion_kind("not_on_register"), EXCLUDED, "", ballot),
    ]
    assert printed[1].statements == ()  # a notice carries none
    rows = [{"membership_number": c["membership_number"]} for c in (VOTER, EXCLUDED)]
    pdf, starts = printing.render_pdf_pages(printed, sender="b@example", date=NOW, fonts=None)
    pages = _pages(pdf)
    assert len(pages) == 3 and starts == [1, 3]
    assert "What the candidates say: Selection for Hackney North" in pages[1]
    assert "Candidate for Hackney North" in pages[1] and "https://example.org/ada" in pages[1]
    assert HOSTILE in pages[1]  # shown as written: no markup, no formatting
    assert "M2" in pages[2] and "What the candidates say" not in pages[2]
    manifest = printing.manifest_csv(["membership_number"], rows, printed, starts)
    assert [r["page"] for r in csv.DictReader(io.StringIO(manifest))] == ["1", "3"]
