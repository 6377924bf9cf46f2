"""Every event a producer emits loads in every consumer's schema.

One ballot runs through the real services on one broker, each with its own
database: registration (driven only through its RPC and the inbound member
events), matching, codes, mailer and tally. Then every row each producer wrote
to its outbox is loaded the way each of its consumers loads it: the consumer's
``subscribe`` entrypoint for that event type, which validates with
``contracts.load`` and the schema version the outbox row carries. A payload any
consumer would refuse fails the test, as does an event type with a producer
here that this run did not reach.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from rollcall import sealing
from rollcall.db import make_engine
from rollcall.messaging import contracts
from rollcall.messaging.consumer import Subscription
from rollcall.messaging.topology import REASON_HEADER, Topology
from rollcall_cli.ballots import import_extract
from rollcall_tools.synth import generate
from services.codes.service import CodesService
from services.mailer.service import MailerService
from services.matching.batch.loading import load_register
from services.matching.service import MatchingService
from services.registration.service import RegistrationService
from services.tally.service import TallyService
from tests import support
from tests.builders import ballots as builders

SERVICES = {
    "registration": RegistrationService,
    "matching": MatchingService,
    "codes": CodesService,
    "mailer": MailerService,
    "tally": TallyService,
}
#: Sent by the membership system, which is not part of Rollcall: this test sends them.
INBOUND = {"member.joined", "member.updated", "member.lapsed"}


def subscriptions(service_class: type) -> dict[str, str]:
    """Event type -> the name of the service's handler subscribed to it."""
    found = {}
    for name in dir(service_class):
        for entrypoint in getattr(getattr(service_class, name), "nameko_entrypoints", ()):
            if isinstance(entrypoint, Subscription):
                found[entrypoint.event_type] = name
    return found


def outbox(settings, service: str) -> list[tuple[str, int, str]]:
    """(event type, schema version, payload as written) of every event ``service`` emitted."""
    engine = sa.create_engine(settings.database_url(service), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as c:
            rows = c.execute(
                sa.text("select event_type, schema_version, payload from outbox order by id")
            ).all()
    finally:
        engine.dispose()
    return [tuple(r) for r in rows]


def emitted(settings) -> dict[str, list[tuple[str, int, str]]]:
    return {service: outbox(settings, service) for service in SERVICES}


def has_events(settings, *wanted: str) -> bool:
    seen = {row[0] for rows in emitted(settings).values() for row in rows}
    return set(wanted) <= seen


def payloads(settings, service: str, event_type: str) -> list[dict[str, Any]]:
    return [json.loads(p) for e, _, p in outbox(settings, service) if e == event_type]


def refusals(
    rows: dict[str, list[tuple[str, int, str]]],
) -> tuple[list[str], set[str]]:
    """Each refusal by a consumer of a producer's outbox row, and the event types checked."""
    handlers = {service: subscriptions(cls) for service, cls in SERVICES.items()}
    problems, checked = [], set()
    for producer, events in rows.items():
        for event_type, version, payload in events:
            checked.add(event_type)
            for consumer in contracts.consumers_of(event_type):
                if event_type not in handlers[consumer]:
                    problems.append(f"{consumer} has no handler for {event_type}")
                    continue
                try:
                    contracts.load(event_type, version, json.loads(payload))
                except contracts.ContractViolation as exc:
                    problems.append(
                        f"{consumer}.{handlers[consumer][event_type]} refuses {producer}'s "
                        f"{event_type}: {exc}"
                    )
    return problems, checked


def _inbound(settings, event_type: str, number: str, **fields: Any) -> None:
    payload = {
        "membership_number": number,
        "changed_at": datetime.now(UTC).isoformat(),
        "source": "membership-system",
        "actor": "membership-system",
        "reason": "test",
        **fields,
    }
    support.publish_event(settings, event_type, payload)


def _cast_when_open(rpc, ballot_id: int, number: str, choice: str) -> dict[str, str]:
    from nameko.exceptions import RemoteError

    def attempt():
        try:
            return rpc.tally.cast_ballot(ballot_id, number, [choice], "online")
        except RemoteError as exc:
            if exc.exc_type == "BallotNotOpen":
                return None
            raise

    return support.wait_for(attempt, what="the ballot to open in the tally")


def _bounce_back(settings, mail_dir, number: str) -> None:
    """Play a remote mail system: the member's code email bounces, to the mailer's endpoint."""
    from rollcall_cli.demo.sink import compose_dsn, send_dsn

    def mail():  # type: ignore[no-untyped-def]
        found = [
            m for m in support.mails(mail_dir) if f".{number}.initial@" in str(m["Message-ID"])
        ]
        return found[0] if found else None

    original = support.wait_for(mail, what="the member's code email")
    path = str(original["X-MailFrom"])
    dsn = compose_dsn(original.as_bytes(), recipient=str(original["To"]), return_path=path)
    send_dsn(dsn, path, "127.0.0.1", settings.bounce_smtp_port)


def _parked_as_invalid(settings) -> list[str]:
    topology = Topology(settings.namespace, settings.retry_delays)
    return [
        str((m.headers or {}).get(REASON_HEADER))
        for m in support.queue_messages(settings, topology.parked)
        if str((m.headers or {}).get(REASON_HEADER, "")).startswith("invalid")
    ]


@pytest.fixture
def ballot_run(make_settings, tmp_path):
    """Run one ballot through every service, then erase it; the settings, and every event
    each service emitted."""
    data = generate(240, 80, seed=5)
    paths = data.write_csv(tmp_path / "synth")
    wards = sorted({r["ward"] for r in data.register_rows})
    with support.smtp_sink(tmp_path / "mailbox") as port:
        settings = make_settings(
            *SERVICES,
            smtp_port=port,
            bounce_smtp_port=support.free_port(),
            bounce_settle_seconds=0.1,
            retention_days=0,
        )
        engine = make_engine(settings.database_url("matching"))
        load_register(engine, paths["register"], "HACKNEY", "2026-11")
        engine.dispose()
        with support.running(settings, *SERVICES.values()), support.rpc_proxy(settings) as rpc:
            ballot_id = rpc.registration.create_ballot(builders.ballot_definition(area=wards))[
                "ballot_id"
            ]
            import_extract(rpc, paths["members"], ballot_id, source="test", chunk_size=500)
            support.wait_for(
                lambda: has_events(settings, "voters.enrolled", "codes.issued", "mail.sent"),
                what="codes issued and mailed",
                timeout=120,
            )
            voters = [
                v
                for p in payloads(settings, "registration", "voters.enrolled")
                for v in p["voters"]
            ]
            moved, lapsed, asked, unsealable, voter, replaced, bounced = voters[:7]
            _bounce_back(settings, tmp_path / "mailbox", bounced["membership_number"])
            _inbound(
                settings,
                "member.updated",
                moved["membership_number"],
                changes={"email": "moved@example.org"},
            )
            _inbound(
                settings,
                "member.lapsed",
                lapsed["membership_number"],
                lapsed_on=date.today().isoformat(),
            )
            rpc.registration.roll_check(ballot_id, asked["membership_number"], asked["postcode"])
            number = replaced["membership_number"]
            rpc.registration.request_replacement(ballot_id, number, "", replaced["postcode"])
            rpc.registration.reissue_code(ballot_id, number, "officer-1", "lost it", "officer")
            support.publish_event(
                settings,
                "codes.issued",
                {
                    "ballot_id": ballot_id,
                    "codes": [
                        {
                            **unsealable,
                            "sealed_code": sealing.seal(sealing.new_key(), "NOT-FOR-THIS-KEY"),
                            "kind": "reissue-9",
                        }
                    ],
                },
            )
            # Members stay in review here on purpose (their events are under test): forced.
            rpc.registration.change_phase(
                ballot_id, "open", actor="test", reason="reviews left open", force=True
            )
            _cast_when_open(rpc, ballot_id, voter["membership_number"], "Ada Lovelace")
            rpc.registration.change_phase(
                ballot_id, "closed", actor="test", reason="reviews left open", force=True
            )
            support.wait_for(
                lambda: has_events(
                    settings,
                    "voters.contact_changed",
                    "voters.withdrawn",
                    "roll.check_answered",
                    "mail.failed",
                    "mail.bounced",
                    "ballots.marked",
                    "result.published",
                    "replacement.requested",
                    "voters.reissue_requested",
                ),
                what="every event of the ballot",
                timeout=120,
            )
            for service in SERVICES:
                support.wait_for(
                    lambda s=service: support.outbox_drained(settings, s),
                    what=f"{service}'s outbox",
                )
            # Erasing the ballot deletes the events about it from every outbox: read them
            # first, then add the erasure's own announcement.
            rows = emitted(settings)
            support.wait_for(
                lambda: rpc.registration.list_retention()[0]["is_due"],
                what="the ballot's result to reach registration",
            )
            rpc.registration.erase_ballot(ballot_id, "test", "contract test")
            for service in SERVICES:
                support.wait_for(
                    lambda s=service: getattr(rpc, s).get_retention(ballot_id)["erased_at"],
                    what=f"{service} to erase the ballot",
                )
            rows["registration"] += [
                row for row in outbox(settings, "registration") if row[0] == "ballot.erasure_due"
            ]
            yield settings, rows


def test_every_event_a_producer_emits_loads_in_every_consumers_schema(ballot_run):
    settings, rows = ballot_run
    problems, checked = refusals(rows)
    assert problems == []
    assert checked == set(contracts.CONTRACTS) - INBOUND
    assert _parked_as_invalid(settings) == []
