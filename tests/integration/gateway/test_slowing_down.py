"""Over HTTP: a slowed client is told how long to wait; which address counts, with a proxy or not."""

from __future__ import annotations

import contextlib
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from gateway.service import GatewayService
from services.codes import slowing
from services.codes.service import CodesService
from tests import support
from tests.builders import ballots as builders
from tests.integration.gateway import standins
from tests.integration.gateway.harness import Gateway, error_of, free_port, running

VOTES = f"/api/ballots/{standins.OPEN}/votes"
VOTE = {"code": "GOOD-CODE-0001", "choices": ["Ada Lovelace"]}


@pytest.fixture
def start(make_settings):  # type: ignore[no-untyped-def]
    """``start(*services, databases=(), **settings)``: the gateway beside ``services``."""
    with contextlib.ExitStack() as stack:

        def started(
            *services: type, databases: tuple[str, ...] = (), **overrides: object
        ) -> Gateway:
            settings = make_settings("gateway", *databases, **overrides)
            settings = replace(settings, gateway_port=free_port())
            stack.enter_context(running(settings, GatewayService, *services))
            return Gateway(settings, stack.enter_context(support.rpc_proxy(settings)))

        yield started


def clients_asked() -> list[str]:
    return [call[2] for call in standins.CALLS if call[0] == "codes.verify_code"]


def test_without_trusted_proxies_x_forwarded_for_is_ignored(start):
    gateway = start(*standins.ALL)
    headers = {"X-Forwarded-For": "203.0.113.7"}
    assert gateway.post(VOTES, json=VOTE, headers=headers, client="127.0.0.9").status_code == 201
    assert clients_asked() == ["127.0.0.9"]


def test_behind_a_trusted_proxy_the_rightmost_untrusted_hop_is_the_client(start):
    gateway = start(*standins.ALL, trusted_proxies="127.0.0.9, 10.0.0.0/8")
    # The voter (203.0.113.7) forged a first hop; two proxies of ours appended theirs.
    forwarded = {"X-Forwarded-For": "192.0.2.66, 203.0.113.7, 10.1.2.3"}
    gateway.post(VOTES, json=VOTE, headers=forwarded, client="127.0.0.9")
    # From a peer that is not a trusted proxy the header proves nothing.
    gateway.post(VOTES, json=VOTE, headers=forwarded, client="127.0.0.5")
    # A trusted proxy that forwarded nothing: the proxy is the client.
    gateway.post(VOTES, json=VOTE, client="127.0.0.9")
    assert clients_asked() == ["203.0.113.7", "127.0.0.5", "127.0.0.9"]


def test_a_slowed_clients_wrong_code_is_429_with_retry_after_on_the_api_and_the_page(start):
    gateway = start(*standins.ALL)
    locked = {"code": standins.LOCKED, "choices": ["Ada Lovelace"]}
    response = gateway.post(VOTES, json=locked)
    assert response.status_code == 429 and error_of(response)["code"] == "locked_out"
    assert response.headers["Retry-After"] == "900"
    page = gateway.post(
        "/vote",
        data={"ballot_id": str(standins.OPEN), "code": standins.LOCKED, "choice": "Ada Lovelace"},
    )
    assert page.status_code == 429 and page.headers["Retry-After"] == "900"
    assert "wait 15 minutes" in page.text


def test_the_real_codes_service_slows_a_guessing_client_and_says_for_how_long(start, monkeypatch):
    monkeypatch.setenv("ROLLCALL_SECRET_CODE_HASH_KEY", "test-code-hash-key")
    monkeypatch.setenv("ROLLCALL_SECRET_MAIL_SEAL_KEY", "test-mail-seal-key")
    gateway = start(CodesService, databases=("codes",))
    definition = {**builders.ballot_definition(), "ballot_id": 5, "phase": "draft"}
    support.publish_event(gateway.settings, "ballot.created", definition)
    support.publish_event(
        gateway.settings,
        "ballot.phase_changed",
        {"ballot_id": 5, "phase": "open", "at": datetime.now(UTC).isoformat()},
    )
    guess = {"code": "2345-6789-ABCD-EFGH-JK", "choices": ["Ada Lovelace"]}

    def open_for_codes():  # type: ignore[no-untyped-def]
        answer = gateway.post("/api/ballots/5/votes", json=guess, client="127.0.0.42")
        return [answer] if error_of(answer)["code"] != "ballot_not_open" else None

    answers = support.wait_for(open_for_codes, what="the codes service to see ballot 5 open")
    answers += [
        gateway.post("/api/ballots/5/votes", json=guess, client="127.0.0.42")
        for _ in range(slowing.FREE)
    ]
    codes = [error_of(a)["code"] for a in answers]
    assert set(codes[: slowing.FREE - 1]) == {"malformed_code"}, codes
    slowed = answers[slowing.FREE - 1 :]
    assert [a.status_code for a in slowed] == [429, 429]
    assert [a.headers["Retry-After"] for a in slowed] == ["1", "2"]
    assert "wait 2 seconds before trying another" in error_of(slowed[-1])["message"]
    # Another address is not slowed by this one's guesses.
    other = gateway.post("/api/ballots/5/votes", json=guess, client="127.0.0.43")
    assert other.status_code == 400 and error_of(other)["code"] == "malformed_code"
