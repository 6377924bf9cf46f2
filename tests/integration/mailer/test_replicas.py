"""Two mailer replicas on one database and one broker: every code and every reminder goes once,
however the two dispatchers' flushes and reminder runs overlap."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import eventlet

from rollcall import sealing
from services.mailer.sending import Dispatcher
from services.mailer.service import REMINDER_INTERVAL, MailerService
from tests import support
from tests.builders import ballots as builders

BALLOT = 4
VOTERS = 20


def _flush_both_at_once(dispatchers, rounds: int) -> None:
    for _ in range(rounds):
        threads = [eventlet.spawn(d.flush) for d in dispatchers]
        for t in threads:
            t.wait()


def test_two_mailers_send_each_code_and_each_reminder_once(make_settings, tmp_path):
    mail_dir = tmp_path / "mailbox"
    now = datetime.now(UTC)
    definition = {
        **builders.ballot_definition(),
        "ballot_id": BALLOT,
        "phase": "draft",
        "timetable": {
            "opens_at": (now - timedelta(hours=1)).isoformat(),
            "closes_at": (now + timedelta(hours=1)).isoformat(),
            "reminders": [(now - timedelta(minutes=1)).isoformat()],
        },
    }
    with support.smtp_sink(mail_dir) as port:
        settings = make_settings("mailer", smtp_port=port)
        key = settings.secret("mail_seal_key")
        codes = {
            "ballot_id": BALLOT,
            "codes": [
                {
                    "membership_number": f"M{n:02}",
                    "name": f"Voter {n}",
                    "email": f"m{n:02}@example.org",
                    "sealed_code": sealing.seal(key, f"CODE-{n:02}"),
                    "kind": "initial",
                }
                for n in range(VOTERS)
            ],
        }
        with support.running(settings, MailerService, MailerService) as containers:
            dispatchers = [
                next(e for e in c.extensions if isinstance(e, Dispatcher)) for c in containers
            ]
            support.publish_event(settings, "ballot.created", definition)
            support.publish_event(settings, "codes.issued", codes)
            support.wait_for(
                lambda: (
                    _flush_both_at_once(dispatchers, 1) or len(support.mails(mail_dir)) >= VOTERS
                ),
                what="every code email",
            )
            opened = {"ballot_id": BALLOT, "phase": "open", "at": now.isoformat()}
            support.publish_event(settings, "ballot.phase_changed", opened)
            support.wait_for(
                lambda: (
                    _flush_both_at_once(dispatchers, 1)
                    or len(support.mails(mail_dir)) >= 2 * VOTERS
                ),
                what="every reminder",
            )
            _flush_both_at_once(dispatchers, 3)
            eventlet.sleep(REMINDER_INTERVAL + 3)  # both timers again, and a dispatch
    sent = Counter((str(m["To"]), str(m["Subject"]).split(":")[0]) for m in support.mails(mail_dir))
    assert len(sent) == 2 * VOTERS
    assert set(sent.values()) == {1}, [k for k, n in sent.items() if n > 1]
