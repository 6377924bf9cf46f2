"""PostgreSQL restarted mid-import and again mid-voting: nothing lost, nothing done twice.

The services run on a private PostgreSQL server (``PrivatePostgres``: its own
data directory and port; the machine's shared server is never touched) and
the real broker. The server is restarted (``pg_ctl -m fast``: every
connection cut) while an extract's members are being matched, issued codes
and mailed, and again while votes are being cast. Handlers that fail on the
lost connection are retried through the delay queues, the outbox relays
back off and carry on, a vote whose transaction was cut is cast again by its
voter. Afterwards the extract balances, every member is in one state and none
is unaccounted for, no fact was applied twice, one code per voter and one
email per emailed voter, every voter is marked once with one paper each, and
nothing is parked.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import eventlet
import pytest
import sqlalchemy as sa
from nameko.exceptions import RemoteError

from rollcall.db import make_engine, upgrade
from rollcall.messaging.topology import Topology
from rollcall_cli.ballots import import_extract
from rollcall_tools import synth
from services.codes.service import CodesService
from services.mailer.service import MailerService
from services.matching.batch.loading import load_register
from services.matching.service import MatchingService
from services.registration.service import RegistrationService
from services.tally.service import TallyService
from tests import support
from tests.builders import ballots as builders
from tests.faults import checks, private_postgres
from tests.faults.private_postgres import PrivatePostgres

pytestmark = pytest.mark.skipif(
    not private_postgres.available(), reason="needs PostgreSQL 15's initdb and pg_ctl here"
)

SERVICES = ("registration", "matching", "codes", "mailer", "tally")
MEMBERS = 400
VOTERS = 100


@pytest.fixture
def postgres():  # type: ignore[no-untyped-def]
    server = PrivatePostgres()
    try:
        server.start()
        yield server
    finally:
        server.close()


def _databases(server: PrivatePostgres) -> dict[str, str]:
    admin = sa.create_engine(server.url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    urls = {}
    with admin.connect() as c:
        for service in SERVICES:
            c.execute(sa.text(f'CREATE DATABASE "rc_{service}"'))
            urls[service] = support.with_database(server.url, f"rc_{service}")
            upgrade(service, urls[service])
    admin.dispose()
    return urls


def _vote(rpc: Any, ballot_id: int, number: str) -> list[str]:
    """Cast one vote through tally's RPC; on a cut connection, cast it again."""
    answers: list[str] = []
    while len(answers) < 20:
        try:
            rpc.tally.cast_ballot(ballot_id, number, ["Ada Lovelace"], "online")
            answers.append("cast")
            return answers
        except RemoteError as exc:
            answers.append(exc.exc_type)
            if exc.exc_type == "AlreadyVoted":
                return answers
        eventlet.sleep(0.5)
    return answers


@pytest.mark.timeout(900)
def test_restarting_postgresql_mid_import_and_mid_voting_loses_and_duplicates_nothing(
    postgres, make_settings, tmp_path
):
    urls = _databases(postgres)
    data = synth.generate(int(MEMBERS * 1.3), MEMBERS, 9)
    paths = data.write_csv(tmp_path)
    engine = make_engine(urls["matching"])
    load_register(engine, paths["register"], "SYNTH", "v1")
    engine.dispose()
    wards = sorted({r["ward"] for r in data.register_rows})
    with support.smtp_sink(tmp_path / "mail") as smtp_port:
        settings = make_settings(
            smtp_port=smtp_port,
            chunk_size=50,
            retry_delays=(0.5, 1.0, 2.0, 4.0, 8.0, 15.0),
        )
        settings = replace(settings, database_urls=urls)  # the private server's
        with (
            support.running(
                settings,
                RegistrationService,
                MatchingService,
                CodesService,
                MailerService,
                TallyService,
            ),
            support.rpc_proxy(settings) as rpc,
        ):
            ballot_id = rpc.registration.create_ballot(builders.ballot_definition(area=wards))[
                "ballot_id"
            ]
            summary = import_extract(rpc, paths["members"], ballot_id, chunk_size=50)
            assert summary["balanced"]
            in_flight = rpc.registration.reconcile(ballot_id)["in_flight"]
            postgres.restart()
            assert in_flight, "the restart must come while members are in flight"
            report = support.wait_for(
                lambda: _settled(rpc, ballot_id),
                timeout=300,
                interval=0.5,
                what="every member to settle after the restart",
            )
            ledger = report["ledger"]
            rpc.registration.change_phase(
                ballot_id,
                "open",
                actor="test",
                reason="fault test: open with reviews pending, close early",
                force=True,
            )
            numbers = sorted(
                support.wait_for(
                    lambda: _enrolled_in_tally(urls["tally"], VOTERS),
                    what="voters on the tally's roll",
                )
            )[:VOTERS]
            support.wait_for(
                lambda: checks.scalar(urls["tally"], "select phase from ballots") == "open",
                what="the ballot to open in tally",
            )
            answers: dict[str, list[str]] = {}

            def voters(numbers: list[str]) -> None:
                # A standalone RPC proxy serves one green thread: one each.
                with support.rpc_proxy(settings) as own:
                    for number in numbers:
                        answers[number] = _vote(own, ballot_id, number)

            def vote(numbers: list[str], clients: int = 5) -> None:
                pool = eventlet.GreenPool(clients)
                list(pool.imap(voters, [numbers[i::clients] for i in range(clients)]))

            half = VOTERS // 2
            vote(numbers[:half])
            restarting = eventlet.spawn(postgres.restart)
            vote(numbers[half:])
            restarting.wait()
            support.wait_for(
                lambda: rpc.registration.reconcile(ballot_id)["ledger"]["voted"] >= VOTERS,
                timeout=120,
                what="every mark to reach the ledger",
            )
            final = rpc.registration.reconcile(ballot_id)
            for service in SERVICES:
                support.wait_for(
                    lambda s=service: support.outbox_drained(settings, s),
                    what=f"{service}'s outbox to drain",
                )
        topology = Topology.of(settings)
        parked = support.queue_messages(settings, topology.parked)

    checks.assert_members_and_codes_intact(urls, report, ledger, tmp_path / "mail")
    assert all(a[-1] in ("cast", "AlreadyVoted") for a in answers.values()), answers
    print(
        f"votes cast again after the restart: { {n: a for n, a in answers.items() if len(a) > 1} }"
    )
    marks = checks.scalar(urls["tally"], "select count(*) from marks")
    papers = checks.scalar(urls["tally"], "select count(*) from box")
    assert marks == papers == VOTERS
    assert final["ledger"]["voted"] == VOTERS
    assert parked == []


def _settled(rpc: Any, ballot_id: int) -> dict[str, Any] | None:
    report = rpc.registration.reconcile(ballot_id)
    return report if report["in_flight"] == 0 else None


def _enrolled_in_tally(url: str, count: int) -> list[str] | None:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as c:
            numbers = [n for (n,) in c.execute(sa.text("select membership_number from voters"))]
    finally:
        engine.dispose()
    return numbers if len(numbers) >= count else None
