"""The voting page of a ballot with several contests: a fieldset each, with its
instructions, and candidates' statements escaped."""

from __future__ import annotations

from gateway import pages
from tests.builders import ballots as builders


def _ballot():
    return {**builders.contests_definition(), "ballot_id": 4, "phase": "open"}


def test_each_contest_is_its_own_fieldset_with_its_title_and_instructions():
    html = pages.vote_form(_ballot())
    assert html.count("<fieldset>") == 2
    assert "<legend>Candidate for Hackney North</legend>" in html
    assert "<legend>Motion 1: open selections</legend>" in html
    assert '<p class="instructions">Number the candidates in order of preference.</p>' in html
    assert "You may leave a contest blank" in html
    assert html.count('name="choice-selection"') == 4  # one select per preference
    assert html.count('type="radio"') == 2 and 'name="choice-motion"' in html


def test_statements_are_escaped_text_and_only_http_links_are_links():
    ballot = _ballot()
    ballot["contests"][0]["statements"]["Mary Seacole"] = {
        "text": "<script>alert(1)</script>",
        "link": "javascript:alert(1)",
    }
    html = pages.vote_form(ballot)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Engines &lt;and&gt; numbers &amp; &quot;poetry&quot;." in html
    assert 'href="https://example.org/ada"' in html
    assert 'href="javascript' not in html


def test_choices_made_are_kept_per_contest_when_the_page_comes_back_with_an_error():
    html = pages.vote_form(
        _ballot(), "That access code is not valid.", {"motion": ["No"]}, code_invalid=True
    )
    assert 'value="No" checked' in html and 'value="Yes" checked' not in html
