"""Voting with an access code, receipts and results, and remote errors mapped to statuses."""

from __future__ import annotations

import logging
import re

from tests.integration.gateway import standins
from tests.integration.gateway.harness import error_of

VOTES = f"/api/ballots/{standins.OPEN}/votes"
GOOD = {"code": "GOOD-CODE-0001", "choices": ["Ada Lovelace"]}


def test_a_good_code_casts_the_vote_online_and_returns_a_receipt(gateway):
    response = gateway.post(VOTES, json=GOOD)
    assert response.status_code == 201
    receipt = response.json()["receipt"]
    assert response.json() == {"receipt": "R0001"}
    assert standins.CALLS == [
        ("codes.verify_code", standins.OPEN, "127.0.0.1"),
        ("tally.cast_ballot", standins.OPEN, "M1", ["Ada Lovelace"], "online"),
    ]
    found = gateway.get(f"/api/ballots/{standins.OPEN}/receipts/{receipt}")
    assert found.status_code == 200
    assert found.json() == {"found": True, "choices": None, "counted": False}
    missing = gateway.get(f"/api/ballots/{standins.OPEN}/receipts/R9999")
    assert missing.status_code == 200 and missing.json()["found"] is False


REMOTE_ERRORS = [
    (standins.OPEN, {"code": "NOHYPHEN", "choices": ["Ada Lovelace"]}, 400, "malformed_code"),
    (
        standins.OPEN,
        {"code": "WRONG-CODE-0000", "choices": ["Ada Lovelace"]},
        403,
        "invalid_code",
    ),
    (standins.OPEN, {"code": standins.LOCKED, "choices": ["Ada Lovelace"]}, 429, "locked_out"),
    (standins.NOT_OPEN, GOOD, 409, "ballot_not_open"),
    (
        standins.OPEN,
        {"code": "GOOD-CODE-0404", "choices": ["Ada Lovelace"]},
        403,
        "not_on_roll",
    ),
    (standins.OPEN, {"code": "GOOD-CODE-0001", "choices": ["Nobody"]}, 400, "invalid_choices"),
    (standins.MISSING, GOOD, 404, "ballot_not_found"),
]


def test_remote_errors_become_their_status_and_stable_code(gateway):
    for ballot, vote, status, code in REMOTE_ERRORS:
        response = gateway.post(f"/api/ballots/{ballot}/votes", json=vote)
        assert response.status_code == status, code
        error = error_of(response)
        assert error["code"] == code
        assert "Traceback" not in error["message"] and "Error" not in error["message"]


def test_a_second_vote_by_the_same_voter_is_409_already_voted(gateway):
    assert gateway.post(VOTES, json=GOOD).status_code == 201
    again = gateway.post(VOTES, json={**GOOD, "choices": ["Mary Seacole"]})
    assert again.status_code == 409
    assert error_of(again) == {
        "code": "already_voted",
        "message": "A vote has already been recorded for this voter.",
    }


def test_a_rejected_code_never_reaches_the_tally(gateway):
    gateway.post(VOTES, json={"code": "WRONG-CODE-0000", "choices": ["Ada Lovelace"]})
    assert standins.called("tally.cast_ballot") == []


def test_result_and_bulletin_are_public_after_close_and_409_before(gateway):
    result = gateway.get(f"/api/ballots/{standins.CLOSED}/result")
    assert result.status_code == 200 and result.json()["elected"] == ["Ada Lovelace"]
    bulletin = gateway.get(f"/api/ballots/{standins.CLOSED}/bulletin")
    assert bulletin.status_code == 200 and bulletin.json()["ballots"]
    early = gateway.get(f"/api/ballots/{standins.OPEN}/result")
    assert early.status_code == 409 and error_of(early)["code"] == "result_not_ready"
    early = gateway.get(f"/api/ballots/{standins.OPEN}/bulletin")
    assert early.status_code == 409 and error_of(early)["code"] == "ballot_not_closed"


def test_an_unexpected_remote_failure_is_a_bare_500_and_the_code_is_not_logged(gateway, caplog):
    caplog.set_level(logging.DEBUG)
    response = gateway.post(VOTES, json={"code": standins.BUG, "choices": ["Ada Lovelace"]})
    assert response.status_code == 500
    assert error_of(response) == {
        "code": "internal_error",
        "message": "Something went wrong on our side. It has been logged; please try again later.",
    }
    gateway_logs = [r for r in caplog.records if r.name.startswith("gateway")]
    assert any("RuntimeError" in r.getMessage() for r in gateway_logs)
    for record in gateway_logs:
        assert standins.BUG not in record.getMessage()
        assert standins.BUG not in (record.exc_text or "")


def test_the_signing_key_is_public_before_the_count(gateway):
    key = gateway.get(f"/api/ballots/{standins.OPEN}/key")
    assert key.status_code == 200
    assert key.json() == {
        "algorithm": "ed25519",
        "public_key": "PUBLIC",
        "fingerprint": "SHA256:abc",
    }
    missing = gateway.get(f"/api/ballots/{standins.MISSING}/key")
    assert missing.status_code == 404 and error_of(missing)["code"] == "ballot_not_found"


def test_the_result_table_and_chart_are_files_once_published(gateway):
    table = gateway.get(f"/api/ballots/{standins.CLOSED}/result.txt")
    assert table.status_code == 200
    assert table.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert table.text == standins.RESULT_TABLE
    chart = gateway.get(f"/api/ballots/{standins.CLOSED}/result.png")
    assert chart.status_code == 200 and chart.headers["Content-Type"] == "image/png"
    assert chart.content == standins.RESULT_PNG
    for suffix in ("txt", "png"):
        early = gateway.get(f"/api/ballots/{standins.OPEN}/result.{suffix}")
        assert early.status_code == 409 and error_of(early)["code"] == "result_not_ready"


def test_a_vote_sent_again_with_its_request_id_carries_the_same_token_to_the_tally(gateway):
    """The tally knows a repeated vote by its token (tests/integration/tally/test_repeated_votes.py):
    the same code, choices and request_id make the same token; anything else another."""
    request_id = "f3b1c2d4e5a6978812345678abcdefab"
    sent = {**GOOD, "request_id": request_id}
    assert gateway.post(VOTES, json=sent).status_code == 201
    gateway.post(VOTES, json=sent)  # the stand-in tally, unlike the real one, refuses it
    gateway.post(VOTES, json=GOOD)
    gateway.post(VOTES, json=GOOD)
    gateway.post(VOTES, json={**sent, "choices": ["Mary Seacole"]})
    same, again, bare, bare_again, other_choices = standins.TOKENS
    assert same == again and len(same) == 64 and request_id not in same
    assert len({same, bare, bare_again, other_choices}) == 4

    calls = len(standins.CALLS)
    for bad in ("short", "x" * 65, "has space in it 123", 12345678901234567):
        refused = gateway.post(VOTES, json={**GOOD, "request_id": bad})
        assert refused.status_code == 400 and error_of(refused)["code"] == "invalid_request"
        assert "request_id" in refused.text
    assert len(standins.CALLS) == calls, "a bad request_id never reaches the services"


def test_the_voting_page_sends_a_request_id_of_its_own_and_keeps_it_on_a_retry(gateway):
    page = gateway.get(f"/vote?ballot={standins.OPEN}").text
    (request_id,) = re.findall(r'name="request_id" value="([A-Za-z0-9_-]{16,64})"', page)
    form = {"ballot_id": str(standins.OPEN), "code": "WRONG-CODE-0000", "choice": "Ada Lovelace"}
    again = gateway.post("/vote", data={**form, "request_id": request_id})
    assert again.status_code == 403
    assert f'name="request_id" value="{request_id}"' in again.text
    other = gateway.get(f"/vote?ballot={standins.OPEN}").text
    assert request_id not in other, "each form its own request id"


def test_a_contests_vote_sent_again_with_its_request_id_carries_the_same_token(gateway):
    """On a ballot with several contests the token covers every contest's choices: the same
    contests and request_id again make the same token, another contest's choice another."""
    votes = f"/api/ballots/{standins.CONTESTS}/votes"
    request_id = "c0ffee00c0ffee00c0ffee00c0ffee00"
    sent = {
        "code": "GOOD-CODE-0001",
        "contests": {"selection": ["Mary Seacole", "Ada Lovelace"], "motion": ["Yes"]},
        "request_id": request_id,
    }
    assert gateway.post(votes, json=sent).status_code == 201
    gateway.post(votes, json=sent)  # the stand-in tally, unlike the real one, refuses it
    gateway.post(
        votes, json={**sent, "contests": {"selection": ["Mary Seacole"], "motion": ["Yes"]}}
    )
    gateway.post(votes, json={**sent, "contests": {**sent["contests"], "motion": ["No"]}})
    same, again, fewer, other_motion = standins.TOKENS
    assert same == again and len(same) == 64 and request_id not in same
    assert len({same, fewer, other_motion}) == 3
