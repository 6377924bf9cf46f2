"""`rollcall reconcile` counts the ballot's reminders (the mailer keeps them), and without a
mailer answering it still reports the roll, saying so in one line."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from services.mailer.models import Reminder
from services.mailer.service import MailerService
from services.registration.service import RegistrationService
from tests import support
from tests.builders import ballots as builders

ROLLCALL = str(Path(sys.executable).with_name("rollcall"))
SLOT = datetime(2026, 12, 15, 9, tzinfo=UTC)


def _reconcile(settings, ballot_id: int) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "ROLLCALL_AMQP_URI": settings.amqp_uri,
        "PYTHONWARNINGS": "ignore::Warning:rollcall_cli.common",
    }
    done = subprocess.run(
        [ROLLCALL, "reconcile", "--ballot", str(ballot_id)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert "Traceback" not in done.stdout + done.stderr, done.stderr
    return done


def _decided(settings, ballot_id: int, *outcomes: str) -> None:
    engine = sa.create_engine(settings.database_url("mailer"), poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as c:
            for n, outcome in enumerate(outcomes):
                c.execute(
                    sa.insert(Reminder).values(
                        ballot_id=ballot_id,
                        membership_number=f"M{n}",
                        slot=SLOT,
                        outcome=outcome,
                        delivery_id=None,
                        created_at=SLOT,
                    )
                )
    finally:
        engine.dispose()


def test_reconcile_shows_the_reminders_and_says_when_the_mailer_does_not_answer(make_settings):
    settings = make_settings("registration", "mailer")
    with support.running(settings, RegistrationService), support.rpc_proxy(settings) as rpc:
        ballot_id = rpc.registration.create_ballot(builders.ballot_definition())["ballot_id"]
        unanswered = _reconcile(settings, ballot_id)
        _decided(settings, ballot_id, "skipped_voted", "skipped_voted", "skipped_not_reached")
        with support.running(settings, MailerService):
            answered = _reconcile(settings, ballot_id)
    assert unanswered.returncode == 0 and answered.returncode == 0, answered.stderr
    assert "  reminders: the mailer did not answer" in unanswered.stdout.splitlines()
    lines = answered.stdout.splitlines()
    assert "  reminders (whole ballot): 1 skipped_not_reached, 2 skipped_voted" in lines
    assert "    2026-12-15T09:00:00+00:00: 1 skipped_not_reached, 2 skipped_voted" in lines
