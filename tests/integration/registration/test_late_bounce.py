"""A code email that bounces after the mail server took it, through registration, codes and the
mailer on the real broker, with an SMTP server started here: the member's ledger says so, and
either a letter follows or, after the postal cut-off, the member is shown not reached with why."""

from __future__ import annotations

from rollcall_cli.demo.sink import compose_dsn, send_dsn
from services.codes.service import CodesService
from services.mailer.service import MailerService
from services.registration.service import RegistrationService
from tests import support
from tests.builders import ballots as builders

CUTOFF = "2026-01-05T17:00:00+00:00"


def _state(rpc, ballot_id: int, number: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    (m,) = [m for m in rpc.registration.list_members(ballot_id) if m["membership_number"] == number]
    return m["state"], m["reason"]


def _emailed(settings, rpc, number: str, **definition):  # type: ignore[no-untyped-def]
    """A ballot where ``number`` was matched and emailed its code; the ballot id."""
    bid = support.ballot_with_members(rpc, [builders.member_record(number)], **definition)
    decision = {
        "membership_number": number,
        "decision": "match",
        "elector_id": f"E-{number}",
        "score": 1.0,
        "reasons": "same name at the same address",
        "eligible": True,
    }
    support.publish_event(settings, "members.matched", {"ballot_id": bid, "decisions": [decision]})
    support.wait_for(
        lambda: _state(rpc, bid, number)[0] == "code_emailed", timeout=60, what="the code emailed"
    )
    return bid


def _bounce(settings, mail_dir, number: str) -> None:  # type: ignore[no-untyped-def]
    (mail,) = [m for m in support.mails(mail_dir) if f".{number}.initial@" in str(m["Message-ID"])]
    path = str(mail["X-MailFrom"])
    dsn = compose_dsn(mail.as_bytes(), recipient=str(mail["To"]), return_path=path)
    send_dsn(dsn, path, "127.0.0.1", settings.bounce_smtp_port)


def test_a_late_bounce_is_a_ledger_fact_then_a_letter_or_not_reached_after_the_cut_off(
    make_settings, tmp_path
):
    mail_dir = tmp_path / "mailbox"
    with support.smtp_sink(mail_dir) as port:
        settings = make_settings(
            "registration",
            "codes",
            "mailer",
            smtp_port=port,
            bounce_smtp_port=support.free_port(),
            bounce_settle_seconds=0.2,
        )
        with (
            support.running(settings, RegistrationService, CodesService, MailerService),
            support.rpc_proxy(settings) as rpc,
        ):
            posted = _emailed(settings, rpc, "M1")
            late = _emailed(settings, rpc, "M2", timetable={"postal_cutoff": CUTOFF})
            _bounce(settings, mail_dir, "M1")
            _bounce(settings, mail_dir, "M2")
            letter = support.wait_for(
                lambda: (s := _state(rpc, posted, "M1"))[0] == "letter_queued" and s,
                timeout=60,
                what="the letter after the bounce",
            )
            unreached = support.wait_for(
                lambda: (s := _state(rpc, late, "M2"))[0] == "mail_failed" and s,
                timeout=60,
                what="the member not reached after the cut-off",
            )
            report = rpc.registration.reconcile(late)
    words = "email bounced after it was sent: 550 5.1.1 mailbox unavailable: no such user"
    assert letter[1] == f"access code queued for posting ({words})"
    assert unreached[1] == (
        f"not reached: access code could not be delivered by email or post: {words}"
        f"; the postal cut-off ({CUTOFF}) has passed, so no letter was sent (no letter follows)"
    )
    assert report["not_reached"] == 1
