"""A mail provider's bounce webhook: signed calls reach the real mailer; unsigned, forged and
replayed ones are refused in JSON before anything else happens."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from prometheus_client import REGISTRY
from sqlalchemy.orm import Session

from gateway.bounces import SIGNATURE_HEADER, sign
from rollcall import sealing
from services.mailer.models import Delivery
from services.mailer.service import MailerService
from tests import support
from tests.integration.gateway.harness import error_of

SECRET = "provider-shared-secret"
MESSAGE_ID = "<ballot-7.M1.initial@rollcall.invalid>"


def _sent_email(settings) -> int:  # type: ignore[no-untyped-def]
    """An access code email the mail server took an hour ago; its delivery id."""
    engine = sa.create_engine(settings.database_url("mailer"), poolclass=sa.pool.NullPool)
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    try:
        with Session(engine) as session, session.begin():
            delivery = Delivery(
                ballot_id=7,
                membership_number="M1",
                kind="initial",
                channel="email",
                status="sent",
                contact={
                    "membership_number": "M1",
                    "name": "Voter M1",
                    "email": "m1@example.org",
                    "address": ["1 High Street", "London"],
                    "postcode": "E8 1AA",
                },
                sealed_code=sealing.seal(settings.secret("mail_seal_key"), "CODE-M1"),
                attempts=1,
                last_error="",
                message_id=MESSAGE_ID,
                created_at=an_hour_ago,
                done_at=an_hour_ago,
            )
            session.add(delivery)
            session.flush()
            return delivery.id
    finally:
        engine.dispose()


def _post(gateway, body: bytes, header: str | None):  # type: ignore[no-untyped-def]
    headers = {"Content-Type": "application/json"}
    if header is not None:
        headers[SIGNATURE_HEADER] = header
    return gateway.post("/api/mail/bounces", data=body, headers=headers)


def _refused(reason: str) -> float:
    found = REGISTRY.get_sample_value(
        "rollcall_gateway_bounce_webhook_refused_total", {"reason": reason}
    )
    return found or 0.0


def test_a_signed_hard_bounce_sends_the_code_by_letter_and_bad_signatures_are_refused(
    launch, monkeypatch
):
    monkeypatch.setenv("ROLLCALL_SECRET_BOUNCE_WEBHOOK_SECRET", SECRET)
    gateway = launch(MailerService, databases=("mailer",))
    _sent_email(gateway.settings)
    events = {
        "events": [
            {
                "id": "evt-1",
                "type": "bounce",
                "severity": "hard",
                "recipient": "m1@example.org",
                "message_id": MESSAGE_ID,
                "diagnostic": "550 5.1.1 user unknown",
            },
            {"type": "bounce", "severity": "hard", "message_id": "<nobody@elsewhere>"},
        ]
    }
    body = json.dumps(events).encode()
    before = {r: _refused(r) for r in ("missing", "invalid", "stale")}

    missing = _post(gateway, body, None)
    assert missing.status_code == 401 and error_of(missing)["code"] == "signature_missing"
    forged = _post(gateway, body, sign(b"not-the-secret", body, int(time.time())))
    assert forged.status_code == 403 and error_of(forged)["code"] == "signature_invalid"
    altered = _post(gateway, body + b" ", sign(SECRET.encode(), body, int(time.time())))
    assert altered.status_code == 403 and error_of(altered)["code"] == "signature_invalid"
    garbled = _post(gateway, body, "v1=abc")
    assert garbled.status_code == 403 and error_of(garbled)["code"] == "signature_invalid"
    replayed = _post(gateway, body, sign(SECRET.encode(), body, int(time.time()) - 3600))
    assert replayed.status_code == 403 and error_of(replayed)["code"] == "signature_expired"
    assert _refused("missing") - before["missing"] == 1
    assert _refused("invalid") - before["invalid"] == 3
    assert _refused("stale") - before["stale"] == 1
    rows = gateway.rows("select count(*) as n from bounces", "mailer")
    assert rows[0].n == 0, "nothing refused reached the mailer"

    accepted = _post(gateway, body, sign(SECRET.encode(), body, int(time.time())))
    assert accepted.status_code == 200, accepted.text
    assert accepted.json() == {"received": 2, "stored": 2, "pending": 1, "unmatched": 1}
    again = _post(gateway, body, sign(SECRET.encode(), body, int(time.time())))
    assert again.json() == {"received": 2, "stored": 0}, "the provider's retry is kept once"

    def posted():  # type: ignore[no-untyped-def]
        (row,) = gateway.rows("select channel, status, last_error from deliveries", "mailer")
        return row if row.status == "queued" else None

    letter = support.wait_for(posted, what="the letter after the bounce")
    assert (letter.channel, letter.last_error) == (
        "post",
        "email bounced after it was sent: 550 5.1.1 user unknown",
    )
    kept = gateway.rows("select status, note from bounces order by id", "mailer")
    assert [(k.status, k.note) for k in kept] == [
        ("applied", "it goes by letter"),
        ("unmatched", "no email was sent with Message-ID <nobody@elsewhere>"),
    ]


def test_a_signed_call_that_is_not_valid_is_a_400_and_no_secret_is_a_503(launch, monkeypatch):
    monkeypatch.setenv("ROLLCALL_SECRET_BOUNCE_WEBHOOK_SECRET", SECRET)
    gateway = launch(MailerService, databases=("mailer",))
    now = int(time.time())
    for body, code in (
        (b"{not json", "malformed_json"),
        (json.dumps({"events": [{"type": "bounce", "severity": "maybe"}]}).encode(), None),
        (json.dumps({"events": []}).encode(), None),
    ):
        response = _post(gateway, body, sign(SECRET.encode(), body, now))
        assert response.status_code == 400, response.text
        assert error_of(response)["code"] == (code or "invalid_request")
    monkeypatch.delenv("ROLLCALL_SECRET_BOUNCE_WEBHOOK_SECRET")
    body = json.dumps({"events": [{"type": "bounce", "severity": "hard"}]}).encode()
    unconfigured = _post(gateway, body, sign(SECRET.encode(), body, now))
    assert unconfigured.status_code == 503
    assert error_of(unconfigured) == {
        "code": "service_unavailable",
        "message": "The bounce webhook has no secret configured.",
    }
