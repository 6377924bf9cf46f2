"""The mailer against a real SMTP server, the real broker and database."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from rollcall import sealing
from rollcall.messaging.topology import Topology
from services.mailer.service import MailerService
from tests import support


def _issued(settings, voters):
    key = settings.secret("mail_seal_key")
    return {
        "ballot_id": 7,
        "codes": [
            {
                "membership_number": n,
                "name": f"Voter {n}",
                "email": mail,
                "address": ["1 High Street", "London"],
                "postcode": "E8 1AA",
                "sealed_code": sealing.seal(key, f"CODE-{n}"),
                "kind": "initial",
            }
            for n, mail in voters
        ],
    }


class Outcomes:
    """Delivery outcomes reported to registration, kept across polls."""

    def __init__(self, settings):
        self.settings = settings
        self.seen = []

    def __call__(self):
        topology = Topology(self.settings.namespace, self.settings.retry_delays)
        for event in ("mail.sent", "mail.failed"):
            for m in support.queue_messages(self.settings, topology.queue("registration", event)):
                self.seen += [
                    (event, d["membership_number"], d["channel"], d["outcome"])
                    for d in json.loads(m.body)["deliveries"]
                ]
        return sorted(self.seen)


def test_codes_go_by_email_or_post_once_each_however_often_the_event_comes(make_settings, tmp_path):
    mail_dir = tmp_path / "mailbox"
    with support.smtp_sink(mail_dir) as port:
        settings = make_settings("mailer", smtp_port=port)
        outcomes = Outcomes(settings)
        with support.running(settings, MailerService):
            payload = _issued(
                settings, [("M1", "m1@example.org"), ("M2", "m2@example.org"), ("M3", "")]
            )
            first = support.publish_event(settings, "codes.issued", payload)
            support.publish_event(settings, "codes.issued", payload, message_id=first)
            support.publish_event(
                settings, "codes.issued", payload
            )  # a new message with the same codes
            reported = support.wait_for(
                lambda: len(o := outcomes()) >= 3 and o, what="three outcomes"
            )
            received = support.wait_for(
                lambda: len(m := support.mails(mail_dir)) >= 2 and m, what="two emails"
            )
    assert reported == [
        ("mail.sent", "M1", "email", "sent"),
        ("mail.sent", "M2", "email", "sent"),
        ("mail.sent", "M3", "post", "queued"),
    ]
    assert len(received) == 2
    bodies = {str(m["To"]): m.get_body(preferencelist=("plain",)).get_content() for m in received}
    assert "CODE-M1" in bodies["m1@example.org"] and "CODE-M2" in bodies["m2@example.org"]
    batches = list(Path(settings.postal_path()).glob("ballot-7/batch-*.csv"))
    rows = [r for b in batches for r in csv.DictReader(b.open())]
    assert [(r["membership_number"], r["code"]) for r in rows] == [("M3", "CODE-M3")]


def test_mail_waits_while_the_mail_server_is_down_and_goes_when_it_returns(make_settings, tmp_path):
    port = support.free_port()
    settings = make_settings("mailer", smtp_port=port)
    outcomes = Outcomes(settings)
    mail_dir = tmp_path / "mailbox"
    with support.running(settings, MailerService):
        support.publish_event(
            settings, "codes.issued", _issued(settings, [("M1", "m1@example.org")])
        )
        import eventlet

        eventlet.sleep(1.0)
        assert outcomes() == []  # nothing sent, nothing wrongly reported
        with support.smtp_sink(mail_dir, port):
            support.wait_for(
                lambda: support.mails(mail_dir),
                timeout=30,
                what="the email after the server returned",
            )
            reported = support.wait_for(outcomes, what="the outcome")
    assert reported == [("mail.sent", "M1", "email", "sent")]
