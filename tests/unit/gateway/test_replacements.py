"""The replacement reply's words follow the public window alone; the page escapes what it keeps."""

from __future__ import annotations

import pytest

from gateway import pages, replacements
from gateway.errors import Answer, ReplacementClosed

POSTAL = "2026-11-19T17:00:00+00:00"
EMAIL = "2026-11-21T17:00:00+00:00"


def _window(email: bool, post: bool, closed: bool = False) -> dict:  # type: ignore[type-arg]
    return {
        "email": email,
        "post": post,
        "replacement_cutoff": EMAIL,
        "postal_cutoff": POSTAL,
        "voting_closed": closed,
    }


def test_while_both_ways_are_open_the_reply_promises_nothing_about_any_member():
    body = replacements.reply(_window(True, True))
    assert body["status"] == "received" and body["message"] == replacements.RECEIVED
    assert "If these details match" in body["message"]


def test_after_the_postal_cut_off_the_reply_says_email_only_and_what_a_postal_voter_can_do():
    message = replacements.reply(_window(True, False))["message"]
    assert "only by email" in message and "Thursday 19 November 2026, 17:00 UTC" in message
    assert "contact your association" in message


def test_after_the_replacement_cut_off_the_reply_says_letters_only():
    message = replacements.reply(_window(False, True))["message"]
    assert "only by letter" in message and "Saturday 21 November 2026, 17:00 UTC" in message


@pytest.mark.parametrize(
    ("window", "words"),
    [
        (_window(False, False), "cut-offs for a new code by email"),
        (_window(False, False, closed=True), "Voting has closed"),
    ],
)
def test_when_nothing_is_open_the_answer_is_a_refusal_saying_what_is_left(window, words):
    with pytest.raises(ReplacementClosed, match=words):
        replacements.reply(window)


def test_the_page_keeps_the_number_escaped_and_never_the_contact():
    page = replacements.form_page("3", "<script>x</script>", "You can ask.", "Sent.", ok=True)
    assert "&lt;script&gt;" in page and "<script>x" not in page
    assert 'name="email" maxlength="320" spellcheck="false" inputmode="email">' in page


def test_the_voting_page_links_to_the_replacement_page_of_its_ballot():
    ballot = {"ballot_id": 7, "title": "T", "method": "fptp", "seats": 1, "candidates": ["A", "B"]}
    assert 'href="/replacement?ballot=7"' in pages.vote_form(ballot)


def test_an_error_on_the_page_is_the_form_again_with_the_words():
    answer = Answer(404, {"error": {"code": "ballot_not_found", "message": "No such ballot."}})
    response = replacements.html_error(answer)
    text = response.get_data(as_text=True)
    assert response.status_code == 404 and "No such ballot." in text
    assert 'action="/replacement"' in text
