"""The HTML voting page: the right kind of form for each method, everything escaped."""

from __future__ import annotations

import re

from gateway import pages

HOSTILE = '<script>alert("x")</script>'


def ballot(method: str = "fptp", seats: int = 1, candidates=("Ada", "Mary", "Sylvia")):
    return {
        "ballot_id": 7,
        "title": "Selection <b>7</b>",
        "method": method,
        "seats": seats,
        "candidates": list(candidates),
    }


def test_fptp_for_one_seat_is_radio_buttons():
    html = pages.vote_form(ballot())
    assert html.count('type="radio"') == 3 and "Choose one candidate." in html


def test_approval_and_multi_seat_fptp_are_checkboxes():
    assert pages.vote_form(ballot("approval")).count('type="checkbox"') == 3
    html = pages.vote_form(ballot("fptp", seats=2))
    assert html.count('type="checkbox"') == 3 and "Choose up to 2 candidates." in html


def test_ranked_ballots_have_one_select_per_preference():
    html = pages.vote_form(ballot("stv", seats=2))
    assert html.count('<select id="choice-') == 3
    assert "1st preference" in html and "2nd preference" in html and "3rd preference" in html


def test_earlier_choices_are_kept_when_the_form_comes_back():
    html = pages.vote_form(ballot("irv"), "That access code is not valid.", ["Mary", "Ada"])
    first = re.search(r'id="choice-1".*?</select>', html, re.S).group(0)
    second = re.search(r'id="choice-2".*?</select>', html, re.S).group(0)
    assert '<option value="Mary" selected>' in first and '<option value="Ada" selected>' in second
    assert (
        'role="alert" id="error" tabindex="-1" autofocus>That access code is not valid.</p>' in html
    )


def test_candidate_names_titles_and_messages_are_escaped():
    html = pages.vote_form(ballot(candidates=[HOSTILE, "Ada"]), message=HOSTILE)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html and "Selection &lt;b&gt;7&lt;/b&gt;" in html


def test_the_receipt_page_shows_the_receipt_and_where_to_check_it():
    html = pages.receipt_page(7, "R-1/2")
    assert "R-1/2" in html and 'href="/api/ballots/7/receipts/R-1%2F2"' in html


def test_ordinals_read_naturally():
    assert [pages._ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111)] == [
        "1st",
        "2nd",
        "3rd",
        "4th",
        "11th",
        "12th",
        "13th",
        "21st",
        "22nd",
        "101st",
        "111th",
    ]


def test_html_responses_forbid_scripts_and_framing():
    response = pages.html_response(200, "<p>hi</p>")
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_a_withdrawn_candidate_is_shown_as_withdrawn_and_cannot_be_chosen():
    ranked = pages.vote_form(ballot("irv"), withdrawn={"main": ["Ada"]})
    assert '<option value="" disabled>Ada (withdrawn)</option>' in ranked
    assert 'value="Ada"' not in ranked
    assert ranked.count("<select") == 2
    assert "cannot be chosen: Ada." in ranked
    marks = pages.vote_form(ballot("approval"), withdrawn={"main": ["Ada"]})
    assert marks.count('type="checkbox"') == 3 and 'value="Ada"' not in marks
    assert "Ada (withdrawn)</label>" in marks
