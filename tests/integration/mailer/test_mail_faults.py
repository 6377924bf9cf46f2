"""Mail that survives the mail server: a real SMTP server that is down, defers or refuses.

The scripted server is aiosmtpd in its own process. It reads its script from
each recipient's address: ``m1+451x2@example.org`` is deferred with a 451 for
its first two tries and then taken; ``m1+550@example.org`` is refused with a
550 every time; any other address is taken at once. An email that does not
arrive falls back to a letter when there is an address and the ballot's
postal cut-off has not passed.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from aiosmtpd.handlers import Mailbox
from prometheus_client import REGISTRY

from rollcall import sealing
from rollcall.messaging.topology import Topology
from services.mailer.models import Ballot
from services.mailer.service import MailerService
from tests import support
from tests.builders import ballots as builders

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = re.compile(r"\+(?P<code>[45]\d\d)(?:x(?P<times>\d+))?@")


class ScriptedMailbox(Mailbox):
    """A Maildir sink that answers each recipient as its address says."""

    def __init__(self, mail_dir: str) -> None:
        super().__init__(mail_dir)
        self.tries: Counter[str] = Counter()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
        self.tries[address] += 1
        script = SCRIPT.search(address)
        if script and (script["times"] is None or self.tries[address] <= int(script["times"])):
            status = "4.3.0 mailbox busy, try later" if script["code"][0] == "4" else "5.1.1"
            return f"{script['code']} {status} <{address}>: scripted answer"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def _listening(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False


@contextlib.contextmanager
def scripted_server(mail_dir: Path, port: int, mailbox: type = ScriptedMailbox) -> Iterator[int]:
    """aiosmtpd in its own process, answering as ``mailbox`` (a Maildir handler class) says."""
    handler = f"{mailbox.__module__}.{mailbox.__name__}"
    command = [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}"]
    proc = subprocess.Popen(
        [*command, "-c", handler, str(mail_dir)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        support.wait_for(
            lambda: proc.poll() is not None or _listening(port), what="the scripted SMTP server"
        )
        assert proc.poll() is None, "the scripted SMTP server exited"
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _issued(settings, voters: list[tuple[str, str, bool]]) -> dict[str, Any]:
    """``codes.issued`` for (membership number, email, has a postal address)."""
    key = settings.secret("mail_seal_key")
    return {
        "ballot_id": 7,
        "codes": [
            {
                "membership_number": number,
                "name": f"Voter {number}",
                "email": mail,
                "address": ["1 High Street", "London"] if has_address else [],
                "postcode": "E8 1AA" if has_address else "",
                "sealed_code": sealing.seal(key, f"CODE-{number}"),
                "kind": "initial",
            }
            for number, mail, has_address in voters
        ],
    }


class Reported:
    """What the mailer told registration, by membership number, kept across polls."""

    def __init__(self, settings) -> None:
        self.settings = settings
        self.topology = Topology(settings.namespace, settings.retry_delays)
        self.seen: dict[str, tuple[str, str, str, str]] = {}

    def __call__(self) -> dict[str, tuple[str, str, str, str]]:
        for event in ("mail.sent", "mail.failed"):
            queue = self.topology.queue("registration", event)
            for m in support.queue_messages(self.settings, queue):
                for d in json.loads(m.body)["deliveries"]:
                    item = (event, d["channel"], d["outcome"], d["reason"])
                    self.seen[d["membership_number"]] = item
        return self.seen


def _deliveries(settings) -> dict[str, dict[str, Any]]:
    engine = sa.create_engine(settings.database_url("mailer"), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as c:
            rows = c.execute(
                sa.text(
                    "select membership_number, channel, status, attempts, last_error,"
                    " next_attempt_at from deliveries"
                )
            ).mappings()
            return {r["membership_number"]: dict(r) for r in rows}
    finally:
        engine.dispose()


def _backlog() -> float | None:
    return REGISTRY.get_sample_value("rollcall_mailer_retry_backlog")


def test_mail_waits_out_a_mail_server_that_is_down_across_a_restart_and_is_delivered(
    make_settings, tmp_path
):
    port = support.free_port()
    settings = make_settings("mailer", smtp_port=port, mail_retry_delays=(0.2,) * 30)
    reported = Reported(settings)
    with support.running(settings, MailerService):
        support.publish_event(
            settings, "codes.issued", _issued(settings, [("M1", "m1@example.org", True)])
        )
        waiting = support.wait_for(
            lambda: (d := _deliveries(settings).get("M1")) and d["attempts"] >= 2 and d,
            what="two attempts while the server is down",
        )
        support.wait_for(lambda: _backlog() == 1, what="the retry backlog to show the delivery")
    assert waiting["status"] == "pending" and waiting["next_attempt_at"] is not None
    assert "mail server unreachable" in waiting["last_error"]
    assert reported() == {}, "nothing reported while the mail waits"

    mail_dir = tmp_path / "mailbox"
    with scripted_server(mail_dir, port), support.running(settings, MailerService):
        support.wait_for(lambda: support.mails(mail_dir), what="the email after the restart")
        outcome = support.wait_for(lambda: reported().get("M1"), what="the outcome")
        support.wait_for(lambda: _backlog() == 0, what="the retry backlog to empty")
    assert outcome == ("mail.sent", "email", "sent", "")
    delivered = _deliveries(settings)["M1"]
    assert delivered["status"] == "sent" and delivered["attempts"] > waiting["attempts"]
    assert [str(m["To"]) for m in support.mails(mail_dir)] == ["m1@example.org"]


def test_a_deferred_email_is_delivered_once_the_server_takes_it_and_holds_up_no_other(
    make_settings, tmp_path
):
    mail_dir = tmp_path / "mailbox"
    with scripted_server(mail_dir, support.free_port()) as port:
        settings = make_settings("mailer", smtp_port=port, mail_retry_delays=(0.2, 0.2, 0.2))
        reported = Reported(settings)
        with support.running(settings, MailerService):
            voters = [("M1", "m1+451x2@example.org", True), ("M2", "m2@example.org", True)]
            support.publish_event(settings, "codes.issued", _issued(settings, voters))
            first = support.wait_for(
                lambda: "M2" in (r := reported()) and dict(r), what="the other voter's mail"
            )
            assert "M1" not in first, "the deferred mail is neither sent nor failed yet"
            support.wait_for(lambda: "M1" in reported(), timeout=30, what="the deferred mail")
    assert reported() == {
        "M1": ("mail.sent", "email", "sent", ""),
        "M2": ("mail.sent", "email", "sent", ""),
    }
    rows = _deliveries(settings)
    assert rows["M1"]["attempts"] == 3 and rows["M2"]["attempts"] == 1
    assert sorted(str(m["To"]) for m in support.mails(mail_dir)) == [
        "m1+451x2@example.org",
        "m2@example.org",
    ]


def test_a_refused_address_goes_by_letter_or_fails_with_the_servers_words(make_settings, tmp_path):
    mail_dir = tmp_path / "mailbox"
    with scripted_server(mail_dir, support.free_port()) as port:
        settings = make_settings("mailer", smtp_port=port, mail_retry_delays=(0.2,) * 5)
        reported = Reported(settings)
        with support.running(settings, MailerService):
            voters = [("M1", "m1+550@example.org", True), ("M2", "m2+550@example.org", False)]
            support.publish_event(settings, "codes.issued", _issued(settings, voters))
            support.wait_for(lambda: len(reported()) == 2, what="both outcomes")
    seen = reported()
    assert seen["M1"] == (
        "mail.sent",
        "post",
        "queued",
        "email address refused: m1+550@example.org: "
        "550 5.1.1 <m1+550@example.org>: scripted answer",
    )
    event, channel, outcome, reason = seen["M2"]
    assert (event, channel, outcome) == ("mail.failed", "email", "failed")
    assert reason == (
        "email address refused: m2+550@example.org: 550 5.1.1 <m2+550@example.org>: scripted answer"
        "; no postal address to send a letter to"
    )
    rows = _deliveries(settings)
    assert rows["M1"]["attempts"] == 2, "one refused email, then the letter: no retries"
    assert "550 5.1.1" in rows["M1"]["last_error"]
    assert rows["M2"]["attempts"] == 1
    assert support.mails(mail_dir) == []


def test_a_mail_server_down_for_longer_than_the_schedule_sends_a_letter_or_fails_with_the_reason(
    make_settings,
):
    settings = make_settings("mailer", smtp_port=support.free_port(), mail_retry_delays=(0.2, 0.2))
    reported = Reported(settings)
    with support.running(settings, MailerService):
        voters = [("M1", "m1@example.org", True), ("M2", "m2@example.org", False)]
        support.publish_event(settings, "codes.issued", _issued(settings, voters))
        support.wait_for(lambda: len(reported()) == 2, timeout=30, what="both outcomes")
    seen = reported()
    event, channel, outcome, reason = seen["M1"]
    assert (event, channel, outcome) == ("mail.sent", "post", "queued")
    assert reason.startswith("not delivered after 3 attempts over 0:00:00: mail server unreachable")
    event, channel, outcome, reason = seen["M2"]
    assert (event, channel, outcome) == ("mail.failed", "email", "failed")
    assert reason.startswith("not delivered after 3 attempts over 0:00:00: mail server unreachable")
    assert reason.endswith("; no postal address to send a letter to")
    rows = _deliveries(settings)
    assert (rows["M1"]["status"], rows["M1"]["channel"], rows["M1"]["attempts"]) == (
        "queued",
        "post",
        4,
    ), "three emails tried, then the letter"
    assert (rows["M2"]["status"], rows["M2"]["attempts"]) == ("failed", 3)
    assert list(Path(settings.postal_path()).glob("ballot-7/batch-*.pdf")), "the letter is written"


def _timetable_known(settings) -> bool:
    engine = sa.create_engine(settings.database_url("mailer"), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return bool(conn.scalar(sa.select(Ballot.timetable).where(Ballot.ballot_id == 7)))
    finally:
        engine.dispose()


def test_after_the_postal_cut_off_a_refused_email_sends_no_letter_and_says_why(
    make_settings, tmp_path
):
    cutoff = "2026-01-05T17:00:00+00:00"
    mail_dir = tmp_path / "mailbox"
    with scripted_server(mail_dir, support.free_port()) as port:
        settings = make_settings("mailer", smtp_port=port, mail_retry_delays=(0.2,) * 5)
        reported = Reported(settings)
        with support.running(settings, MailerService):
            definition = {
                **builders.ballot_definition(),
                "ballot_id": 7,
                "phase": "open",
                "timetable": {"postal_cutoff": cutoff},
            }
            support.publish_event(settings, "ballot.created", definition)
            support.wait_for(lambda: _timetable_known(settings), what="the ballot's timetable")
            voters = [("M1", "m1+550@example.org", True)]
            support.publish_event(settings, "codes.issued", _issued(settings, voters))
            event, channel, outcome, reason = support.wait_for(
                lambda: reported().get("M1"), what="the outcome"
            )
    assert (event, channel, outcome) == ("mail.failed", "email", "failed")
    assert reason == (
        "email address refused: m1+550@example.org: 550 5.1.1 <m1+550@example.org>: scripted answer"
        f"; the postal cut-off ({cutoff}) has passed, so no letter was sent"
    )
    assert _deliveries(settings)["M1"]["status"] == "failed"
    assert not list(Path(settings.postal_path()).glob("ballot-7/batch-*")), "no letter written"
