"""A member's "am I on the roll?": answered at the party-held email, never on the screen."""

from __future__ import annotations

import eventlet

from services.mailer.service import MailerService
from services.registration.service import RegistrationService
from tests import support
from tests.builders import ballots as builders


def test_the_answer_goes_to_the_party_held_email_and_the_reply_reveals_nothing(
    make_settings, tmp_path
):
    mail_dir = tmp_path / "mailbox"
    with support.smtp_sink(mail_dir) as port:
        settings = make_settings("registration", "mailer", smtp_port=port)
        with (
            support.running(settings, RegistrationService, MailerService),
            support.rpc_proxy(settings) as rpc,
        ):
            bid = support.ballot_with_members(rpc, [builders.member_record("M1", status="lapsed")])
            wrong = rpc.registration.roll_check(bid, "M1", "N1 1AA")
            unknown = rpc.registration.roll_check(bid, "M999", "E8 1AA")
            eventlet.sleep(1.0)
            assert support.mails(mail_dir) == [], "a wrong postcode or number sends nothing"
            right = rpc.registration.roll_check(bid, "M1", "e81aa")
            (mail,) = support.wait_for(lambda: support.mails(mail_dir), what="the answer")
    assert wrong == unknown == right, "the reply must not say whether the member exists"
    assert str(mail["To"]) == "m1@example.org"
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "not on the roll" in body and "lapsed" in body and "association officer" in body
