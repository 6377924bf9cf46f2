"""Replacement codes over HTTP, in front of the real services, broker, PostgreSQL and an SMTP server.

A member who asks with the details the party holds gets a new code at the
party-held email and the old one is refused at the vote route; the reply is
the same whether or not anything matched; cut-offs are said; requests are
rate limited per member and per client; an officer's reissue works at once
(no cooling-off) for their own association's members only.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import replace

import pytest

from gateway.service import GatewayService
from services.codes.service import CodesService
from services.mailer.service import MailerService
from services.registration.service import RegistrationService
from services.tally.service import TallyService
from tests import support
from tests.builders import ballots as builders
from tests.integration.gateway.harness import Gateway, error_of, free_port, running

CODE = re.compile(r"Your access code is: (\S+)")
CHOICE = {"choices": ["Ada Lovelace"]}
RECORDS = [
    builders.member_record("M1", association="HACK"),
    builders.member_record("M2", association="HACK"),
    builders.member_record("M3", association="HACK"),
]


@pytest.fixture
def stack(make_settings, tmp_path):  # type: ignore[no-untyped-def]
    """The gateway and every service it needs, with an SMTP server; the mailbox's folder."""
    mail_dir = tmp_path / "mailbox"
    with contextlib.ExitStack() as stack:
        port = stack.enter_context(support.smtp_sink(mail_dir))
        settings = make_settings(
            "gateway", "registration", "codes", "mailer", "tally", smtp_port=port
        )
        settings = replace(settings, gateway_port=free_port())
        stack.enter_context(
            running(
                settings,
                GatewayService,
                RegistrationService,
                CodesService,
                MailerService,
                TallyService,
            )
        )
        rpc = stack.enter_context(support.rpc_proxy(settings))
        yield Gateway(settings, rpc), mail_dir


def _codes(mail_dir, number: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The codes mailed to ``number``, oldest first."""
    found = []
    for mail in support.mails(mail_dir):
        if str(mail["To"]) == f"{number.lower()}@example.org":
            body = mail.get_body(preferencelist=("plain",)).get_content()
            if match := CODE.search(body):
                found.append((str(mail["Subject"]), match.group(1)))
    return [code for _, code in sorted(found, key=lambda s: s[0].startswith("Your new"))]


def _ballot_with_codes(gateway: Gateway, mail_dir, **definition) -> int:  # type: ignore[no-untyped-def]
    """An open ballot whose members each hold a code by email (with a 48-hour cooling-off)."""
    bid = support.ballot_with_members(
        gateway.rpc, RECORDS, eligibility={"cooling_off_hours": 48}, **definition
    )
    decisions = [
        {
            "membership_number": n,
            "decision": "match",
            "elector_id": f"E-{n}",
            "score": 1.0,
            "reasons": "same name at the same address",
            "eligible": True,
        }
        for n in ("M1", "M2", "M3")
    ]
    support.publish_event(
        gateway.settings, "members.matched", {"ballot_id": bid, "decisions": decisions}
    )
    support.wait_for(
        lambda: all(_codes(mail_dir, n) for n in ("M1", "M2", "M3")),
        timeout=60,
        what="three codes mailed",
    )
    gateway.rpc.registration.change_phase(bid, "open", "test")
    return bid


def _vote(gateway: Gateway, bid: int, code: str):  # type: ignore[no-untyped-def]
    return gateway.post(f"/api/ballots/{bid}/votes", json={"code": code, **CHOICE})


def test_a_replacement_revokes_the_old_code_and_the_reply_says_nothing_either_way(stack):
    gateway, mail_dir = stack
    bid = _ballot_with_codes(gateway, mail_dir)
    (old_m1,) = _codes(mail_dir, "M1")
    (old_m2,) = _codes(mail_dir, "M2")
    before = gateway.audit_seq()
    path = f"/api/ballots/{bid}/replacement"

    asked = [
        gateway.post(path, json={"membership_number": "M1", "email": "M1@example.org "}),
        gateway.post(path, json={"membership_number": "M2", "email": "not-m2@example.org"}),
        gateway.post(path, json={"membership_number": "NOBODY", "postcode": "E8 1AA"}),
    ]
    assert [r.status_code for r in asked] == [202, 202, 202]
    assert asked[0].json() == asked[1].json() == asked[2].json()
    assert asked[0].json()["status"] == "received"

    (new_m1,) = support.wait_for(
        lambda: _codes(mail_dir, "M1")[1:], timeout=60, what="M1's new code"
    )
    assert new_m1 != old_m1
    old = _vote(gateway, bid, old_m1)
    assert old.status_code == 403 and error_of(old)["code"] == "invalid_code"
    assert _vote(gateway, bid, new_m1).status_code == 201, "the new code works at once"
    # A contact that did not match changed nothing: M2's code stands, and no other mail went.
    assert _vote(gateway, bid, old_m2).status_code == 201
    assert _codes(mail_dir, "M2") == [old_m2]

    entries = gateway.audit_since(before)
    assert [(e.action, e.subject) for e in entries] == [
        ("replacement.requested", f"ballot:{bid}/member:M1"),
        ("replacement.requested", f"ballot:{bid}/member:M2"),
        ("replacement.requested", f"ballot:{bid}/member:NOBODY"),
    ]
    assert {json.loads(e.details)["outcome"] for e in entries} == {"received"}
    assert not any("example.org" in e.details or "E8" in e.details for e in entries)
    report = gateway.rpc.registration.reconcile(bid)
    assert report["replacements"]["by_source"]["member"] == {"reissued": 1, "not_matched": 2}


def test_an_officers_reissue_works_at_once_for_their_own_members_only(stack):
    gateway, mail_dir = stack
    bid = _ballot_with_codes(gateway, mail_dir)
    (old,) = _codes(mail_dir, "M3")
    path = f"/api/ballots/{bid}/members/M3/reissue"
    body = {"reason": "the member deleted the email"}

    other = gateway.post(path, gateway.user("officer", "ISLI"), json=body)
    assert other.status_code == 403 and "reissue the code of" in error_of(other)["message"]
    done = gateway.post(path, gateway.user("officer", "HACK"), json=body)
    assert done.status_code == 202, done.text
    assert done.json()["channel"] == "email" and done.json()["state"] == "awaiting_code"

    (new,) = support.wait_for(lambda: _codes(mail_dir, "M3")[1:], timeout=60, what="M3's new code")
    assert _vote(gateway, bid, old).status_code == 403
    assert _vote(gateway, bid, new).status_code == 201, "no 48-hour hold without a contact change"
    # Registration hears of the vote by event (ballots.marked), a moment after the receipt.
    support.wait_for(
        lambda: gateway.rpc.registration.reconcile(bid)["ledger"].get("voted", 0) >= 1,
        what="the vote to reach the ledger",
    )
    voted = gateway.post(path, gateway.user("operator"), json=body)
    assert voted.status_code == 409 and error_of(voted)["code"] == "reissue_refused"
    members = gateway.get(f"/api/ballots/{bid}/members", gateway.user("operator")).json()
    assert {m["membership_number"]: m["replacements"] for m in members}["M3"] == 1
    recorded = gateway.rows(
        "select source, reason, details from audit_log"
        " where action = 'member.replacement_requested' order by seq",
        "registration",
    )
    assert [(r.source, r.reason, json.loads(r.details)["outcome"]) for r in recorded] == [
        ("gateway", "the member deleted the email", "reissued"),
        ("gateway", "has voted", "refused"),
    ]
    (reissued,) = [e for e in gateway.audit_since(0) if e.action == "member.code_reissued"]
    assert reissued.reason == "the member deleted the email"


@pytest.fixture(scope="module")
def registration_only(module_launch) -> Gateway:  # type: ignore[no-untyped-def]
    return module_launch(RegistrationService, databases=("registration",))


def test_after_a_cut_off_the_reply_says_what_is_still_possible(registration_only):
    gateway = registration_only
    create = gateway.rpc.registration.create_ballot
    letters_over = create(
        builders.ballot_definition(
            timetable={
                "postal_cutoff": "2026-01-01T00:00:00+00:00",
                "closes_at": "2099-01-01T00:00:00+00:00",
            }
        )
    )["ballot_id"]
    both_over = create(
        builders.ballot_definition(
            timetable={
                "postal_cutoff": "2026-01-01T00:00:00+00:00",
                "replacement_cutoff": "2026-01-02T17:00:00+00:00",
                "closes_at": "2099-01-01T00:00:00+00:00",
            }
        )
    )["ballot_id"]
    asked = {"membership_number": "M1", "email": "m1@example.org"}

    email_only = gateway.post(f"/api/ballots/{letters_over}/replacement", json=asked)
    assert email_only.status_code == 202
    assert (email_only.json()["by_email"], email_only.json()["by_post"]) == (True, False)
    assert "only by email" in email_only.json()["message"]
    closed = gateway.post(f"/api/ballots/{both_over}/replacement", json=asked)
    assert closed.status_code == 409 and error_of(closed)["code"] == "replacement_closed"
    message = error_of(closed)["message"]
    assert "Friday 2 January 2026, 17:00 UTC" in message and "contact your association" in message
    missing = gateway.post("/api/ballots/98765/replacement", json=asked)
    assert missing.status_code == 404 and error_of(missing)["code"] == "ballot_not_found"
    neither = gateway.post(
        f"/api/ballots/{letters_over}/replacement", json={"membership_number": "M1"}
    )
    assert neither.status_code == 400 and "email" in error_of(neither)["fields"]

    page = gateway.get(f"/replacement?ballot={both_over}")
    assert page.status_code == 200 and "by email until Friday 2 January 2026" in page.text
    form = {"ballot_id": str(both_over), "membership_number": "M1", "postcode": "E8 1AA"}
    refused = gateway.post("/replacement", data=form)
    assert refused.status_code == 409 and "contact your association" in refused.text
    assert 'value="M1"' in refused.text and "E8 1AA" not in refused.text
    form = {"ballot_id": str(letters_over), "membership_number": "M2", "email": "m2@example.org"}
    taken = gateway.post("/replacement", data=form)
    assert taken.status_code == 202 and "only by email" in taken.text
    assert "by letter until Thursday 1 January 2026, 00:00 UTC" in taken.text
    assert "m2@example.org" not in taken.text


def test_requests_are_limited_per_member_and_per_client_and_a_refusal_counts_under_neither(
    registration_only,
):
    gateway = registration_only
    bid = gateway.rpc.registration.create_ballot(builders.ballot_definition())["ballot_id"]
    path = f"/api/ballots/{bid}/replacement"

    def ask(number: str, client: str):  # type: ignore[no-untyped-def]
        asked = {"membership_number": number, "postcode": "E8 1AA"}
        return gateway.post(path, json=asked, client=client)

    assert [ask("M7", f"127.0.0.{i}").status_code for i in (11, 12, 13)] == [202] * 3
    fourth = ask("M7", "127.0.0.14")
    assert fourth.status_code == 429 and int(fourth.headers["Retry-After"]) > 0
    assert "membership number" in error_of(fourth)["message"]

    client = "127.0.0.21"
    assert [ask(f"C{i}", client).status_code for i in range(10)] == [202] * 10
    assert ask("C10", client).status_code == 429
    # C10's refused request was not counted under C10: from elsewhere it goes three times.
    assert [ask("C10", f"127.0.0.{i}").status_code for i in (31, 32, 33)] == [202] * 3
    page = gateway.post(
        "/replacement", data={"ballot_id": str(bid), "membership_number": "M7", "postcode": "x"}
    )
    assert page.status_code == 429 and page.headers["Retry-After"]
    assert "try again in" in page.text
