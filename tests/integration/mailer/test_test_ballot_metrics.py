"""A test ballot's reminders from the running mailer, against a real SMTP server and the real
broker, move no real-ballot reminder count: the mailer keeps that the ballot is a test (from
``ballot.created``) and counts what its reminder run decides in
``rollcall_test_ballot_events_total``; so are the emails it hands to the mail server
(``rollcall_mailer_mail_total``, ``rollcall_mailer_smtp_outcomes_total``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rollcall import metrics
from services.mailer import reminding
from services.mailer.models import Voted
from services.mailer.service import MailerService
from tests import support
from tests.builders import ballots as builders
from tests.integration.mailer.test_reminders import BALLOT, _count, _voter


def _reminded(mail_dir) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(str(m["To"]) for m in support.mails(mail_dir) if "Reminder" in str(m["Subject"]))


def test_a_test_ballots_reminder_run_moves_no_real_reminder_count(make_settings, tmp_path):
    mail_dir = tmp_path / "mailbox"
    now = datetime.now(UTC)
    timetable = {
        "opens_at": (now - timedelta(hours=1)).isoformat(),
        "closes_at": (now + timedelta(hours=1)).isoformat(),
        "reminders": [(now - timedelta(minutes=10)).isoformat()],
    }
    skipped = reminding.SKIPPED_VOTED
    real = metrics.REMINDERS.labels(skipped)._value.get()
    test = metrics.test_ballot_count(metrics.REMINDERS, skipped)
    real_sent = metrics.REMINDERS.labels("sent")._value.get()
    real_mail = metrics.MAIL.labels("email", "sent")._value.get()
    real_smtp = metrics.SMTP_OUTCOMES.labels("sent")._value.get()
    test_mail = metrics.test_ballot_count(metrics.MAIL, "email", "sent")
    with support.smtp_sink(mail_dir) as port:
        settings = make_settings("mailer", smtp_port=port)
        definition = {
            **builders.ballot_definition(),
            "ballot_id": BALLOT,
            "phase": "draft",
            "timetable": timetable,
            "test": True,
        }
        codes = {
            "ballot_id": BALLOT,
            "codes": [
                _voter(settings, "E1", "e1@example.org"),
                _voter(settings, "V1", "v1@example.org"),
            ],
        }
        marked = {"ballot_id": BALLOT, "membership_number": "V1", "channel": "online"}
        with support.running(settings, MailerService):
            support.publish_event(settings, "ballot.created", definition)
            support.publish_event(settings, "codes.issued", codes)
            support.wait_for(lambda: len(support.mails(mail_dir)) >= 2, what="two code emails")
            support.publish_event(settings, "ballots.marked", marked)
            support.wait_for(lambda: _count(settings, Voted) == 1, what="the mark")
            opened = {"ballot_id": BALLOT, "phase": "open", "at": now.isoformat()}
            support.publish_event(settings, "ballot.phase_changed", opened)
            support.wait_for(
                lambda: _reminded(mail_dir) == ["e1@example.org"],
                what="the reminder email",
            )
            support.wait_for(
                lambda: metrics.test_ballot_count(metrics.REMINDERS, skipped) == test + 1,
                what="V1's reminder skipped, counted as a test ballot's",
            )
            support.wait_for(
                lambda: metrics.test_ballot_count(metrics.MAIL, "email", "sent") == test_mail + 3,
                what="two codes and a reminder emailed, counted as a test ballot's",
            )
    assert metrics.REMINDERS.labels(skipped)._value.get() == real
    assert metrics.REMINDERS.labels("sent")._value.get() == real_sent
    assert metrics.MAIL.labels("email", "sent")._value.get() == real_mail
    assert metrics.SMTP_OUTCOMES.labels("sent")._value.get() == real_smtp
