"""Members excluded for a reason they can fix are told, once, before the freeze: real broker, SMTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import eventlet

from services.mailer.service import MailerService
from services.registration.service import RegistrationService
from tests import support
from tests.builders import ballots as builders


def _unmatched(ballot_id: int, number: str) -> dict:
    """``members.unmatched`` as matching sends it: no one on the register near this address."""
    return {
        "ballot_id": ballot_id,
        "decisions": [
            {
                "membership_number": number,
                "decision": "no_match",
                "elector_id": None,
                "score": 0.0,
                "reasons": "no one on the register at or near this address has a similar name",
                "ward": None,
                "eligible": False,
                "exclusion": None,
                "review_id": None,
            }
        ],
    }


def _ballot_with_member(rpc, number: str, **timetable: str) -> int:
    return support.ballot_with_members(rpc, [builders.member_record(number)], timetable=timetable)


def test_an_unmatched_member_gets_one_notice_before_the_freeze_and_none_after(
    make_settings, tmp_path
):
    mail_dir = tmp_path / "mailbox"
    with support.smtp_sink(mail_dir) as port:
        settings = make_settings("registration", "mailer", smtp_port=port)
        with (
            support.running(settings, RegistrationService, MailerService),
            support.rpc_proxy(settings) as rpc,
        ):
            open_bid = _ballot_with_member(rpc, "M1")
            yesterday = (datetime.now(UTC) - timedelta(days=1)).isoformat()
            frozen_bid = _ballot_with_member(rpc, "M2", freeze_at=yesterday)
            first = support.publish_event(settings, "members.unmatched", _unmatched(open_bid, "M1"))
            support.publish_event(
                settings, "members.unmatched", _unmatched(open_bid, "M1"), message_id=first
            )
            # matching deciding again (a new message, same decision) tells no one twice
            support.publish_event(settings, "members.unmatched", _unmatched(open_bid, "M1"))
            support.publish_event(settings, "members.unmatched", _unmatched(frozen_bid, "M2"))
            (mail,) = support.wait_for(lambda: support.mails(mail_dir), what="the notice")
            for bid, number in ((open_bid, "M1"), (frozen_bid, "M2")):
                support.wait_for(
                    lambda b=bid, n=number: (
                        rpc.registration.get_member(b, n)["state"] == "excluded"
                    ),
                    what=f"member {number} excluded",
                )
            support.wait_for(
                lambda: support.outbox_drained(settings, "registration"), what="the outbox"
            )
            eventlet.sleep(3.0)  # longer than the mailer's dispatch interval
            received = support.mails(mail_dir)
    assert len(received) == 1, "a redelivered or repeated decision, or a frozen ballot, sends none"
    assert str(mail["To"]) == "m1@example.org"
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "not on the roll for this ballot: not found on the electoral register" in body
    assert "register to vote at https://www.gov.uk/register-to-vote" in body
    assert f"/roll-check?ballot={open_bid}" in body
