"""The plain HTML voting page over real HTTP: pick a ballot, vote, get a receipt or plain words."""

from __future__ import annotations

import re

from tests.integration.gateway import standins

FORM = {"ballot_id": str(standins.OPEN), "code": "GOOD-CODE-0001", "choice": ["Ada Lovelace"]}


def test_the_front_page_asks_for_the_ballot_number(gateway):
    for path in ("/", "/vote"):
        page = gateway.get(path)
        assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
        assert 'name="ballot"' in page.text and "<script" not in page.text


def test_a_ballots_page_lists_its_candidates_escaped(gateway):
    page = gateway.get(f"/vote?ballot={standins.HOSTILE}")
    assert page.status_code == 200
    for candidate in standins.CANDIDATES:
        assert f'value="{candidate}"' in page.text
    assert standins.HOSTILE_NAME not in page.text
    assert "&lt;script&gt;" in page.text
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]


def test_a_ranked_ballot_asks_for_preferences(gateway):
    page = gateway.get(f"/vote?ballot={standins.RANKED}")
    assert "1st preference" in page.text and page.text.count('<select id="choice-') == 3


def test_voting_by_form_shows_the_receipt(gateway):
    page = gateway.post("/vote", data=FORM)
    assert page.status_code == 201
    assert "Your vote has been recorded" in page.text and "R0001" in page.text
    assert standins.called("tally.cast_ballot") == [
        ("tally.cast_ballot", standins.OPEN, "M1", ["Ada Lovelace"], "online")
    ]


def test_ranked_preferences_arrive_in_the_order_given(gateway):
    form = {
        "ballot_id": str(standins.RANKED),
        "code": "GOOD-CODE-0002",
        "choice": ["Mary Seacole", "", "Ada Lovelace"],
    }
    assert gateway.post("/vote", data=form).status_code == 201
    (call,) = standins.called("tally.cast_ballot")
    assert call[3] == ["Mary Seacole", "Ada Lovelace"]


def test_a_ballot_with_contests_sends_each_contest_s_choices_and_a_blank_contest_empty(gateway):
    form = {
        "ballot_id": str(standins.OPEN),
        "code": "GOOD-CODE-0002",
        "choice-selection": ["Mary Seacole", "", "Ada Lovelace"],
        "choice-motion": [""],
    }
    assert gateway.post("/vote", data=form).status_code == 201
    (call,) = standins.called("tally.cast_ballot")
    assert call[3] == {"selection": ["Mary Seacole", "Ada Lovelace"], "motion": []}


def test_a_wrong_code_shows_the_form_again_with_plain_words(gateway):
    page = gateway.post("/vote", data={**FORM, "code": "WRONG-CODE-0000"})
    assert page.status_code == 403
    assert "This access code is not valid for this ballot." in page.text
    assert 'name="code"' in page.text and 'value="Ada Lovelace" checked' in page.text
    assert "WRONG-CODE-0000" not in page.text


def test_a_vote_without_choices_or_ballot_is_explained(gateway):
    page = gateway.post("/vote", data={**FORM, "choice": []})
    assert page.status_code == 400 and "Choose at least one candidate" in page.text
    page = gateway.post("/vote", data={"code": "GOOD-CODE-0001"})
    assert page.status_code == 400 and "ballot number" in page.text
    page = gateway.get(f"/vote?ballot={standins.MISSING}")
    assert page.status_code == 404 and "does not exist" in page.text
    assert standins.called("tally.cast_ballot") == []


def test_when_a_service_is_down_the_page_says_so_in_plain_words(launch):
    gateway = launch(standins.CodesStandIn, standins.RegistrationStandIn, rpc_timeout=2)
    page = gateway.post("/vote", data=FORM)
    assert page.status_code == 503
    assert "not answering just now" in page.text and "Traceback" not in page.text


def test_an_oversized_form_is_refused_before_it_is_read(gateway):
    page = gateway.post("/vote", data={**FORM, "code": "A" * 70_000})
    assert page.status_code == 413 and "too large" in page.text
    assert standins.CALLS == []


def test_a_closed_or_unopened_ballots_page_says_so_and_shows_no_form(gateway):
    for ballot, words in ((standins.CLOSED, "has closed"), (standins.NOT_OPEN, "not opened yet")):
        page = gateway.get(f"/vote?ballot={ballot}")
        assert page.status_code == 200 and words in page.text
        assert "<form" not in page.text and 'name="code"' not in page.text


def test_a_wrong_code_is_announced_focused_tied_to_the_field_and_in_the_title(gateway):
    page = gateway.post("/vote", data={**FORM, "code": "WRONG-CODE-0000"})
    assert page.status_code == 403
    title = page.text.split("<title>")[1].split("</title>")[0]
    assert title.startswith("Error: This access code is not valid for this ballot.")
    assert '<p class="error" role="alert" id="error" tabindex="-1" autofocus>' in page.text
    (field,) = [line for line in page.text.splitlines() if 'id="code"' in line]
    assert 'aria-invalid="true"' in field and 'aria-describedby="error"' in field
    fine = gateway.get(f"/vote?ballot={standins.OPEN}").text
    assert "aria-invalid" not in fine and "Error:" not in fine


def test_an_error_not_about_the_code_leaves_the_code_field_alone(gateway):
    page = gateway.post("/vote", data={**FORM, "choice": []})
    assert page.status_code == 400 and "<title>Error: " in page.text
    assert "aria-invalid" not in page.text


def test_a_ballot_with_contests_keeps_its_request_id_when_the_page_comes_back(gateway):
    """The page of a ballot with several contests sends a request id too, and the same one
    after an error, so the form sent again is the same vote (``gateway.voting``)."""
    page = gateway.get(f"/vote?ballot={standins.CONTESTS}").text
    assert page.count("<fieldset>") == 2
    (request_id,) = re.findall(r'name="request_id" value="([A-Za-z0-9_-]{16,64})"', page)
    form = {
        "ballot_id": str(standins.CONTESTS),
        "code": "WRONG-CODE-0000",
        "choice-motion": ["Yes"],
        "request_id": request_id,
    }
    again = gateway.post("/vote", data=form)
    assert again.status_code == 403 and again.text.count("<fieldset>") == 2
    assert f'name="request_id" value="{request_id}"' in again.text
    sent = gateway.post("/vote", data={**form, "code": "GOOD-CODE-0002"})
    assert sent.status_code == 201
    (token,) = standins.TOKENS
    assert token is not None and len(token) == 64
