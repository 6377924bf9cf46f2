"""The voting page shows each contest's candidates in its order (fixed, alphabetical, or a fresh
shuffle per view); a test ballot says TEST BALLOT first; a preview has its form switched off."""

from __future__ import annotations

import re

from gateway import pages
from tests.builders import ballots as builders

CANDIDATES = ["Zoe ZEBRA", "Ada ADAMS", "Max MIDDLE", "Bea BROWN"]


def _ballot(**extra):
    return {
        **builders.ballot_definition(),
        "method": "fptp",
        "seats": 1,
        "candidates": CANDIDATES,
        "ballot_id": 7,
        "phase": "open",
        **extra,
    }


def _shown(html):
    return re.findall(r'type="radio" id="choice-\d+" name="choice" value="([^"]+)"', html)


def test_fixed_order_is_as_listed_and_alphabetical_is_by_surname():
    assert _shown(pages.vote_form(_ballot())) == CANDIDATES
    assert _shown(pages.vote_form(_ballot(order="alphabetical"))) == [
        "Ada ADAMS",
        "Bea BROWN",
        "Max MIDDLE",
        "Zoe ZEBRA",
    ]


def test_random_order_is_fresh_each_view_and_each_candidate_comes_first():
    views = [tuple(_shown(pages.vote_form(_ballot(order="random")))) for _ in range(200)]
    assert all(sorted(v) == sorted(CANDIDATES) for v in views)
    assert len(set(views)) > 10
    assert {v[0] for v in views} == set(CANDIDATES)


def test_a_contest_of_several_keeps_its_own_order():
    ballot = {**builders.contests_definition(), "ballot_id": 4, "phase": "open"}
    ballot["contests"][1]["order"] = "alphabetical"  # the motion: Yes, No -> No, Yes
    html = pages.vote_form(ballot)
    assert re.findall(r'name="choice-motion" value="([^"]+)"', html) == ["No", "Yes"]


def test_a_test_ballot_says_test_ballot_first_open_or_not():
    html = pages.vote_form(_ballot(test=True))
    assert html.index("TEST BALLOT") < html.index("<form")
    assert "TEST BALLOT" in pages.vote_form(_ballot(test=True, phase="draft"))
    assert "TEST BALLOT" not in pages.vote_form(_ballot())


def test_a_preview_shows_the_draft_page_with_its_form_switched_off():
    html = pages.preview(_ballot(phase="draft"))
    assert "PREVIEW" in html and "has not opened yet" not in html
    assert _shown(html) == CANDIDATES
    form = html[html.index("<form") : html.index("</form>")]
    assert "<fieldset disabled>" in form and form.index("<fieldset disabled>") < form.index(
        "<button"
    )
