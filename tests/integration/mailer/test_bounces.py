"""Bounces that come back after the mail server took an email, to the mailer's own SMTP endpoint.

A real SMTP sink (aiosmtpd) takes the mailer's emails; the test then plays the
remote mail system and mails a delivery-status notification (RFC 3464) to the
envelope sender the email went out with, at the mailer's bounce endpoint (also
real SMTP, inside the mailer). A hard bounce of an access code becomes a
letter, or, when no letter can go, a failure with the reason; registration is
told ``mail.bounced`` either way. Garbage, forged and unprovable reports are
kept for review and counted, and the mailer carries on.
"""

from __future__ import annotations

import json
import smtplib
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from prometheus_client import REGISTRY

from rollcall import sealing
from rollcall.messaging.topology import Topology
from rollcall_cli.demo.sink import compose_dsn, send_dsn
from services.mailer.models import Ballot
from services.mailer.service import MailerService
from tests import support
from tests.builders import ballots as builders


def _settings(make_settings, smtp_port: int):  # type: ignore[no-untyped-def]
    return make_settings(
        "mailer",
        smtp_port=smtp_port,
        bounce_smtp_port=support.free_port(),
        bounce_settle_seconds=0.2,
        mail_retry_delays=(0.2,) * 5,
    )


def _issued(settings, voters: list[tuple[str, bool]], ballot_id: int = 7) -> dict[str, Any]:
    key = settings.secret("mail_seal_key")
    return {
        "ballot_id": ballot_id,
        "codes": [
            {
                "membership_number": number,
                "name": f"Voter {number}",
                "email": f"{number.lower()}@example.org",
                "address": ["1 High Street", "London"] if has_address else [],
                "postcode": "E8 1AA" if has_address else "",
                "sealed_code": sealing.seal(key, f"CODE-{number}"),
                "kind": "initial",
            }
            for number, has_address in voters
        ],
    }


class Told:
    """What the mailer told registration, kept across polls: event -> number -> item."""

    def __init__(self, settings) -> None:  # type: ignore[no-untyped-def]
        self.settings = settings
        self.topology = Topology(settings.namespace, settings.retry_delays)
        self.seen: dict[str, dict[str, dict[str, Any]]] = {}

    def __call__(self) -> dict[str, dict[str, dict[str, Any]]]:
        for event, field in (
            ("mail.sent", "deliveries"),
            ("mail.failed", "deliveries"),
            ("mail.bounced", "bounces"),
        ):
            queue = self.topology.queue("registration", event)
            for m in support.queue_messages(self.settings, queue):
                for item in json.loads(m.body)[field]:
                    self.seen.setdefault(event, {})[item["membership_number"]] = item
        return self.seen


def _rows(settings, sql: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    engine = sa.create_engine(settings.database_url("mailer"), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as c:
            return [dict(r) for r in c.execute(sa.text(sql)).mappings()]
    finally:
        engine.dispose()


def _deliveries(settings) -> dict[str, dict[str, Any]]:  # type: ignore[no-untyped-def]
    rows = _rows(
        settings,
        "select membership_number, channel, status, last_error, bounced_at, sealed_code"
        " from deliveries",
    )
    return {r["membership_number"]: r for r in rows}


def _bounces(settings) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    return _rows(
        settings, "select source, status, membership_number, note, diagnostic from bounces"
    )


def _bounce_back(settings, mail) -> None:  # type: ignore[no-untyped-def]
    """Play the remote mail system: a hard bounce of ``mail`` to its envelope sender."""
    return_path = str(mail["X-MailFrom"])
    dsn = compose_dsn(mail.as_bytes(), recipient=str(mail["To"]), return_path=return_path)
    send_dsn(dsn, return_path, "127.0.0.1", settings.bounce_smtp_port)


def _counted(source: str, status: str) -> float:
    found = REGISTRY.get_sample_value(
        "rollcall_mailer_bounces_total", {"source": source, "status": status}
    )
    return found or 0.0


def _timetable_known(settings) -> bool:  # type: ignore[no-untyped-def]
    engine = sa.create_engine(settings.database_url("mailer"), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return bool(conn.scalar(sa.select(Ballot.timetable).where(Ballot.ballot_id == 7)))
    finally:
        engine.dispose()


def test_a_late_bounce_sends_the_code_by_letter_or_leaves_the_member_not_reached_with_why(
    make_settings, tmp_path
):
    mail_dir = tmp_path / "mailbox"
    with support.smtp_sink(mail_dir) as port:
        settings = _settings(make_settings, port)
        told = Told(settings)
        with support.running(settings, MailerService):
            support.publish_event(
                settings, "codes.issued", _issued(settings, [("M1", True), ("M2", False)])
            )
            support.wait_for(
                lambda: len(told().get("mail.sent", {})) == 2, what="both emails accepted"
            )
            mails = support.mails(mail_dir)
            assert all(str(m["X-MailFrom"]).startswith("bounce+") for m in mails)
            for mail in mails:
                _bounce_back(settings, mail)
            support.wait_for(
                lambda: len(told().get("mail.bounced", {})) == 2, what="both bounces told"
            )
            letter = support.wait_for(
                lambda: (s := told()["mail.sent"].get("M1")) and s["channel"] == "post" and s,
                what="the letter after the bounce",
            )
            again = mails[0] if str(mails[0]["To"]) == "m1@example.org" else mails[1]
            # The remote system sends its report twice; the endpoint answers once it is stored.
            _bounce_back(settings, again)
    bounced = told()["mail.bounced"]
    assert bounced["M1"]["letter"] is True and bounced["M2"]["letter"] is False
    assert bounced["M1"]["reason"] == (
        "email bounced after it was sent: 550 5.1.1 mailbox unavailable: no such user"
    )
    assert bounced["M2"]["reason"] == (
        "email bounced after it was sent: 550 5.1.1 mailbox unavailable: no such user"
        "; no postal address to send a letter to"
    )
    assert (letter["outcome"], letter["reason"]) == ("queued", bounced["M1"]["reason"])
    rows = _deliveries(settings)
    assert (rows["M1"]["channel"], rows["M1"]["status"]) == ("post", "queued")
    assert (rows["M2"]["channel"], rows["M2"]["status"]) == ("email", "failed")
    assert rows["M1"]["bounced_at"] and rows["M2"]["bounced_at"]
    assert rows["M1"]["sealed_code"] is None and rows["M2"]["sealed_code"] is None
    batches = list(Path(settings.postal_path()).glob("ballot-7/batch-*.csv"))
    posted = [line for b in batches for line in b.read_text().splitlines()[1:]]
    assert len(posted) == 1 and "M1" in posted[0] and "CODE-M1" in posted[0]
    stored = _bounces(settings)
    assert sorted((b["membership_number"], b["status"]) for b in stored) == [
        ("M1", "applied"),
        ("M2", "applied"),
    ], "the report sent twice is stored once"


def test_after_the_postal_cut_off_a_late_bounce_sends_no_letter_and_says_why(
    make_settings, tmp_path
):
    cutoff = "2026-01-05T17:00:00+00:00"
    mail_dir = tmp_path / "mailbox"
    with support.smtp_sink(mail_dir) as port:
        settings = _settings(make_settings, port)
        told = Told(settings)
        with support.running(settings, MailerService):
            definition = {
                **builders.ballot_definition(),
                "ballot_id": 7,
                "phase": "open",
                "timetable": {"postal_cutoff": cutoff},
            }
            support.publish_event(settings, "ballot.created", definition)
            support.wait_for(lambda: _timetable_known(settings), what="the ballot's timetable")
            support.publish_event(settings, "codes.issued", _issued(settings, [("M1", True)]))
            support.wait_for(lambda: told().get("mail.sent"), what="the email accepted")
            (mail,) = support.mails(mail_dir)
            _bounce_back(settings, mail)
            bounced = support.wait_for(
                lambda: told().get("mail.bounced", {}).get("M1"), what="the bounce told"
            )
    assert bounced["letter"] is False
    assert bounced["reason"] == (
        "email bounced after it was sent: 550 5.1.1 mailbox unavailable: no such user"
        f"; the postal cut-off ({cutoff}) has passed, so no letter was sent"
    )
    assert _deliveries(settings)["M1"]["status"] == "failed"
    assert not list(Path(settings.postal_path()).glob("ballot-7/batch-*")), "no letter written"


def test_garbage_forged_and_unprovable_reports_are_kept_for_review_and_the_mailer_carries_on(
    make_settings, tmp_path
):
    mail_dir = tmp_path / "mailbox"
    with support.smtp_sink(mail_dir) as port:
        settings = _settings(make_settings, port)
        told = Told(settings)
        before = {s: _counted("smtp", s) for s in ("unreadable", "forged", "unmatched")}
        with support.running(settings, MailerService):
            bounce_port = settings.bounce_smtp_port
            with smtplib.SMTP("127.0.0.1", bounce_port, timeout=10) as smtp:
                smtp.sendmail("<>", ["bounce@rollcall.invalid"], b"Subject: hi\r\n\r\nhello\r\n")
                smtp.sendmail("<>", ["bounce@rollcall.invalid"], b"\x00\xff\xfe not mail at all")
            original = b"Message-ID: <ballot-7.M1.initial@rollcall.invalid>\r\n\r\nbody\r\n"
            forged = "bounce+1-0123456789abcdef@rollcall.invalid"
            send_dsn(
                compose_dsn(original, recipient="m1@example.org", return_path=forged),
                forged,
                "127.0.0.1",
                bounce_port,
            )
            plain = "bounce@rollcall.invalid"
            send_dsn(
                compose_dsn(original, recipient="m1@example.org", return_path=plain),
                plain,
                "127.0.0.1",
                bounce_port,
            )
            support.wait_for(lambda: len(_bounces(settings)) == 4, what="four reports kept")
            support.publish_event(settings, "codes.issued", _issued(settings, [("M1", True)]))
            sent = support.wait_for(
                lambda: told().get("mail.sent", {}).get("M1"), what="mail still sent afterwards"
            )
    assert sent["outcome"] == "sent"
    kept = sorted((b["status"], b["note"]) for b in _bounces(settings))
    assert [status for status, _ in kept] == ["forged", "unmatched", "unreadable", "unreadable"]
    assert kept[0][1] == "the bounce token '1-0123456789abcdef' is not one we made"
    assert kept[1][1] == "names only a Message-ID, which anyone can guess: not applied"
    assert kept[2][1].startswith("not a delivery-status notification")
    assert _counted("smtp", "unreadable") - before["unreadable"] == 2
    assert _counted("smtp", "forged") - before["forged"] == 1
    assert _counted("smtp", "unmatched") - before["unmatched"] == 1
    assert _deliveries(settings)["M1"]["status"] == "sent", "no report touched the delivery"
    assert "mail.bounced" not in told()
