"""Mail that did not reach members, on the real broker, database and an SMTP server started here.

A mail server down for longer than the retry schedule after the postal
cut-off leaves members not reached, with the reason; ``rollcall mail resend``
(registration's ``resend_codes`` then codes' ``reissue_codes``) sends each a
new code once the server is back, and a second run sends nothing.
"""

from __future__ import annotations

from services.codes.service import CodesService
from services.mailer.service import MailerService
from services.registration.service import RegistrationService
from tests import support
from tests.builders import ballots as builders

MEMBERS = ("M1", "M2")
TIMETABLE = {"postal_cutoff": "2026-01-05T17:00:00+00:00", "closes_at": "2026-01-09T17:00:00+00:00"}


def _states(rpc, ballot_id: int) -> dict[str, tuple[str, str]]:
    return {
        m["membership_number"]: (m["state"], m["reason"])
        for m in rpc.registration.list_members(ballot_id)
    }


def _resend(rpc, ballot_id: int) -> tuple[int, dict[str, int]]:
    """What ``rollcall mail resend --ballot N`` does."""
    chosen = rpc.registration.resend_codes(ballot_id, state="mail_failed", actor="op-1")
    sent = rpc.codes.reissue_codes(ballot_id, chosen["voters"]) if chosen["voters"] else 0
    return sent, chosen["skipped"]


def test_members_not_reached_after_the_cut_off_are_sent_a_new_code_once(make_settings, tmp_path):
    port = support.free_port()
    settings = make_settings(
        "registration", "codes", "mailer", smtp_port=port, mail_retry_delays=(0.2,)
    )
    with (
        support.running(settings, RegistrationService, CodesService, MailerService),
        support.rpc_proxy(settings) as rpc,
    ):
        # The cooling-off is for contact changes: a code sent again to the same contact is not held.
        records = [builders.member_record(n, email=f"{n.lower()}@example.org") for n in MEMBERS]
        bid = support.ballot_with_members(
            rpc, records, timetable=TIMETABLE, eligibility={"cooling_off_hours": 48}
        )
        decisions = [
            {
                "membership_number": n,
                "decision": "match",
                "elector_id": f"E-{n}",
                "score": 1.0,
                "reasons": "same name at the same address",
                "eligible": True,
            }
            for n in MEMBERS
        ]
        support.publish_event(
            settings, "members.matched", {"ballot_id": bid, "decisions": decisions}
        )
        failed = support.wait_for(
            lambda: (
                (s := _states(rpc, bid))
                and all(state == "mail_failed" for state, _ in s.values())
                and s
            ),
            timeout=60,
            what="both members not reached",
        )
        report = rpc.registration.reconcile(bid, "HACK")
        assert report["not_reached"] == 2
        for _, reason in failed.values():
            assert reason.startswith("not reached")
            assert "mail server unreachable" in reason
            assert f"the postal cut-off ({TIMETABLE['postal_cutoff']}) has passed" in reason

        mail_dir = tmp_path / "mailbox"
        with support.smtp_sink(mail_dir, port):
            assert _resend(rpc, bid) == (2, {})
            assert _resend(rpc, bid) == (0, {}), "run again at once: nothing sent twice"
            support.wait_for(
                lambda: {state for state, _ in _states(rpc, bid).values()} == {"code_emailed"},
                timeout=60,
                what="the new codes emailed",
            )
            assert _resend(rpc, bid) == (0, {}), "nor once the new codes are delivered"
            again = rpc.registration.resend_codes(bid, state="code_emailed", actor="op-1")
            assert again["voters"] == [], "a delivered code is not sent again unless reissued"
            assert sum(again["skipped"].values()) == 2
            support.wait_for(
                lambda: support.outbox_drained(settings, "mailer"), what="the mailer's outbox"
            )
            mails = support.mails(mail_dir)
    assert sorted(str(m["To"]) for m in mails) == ["m1@example.org", "m2@example.org"]
