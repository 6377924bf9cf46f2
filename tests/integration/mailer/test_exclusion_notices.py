"""Exclusion notices against a real SMTP server and the real broker: one per member and reason."""

from __future__ import annotations

import csv
from pathlib import Path

import eventlet

from rollcall.messaging.topology import Topology
from services.mailer.service import MailerService
from tests import support


def _requested(*notices: tuple[str, str, str]) -> dict:
    """``members.exclusion_notice_requested`` for (membership number, email, reason code)."""
    return {
        "ballot_id": 7,
        "fix_by": "2026-12-20T00:00:00+00:00",
        "notices": [
            {
                "membership_number": number,
                "name": f"Member {number}",
                "email": email,
                "address": ["1 High Street", "London"],
                "postcode": "E8 1AA",
                "reason": reason,
                "why": f"the reason {reason}",
                "fix": f"the fix for {reason}",
            }
            for number, email, reason in notices
        ],
    }


def test_each_member_gets_one_notice_per_reason_by_email_or_post_and_no_code_outcome(
    make_settings, tmp_path
):
    mail_dir = tmp_path / "mailbox"
    with support.smtp_sink(mail_dir) as port:
        settings = make_settings("mailer", smtp_port=port)
        with support.running(settings, MailerService):
            payload = _requested(
                ("M1", "m1@example.org", "not_on_register"), ("M2", "", "not_in_area")
            )
            first = support.publish_event(settings, "members.exclusion_notice_requested", payload)
            support.publish_event(
                settings, "members.exclusion_notice_requested", payload, message_id=first
            )
            support.publish_event(settings, "members.exclusion_notice_requested", payload)
            support.publish_event(
                settings,
                "members.exclusion_notice_requested",
                _requested(("M1", "m1@example.org", "address_differs")),
            )
            received = support.wait_for(
                lambda: len(m := support.mails(mail_dir)) >= 2 and m, what="two notices"
            )
            batches = support.wait_for(
                lambda: list(Path(settings.postal_path()).glob("ballot-7/batch-*.csv")),
                what="the letter",
            )
            eventlet.sleep(3.0)  # longer than the dispatch interval: any extra mail would go
            received = support.mails(mail_dir)
            topology = Topology(settings.namespace, settings.retry_delays)
            outcomes = [
                m
                for event in ("mail.sent", "mail.failed")
                for m in support.queue_messages(settings, topology.queue("registration", event))
            ]
            parked = support.queue_messages(settings, topology.parked)
    bodies = sorted(m.get_body(preferencelist=("plain",)).get_content() for m in received)
    assert len(bodies) == 2 and all(str(m["To"]) == "m1@example.org" for m in received)
    assert "the reason address_differs" in bodies[0] and "the reason not_on_register" in bodies[1]
    assert all("before 2026-12-20" in b for b in bodies)
    rows = [r for b in batches for r in csv.DictReader(b.open())]
    assert [(r["membership_number"], r["code"]) for r in rows] == [("M2", "")]
    assert "the fix for not_in_area" in rows[0]["message"]
    assert outcomes == [], "a notice is not an access code: registration hears nothing of it"
    assert parked == [], "a repeated request is recorded once, never refused"
