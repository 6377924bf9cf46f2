"""A three-node RabbitMQ cluster loses one node mid-import and another mid-voting.

Every service runs on quorum queues (``queue_type="quorum"``) against its own
PostgreSQL database, with two replicas of codes and two of tally, and is given
all three nodes' URIs in an order that makes the faults land on live
connections: registration and matching connect to ``rc-b`` first, codes, tally
and the gateway to ``rc-c``, the mailer and this test's RPC proxy to ``rc-a``.

1. An extract is imported; while its members are still being matched, issued
   codes and mailed, ``rc-b`` is stopped (registration and matching lose their
   broker and fail over to ``rc-c``), then started again.
2. Once every member has settled, the ballot opens and voters vote over HTTP;
   ``rc-c`` is stopped while votes are in flight, votes go on with it down,
   and it is started again. A voter whose request failed (503: the reply was
   lost with the node) tries again, as a person would.

Then nothing is lost or duplicated: the extract balances, every member is in
one ledger state with none unaccounted for and no move refused, one code per
voter and one email per emailed voter, every voter who voted is marked once,
the box holds exactly one paper per mark, the count's turnout agrees, and
nothing is parked. The cluster is stopped and its directories removed at the
end, pass or fail.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import replace
from typing import Any

import eventlet
import pytest
import requests
import sqlalchemy as sa

from rollcall.db import make_engine
from rollcall.messaging.topology import Topology
from rollcall_cli.ballots import import_extract
from rollcall_cli.demo.mailbox import read_mailbox
from rollcall_tools import synth
from services.codes.service import CodesService
from services.mailer.service import MailerService
from services.matching.batch.loading import load_register
from services.matching.service import MatchingService
from services.registration.service import RegistrationService
from services.tally.service import TallyService
from tests import support
from tests.builders import ballots as builders
from tests.faults import checks, rabbit_cluster
from tests.faults.rabbit_cluster import Node, RabbitCluster

pytestmark = pytest.mark.skipif(
    not rabbit_cluster.available(), reason="needs rabbitmq-server installed on this machine"
)

SERVICES = ("registration", "matching", "codes", "mailer", "tally", "gateway")
MEMBERS = 500
VOTERS = 120
#: How long a voter goes on trying (a 503, or no answer, then half a second, then again).
PATIENCE = 180


@pytest.fixture
def cluster(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    nodes = RabbitCluster(tmp_path_factory.mktemp("rabbit"))
    try:
        nodes.start()
        yield nodes
    finally:
        nodes.close()


def _uris(*nodes: Node) -> str:
    return ";".join(n.uri for n in nodes)


def _stopping(cluster: RabbitCluster, node: Node) -> Any:
    """Stop ``node`` in a green thread (the test goes on meanwhile)."""
    return eventlet.spawn(cluster.stop_node, node)


class Voters:
    """Voters voting over HTTP; one who gets a 503 (or no answer) tries again, as a person would.

    ``answers[number]`` is every answer a voter got, as ``201`` or an error code.
    """

    def __init__(self, url: str, codes: dict[str, str], choice: str) -> None:
        self.url, self.codes, self.choice = url, codes, choice
        self.answers: dict[str, list[str]] = {}

    def vote(self, number: str) -> None:
        seen = self.answers.setdefault(number, [])
        body = {"code": self.codes[number], "choices": [self.choice]}
        # Tries for as long as a node may take to go and come back on a loaded machine.
        deadline = time.monotonic() + PATIENCE
        while time.monotonic() < deadline:
            try:
                response = requests.post(self.url, json=body, timeout=30)
                answer = (
                    "201"
                    if response.status_code == 201
                    else str(response.json().get("error", {}).get("code"))
                )
            except (requests.RequestException, ValueError) as exc:
                answer = f"no answer: {type(exc).__name__}"
            seen.append(answer)
            if answer in ("201", "already_voted"):
                return
            eventlet.sleep(0.5)

    def all(self, numbers: list[str]) -> None:
        pool = eventlet.GreenPool(12)
        for _ in pool.imap(self.vote, numbers):
            pass


@pytest.mark.timeout(900)
def test_losing_a_node_mid_import_and_another_mid_voting_loses_and_duplicates_nothing(
    cluster, databases, secrets_dir, tmp_path
):
    a, b, c = cluster.nodes
    urls = {s: databases.fresh(s) for s in SERVICES}
    data = synth.generate(int(MEMBERS * 1.3), MEMBERS, 5)
    paths = data.write_csv(tmp_path)
    engine = make_engine(urls["matching"])
    load_register(engine, paths["register"], "SYNTH", "v1")
    engine.dispose()
    wards = sorted({r["ward"] for r in data.register_rows})
    port = support.free_port()
    with support.smtp_sink(tmp_path / "mail") as smtp_port:
        settings = support.settings_for_test(
            _uris(a, b, c),
            urls,
            queue_type="quorum",
            secrets_dir=str(secrets_dir),
            var_dir=str(tmp_path / "var"),
            smtp_port=smtp_port,
            gateway_port=port,
            public_url=f"http://127.0.0.1:{port}",
            chunk_size=100,
            retry_delays=(0.5, 1.0, 2.0, 5.0),
        )
        via_b = replace(settings, amqp_uri=_uris(b, c, a))
        via_c = replace(settings, amqp_uri=_uris(c, a, b))
        from gateway.service import GatewayService

        with contextlib.ExitStack() as stack:
            stack.enter_context(support.running(settings, MailerService))
            stack.enter_context(support.running(via_b, RegistrationService, MatchingService))
            stack.enter_context(
                support.running(
                    via_c,
                    CodesService,
                    CodesService,
                    TallyService,
                    TallyService,
                    GatewayService,
                    GATEWAY_RPC_TIMEOUT=5,
                )
            )
            rpc = stack.enter_context(support.rpc_proxy(settings))
            outcome = _run_ballot(cluster, rpc, settings, urls, paths["members"], wards, tmp_path)
        topology = Topology.of(settings)
        parked = support.queue_messages(settings, topology.parked)
        unroutable = support.queue_messages(settings, topology.unroutable)

    ledger, report, voters, result = outcome
    # The import: balanced, every member in one state, no fact applied twice; one code
    # per voter, one email per emailed voter.
    checks.assert_members_and_codes_intact(urls, report, ledger, tmp_path / "mail")
    assert report["in_flight"] == 0
    # Each voter's vote counted once, whatever the broker did to their request.
    assert all(answers[-1] in ("201", "already_voted") for answers in voters.values()), voters
    # A voter may be told "already voted" for their own vote: the node went
    # between tally's commit and the ack of the RPC request, which a second
    # tally replica then took again (RPC delivery is at least once). The vote
    # is counted once all the same (below); only its receipt is lost.
    told_already = [n for n, answers in voters.items() if answers[0] == "already_voted"]
    tried_again = {n: answers for n, answers in voters.items() if len(answers) > 1}
    print(f"voters who had to try again: {len(tried_again)}: {tried_again}")
    print(f"voters told 'already voted' at their first try: {told_already}")
    marks = checks.scalar(urls["tally"], "select count(*) from marks")
    papers = checks.scalar(urls["tally"], "select count(*) from box")
    assert marks == papers == len(voters) == VOTERS
    engine = sa.create_engine(urls["tally"], poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        marked = {n for (n,) in conn.execute(sa.text("select membership_number from marks"))}
    engine.dispose()
    assert marked == set(voters), "the marked register is exactly the voters who voted"
    assert report["ledger"]["voted"] == VOTERS
    assert result["turnout"]["cast"] == VOTERS
    assert parked == [] and unroutable == []


def _run_ballot(cluster, rpc, settings, urls, members, wards, tmp_path):  # type: ignore[no-untyped-def]
    a, b, c = cluster.nodes
    ballot_id = rpc.registration.create_ballot(builders.ballot_definition(area=wards))["ballot_id"]
    summary = import_extract(rpc, members, ballot_id, chunk_size=100)
    assert summary["balanced"]

    # 1. rc-b goes while the members are being matched, issued codes and mailed.
    stopping = _stopping(cluster, b)
    in_flight_when_down = None
    while not stopping.dead:
        in_flight_when_down = rpc.registration.reconcile(ballot_id)["in_flight"]
        eventlet.sleep(0.2)
    stopping.wait()
    assert in_flight_when_down, "the node must go while members are in flight"
    cluster.start_node(b)
    report = support.wait_for(
        lambda: (r := rpc.registration.reconcile(ballot_id))["in_flight"] == 0 and r,
        timeout=300,
        interval=0.5,
        what="every member to settle after losing rc-b",
    )
    ledger = report["ledger"]

    # 2. rc-c goes while votes are in flight.
    rpc.registration.change_phase(
        ballot_id,
        "open",
        actor="test",
        reason="fault test: open with reviews pending, close early",
        force=True,
    )
    codes = support.wait_for(
        lambda: (found := read_mailbox(tmp_path / "mail")) and len(found) >= VOTERS and found,
        timeout=120,
        what=f"{VOTERS} emailed codes",
    )
    base = settings.public_url
    numbers = sorted(codes)[:VOTERS]
    voters = Voters(f"{base}/api/ballots/{ballot_id}/votes", codes, "Ada Lovelace")
    third = VOTERS // 3
    voters.all(numbers[:third])  # a 409 ballot_not_open while the phase change travels: again
    stopping = _stopping(cluster, c)
    voters.all(numbers[third : 2 * third])
    stopping.wait()
    voters.all(numbers[2 * third :])
    cluster.start_node(c)

    gave_up = {n: a for n, a in voters.answers.items() if a[-1] not in ("201", "already_voted")}
    assert not gave_up, f"voters whose vote never got in, with every answer: {gave_up}"
    try:
        support.wait_for(
            lambda: rpc.registration.reconcile(ballot_id)["ledger"]["voted"] >= VOTERS,
            timeout=120,
            what="every mark to reach the ledger",
        )
    except AssertionError as exc:  # say where the marks are
        raise AssertionError(
            f"{exc}: the ledger has {rpc.registration.reconcile(ballot_id)['ledger']} and "
            f"tally {checks.scalar(urls['tally'], 'select count(*) from marks')} marks; parked: "
            f"{[m.headers for m in support.queue_messages(settings, Topology.of(settings).parked)]}"
        ) from exc
    rpc.registration.change_phase(
        ballot_id,
        "closed",
        actor="test",
        reason="fault test: open with reviews pending, close early",
        force=True,
    )

    def result():  # type: ignore[no-untyped-def]
        try:
            return rpc.tally.get_result(ballot_id)
        except Exception:  # noqa: BLE001 - not counted yet
            return None

    counted = support.wait_for(result, timeout=120, interval=0.5, what="the result")
    final = rpc.registration.reconcile(ballot_id)
    return ledger, final, voters.answers, counted
