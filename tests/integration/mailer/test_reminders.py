"""Reminders from the running mailer, against a real SMTP server and the real broker: one per
voter who has not voted (fed by ballots.marked), by the channel their code went, once however
often the timer fires or an event is redelivered; none while paused or once closed."""

from __future__ import annotations

import contextlib
import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import eventlet
import sqlalchemy as sa

from rollcall import sealing
from rollcall.db import make_engine, session_factory
from rollcall.messaging.topology import Topology
from services.mailer import reminding
from services.mailer.models import Ballot, Delivery, Reminder, Voted
from services.mailer.service import REMINDER_INTERVAL, MailerService
from tests import support
from tests.builders import ballots as builders

BALLOT = 5
TITLE = "Selection for Hackney North"


def _voter(settings, number: str, email: str) -> dict:
    return {
        "membership_number": number,
        "name": f"Voter {number}",
        "email": email,
        "address": ["1 High Street", "London"],
        "postcode": "E8 1AA",
        "sealed_code": sealing.seal(settings.secret("mail_seal_key"), f"CODE-{number}"),
        "kind": "initial",
    }


def _count(settings, table) -> int:
    engine = sa.create_engine(settings.database_url("mailer"), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as c:
            return c.scalar(sa.select(sa.func.count()).select_from(table))
    finally:
        engine.dispose()


def _rows(settings) -> list[dict]:
    batches = Path(settings.postal_path()).glob(f"ballot-{BALLOT}/batch-*.csv")
    return [r for b in sorted(batches) for r in csv.DictReader(b.open(newline=""))]


def _reminders(mails) -> dict[str, str]:
    return {
        str(m["To"]): m.get_body(preferencelist=("plain",)).get_content()
        for m in mails
        if str(m["Subject"]).startswith("Reminder")
    }


def test_one_reminder_per_voter_who_has_not_voted_by_their_channel_under_redelivery(
    make_settings, tmp_path
):
    mail_dir = tmp_path / "mailbox"
    now = datetime.now(UTC)
    timetable = {
        "opens_at": (now - timedelta(hours=1)).isoformat(),
        "closes_at": (now + timedelta(hours=1)).isoformat(),
        "reminders": [(now - timedelta(minutes=10)).isoformat()],
    }
    with support.smtp_sink(mail_dir) as port:
        settings = make_settings("mailer", smtp_port=port)
        definition = {
            **builders.ballot_definition(),
            "ballot_id": BALLOT,
            "title": TITLE,
            "phase": "draft",
            "timetable": timetable,
        }
        codes = {
            "ballot_id": BALLOT,
            "codes": [
                _voter(settings, "E1", "e1@example.org"),
                _voter(settings, "E2", "e2@example.org"),
                _voter(settings, "V1", "v1@example.org"),
                _voter(settings, "P1", ""),
            ],
        }
        marked = {"ballot_id": BALLOT, "membership_number": "V1", "channel": "online"}
        with support.running(settings, MailerService) as (container,):
            support.publish_event(settings, "ballot.created", definition)
            support.publish_event(settings, "codes.issued", codes)
            support.wait_for(lambda: len(support.mails(mail_dir)) >= 3, what="three code emails")
            support.wait_for(lambda: _rows(settings), what="the code letter")
            first = support.publish_event(settings, "ballots.marked", marked)
            support.publish_event(settings, "ballots.marked", marked, message_id=first)
            support.wait_for(lambda: _count(settings, Voted) == 1, what="the mark")
            # The ballot opens after its reminder time: the timer serves it at once.
            opened = {"ballot_id": BALLOT, "phase": "open", "at": now.isoformat()}
            support.publish_event(settings, "ballot.phase_changed", opened)
            support.wait_for(
                lambda: len(_reminders(support.mails(mail_dir))) >= 2, what="two reminder emails"
            )
            support.wait_for(
                lambda: any(r["message"] for r in _rows(settings)), what="the reminder letter"
            )
            # The timer firing again, by itself and by hand, and the mark redelivered anew.
            support.publish_event(settings, "ballots.marked", marked)
            engine = make_engine(settings.database_url("mailer"))
            factory = session_factory(engine)

            @contextlib.contextmanager
            def transaction():
                with factory() as session, session.begin():
                    yield session

            again = [reminding.run(transaction, datetime.now(UTC)) for _ in range(3)]
            engine.dispose()
            eventlet.sleep(REMINDER_INTERVAL + 3)  # another timer run and a dispatch, at least
            with support.rpc_proxy(settings) as rpc:
                counts = rpc.mailer.get_reminders(BALLOT)
            topology = Topology(settings.namespace, settings.retry_delays)
            reported = [
                d
                for event in ("mail.sent", "mail.failed")
                for m in support.queue_messages(settings, topology.queue("registration", event))
                for d in json.loads(m.body)["deliveries"]
            ]
    mails = support.mails(mail_dir)
    reminders = _reminders(mails)
    assert sorted(reminders) == ["e1@example.org", "e2@example.org"]
    assert len(mails) == 3 + 2, "three codes and two reminders, nothing twice"
    for body in reminders.values():
        assert "have not voted yet" in body and "CODE-" not in body
        assert f"{settings.public_url}/replacement?ballot={BALLOT}" in body
    letters = [r for r in _rows(settings) if r["message"]]
    assert [(r["membership_number"], r["letter"], r["code"]) for r in letters] == [
        ("P1", "reminder", "")
    ]
    assert "postal ballot paper" in letters[0]["message"]
    assert again == [{}, {}, {}]
    assert counts["total"] == {"sent": 2, "letter": 1, "skipped_voted": 1}
    assert list(counts["slots"]) == [datetime.fromisoformat(timetable["reminders"][0]).isoformat()]
    assert sorted((d["membership_number"], d["kind"]) for d in reported) == [
        ("E1", "initial"),
        ("E2", "initial"),
        ("P1", "initial"),
        ("V1", "initial"),
    ], "a reminder is not an access code: registration hears of codes only"


def test_no_reminder_goes_while_the_ballot_is_paused_or_once_it_closed(make_settings, tmp_path):
    mail_dir = tmp_path / "mailbox"
    now = datetime.now(UTC)
    timetable = {
        "opens_at": (now - timedelta(hours=1)).isoformat(),
        "closes_at": (now + timedelta(hours=1)).isoformat(),
        "reminders": [(now - timedelta(minutes=10)).isoformat()],
    }
    with support.smtp_sink(mail_dir) as port:
        settings = make_settings("mailer", smtp_port=port)
        definition = {
            **builders.ballot_definition(),
            "ballot_id": BALLOT,
            "phase": "draft",
            "timetable": timetable,
        }
        codes = {"ballot_id": BALLOT, "codes": [_voter(settings, "E1", "e1@example.org")]}
        with support.running(settings, MailerService):
            support.publish_event(settings, "ballot.created", definition)
            support.publish_event(settings, "codes.issued", codes)
            support.wait_for(lambda: support.mails(mail_dir), what="the code email")
            seen = {}
            for phase in ("paused", "closed"):
                changed = {"ballot_id": BALLOT, "phase": phase, "at": now.isoformat()}
                support.publish_event(settings, "ballot.phase_changed", changed)
                support.wait_for(lambda p=phase: _phase(settings) == p, what=f"the ballot {phase}")
                eventlet.sleep(REMINDER_INTERVAL + 3)  # a timer run and a dispatch, at least
                seen[phase] = sorted(_reminders(support.mails(mail_dir)))
            with support.rpc_proxy(settings) as rpc:
                counts = rpc.mailer.get_reminders(BALLOT)
    assert seen == {"paused": [], "closed": []}
    assert counts["total"] == {}


def _phase(settings) -> str | None:
    engine = sa.create_engine(settings.database_url("mailer"), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as c:
            return c.scalar(sa.select(Ballot.phase).where(Ballot.ballot_id == BALLOT))
    finally:
        engine.dispose()


def test_a_reminder_whose_voter_voted_before_it_went_is_not_sent(make_settings, tmp_path):
    mail_dir = tmp_path / "mailbox"
    now = datetime.now(UTC)
    slot = now - timedelta(minutes=10)
    kind = reminding.reminder_kind(slot)
    with support.smtp_sink(mail_dir) as port:
        settings = make_settings("mailer", smtp_port=port)
        engine = make_engine(settings.database_url("mailer"))
        with session_factory(engine)() as s, s.begin():
            s.add(
                Ballot(
                    ballot_id=BALLOT,
                    phase="open",
                    title=TITLE,
                    timetable={
                        "opens_at": (now - timedelta(hours=1)).isoformat(),
                        "closes_at": (now + timedelta(hours=1)).isoformat(),
                        "reminders": [slot.isoformat()],
                    },
                )
            )
            for number in ("E1", "E2"):
                contact = {
                    "membership_number": number,
                    "name": f"Voter {number}",
                    "email": f"{number.lower()}@example.org",
                    "code_channel": "email",
                }
                d = Delivery(
                    ballot_id=BALLOT,
                    membership_number=number,
                    kind=kind,
                    channel="email",
                    status="pending",
                    contact=contact,
                    attempts=0,
                    last_error="",
                    created_at=now,
                )
                s.add(d)
                s.flush()
                s.add(
                    Reminder(
                        ballot_id=BALLOT,
                        membership_number=number,
                        slot=slot,
                        outcome="email",
                        delivery_id=d.id,
                        created_at=now,
                    )
                )
            # E1 voted after the decision, before the dispatcher came to it.
            s.add(
                Voted(ballot_id=BALLOT, membership_number="E1", channel="online", recorded_at=now)
            )
        engine.dispose()
        with support.running(settings, MailerService):
            support.wait_for(lambda: _count_pending(settings) == 0, what="both reminders settled")
            with support.rpc_proxy(settings) as rpc:
                counts = rpc.mailer.get_reminders(BALLOT)
    assert sorted(_reminders(support.mails(mail_dir))) == ["e2@example.org"]
    assert counts["total"] == {"sent": 1, "skipped_voted": 1}


def _count_pending(settings) -> int:
    engine = sa.create_engine(settings.database_url("mailer"), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as c:
            return c.scalar(
                sa.select(sa.func.count()).select_from(Delivery).where(Delivery.status == "pending")
            )
    finally:
        engine.dispose()
