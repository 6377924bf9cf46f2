"""The codes service on the real broker and database: issue, verify, redeem, revoke."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from nameko.exceptions import RemoteError

from rollcall import sealing
from rollcall.messaging.topology import Topology
from services.codes.service import CodesService
from tests import support
from tests.builders import ballots as builders

BALLOT = 4
VOTERS = [
    {"membership_number": "M1", "name": "Ada Byron", "email": "m1@example.org"},
    {"membership_number": "M2", "name": "Mary Seacole", "email": ""},
]


def _open_ballot(settings):
    definition = {**builders.ballot_definition(), "ballot_id": BALLOT, "phase": "draft"}
    support.publish_event(settings, "ballot.created", definition)
    support.publish_event(
        settings,
        "ballot.phase_changed",
        {"ballot_id": BALLOT, "phase": "open", "at": datetime.now(UTC).isoformat()},
    )


class Issued:
    """The codes the mailer has been sent, in clear, kept across polls."""

    def __init__(self, settings):
        self.settings = settings
        self.queue = Topology(settings.namespace, settings.retry_delays).queue(
            "mailer", "codes.issued"
        )
        self.key = settings.secret("mail_seal_key")
        self.codes: list[tuple[str, str, str]] = []

    def __call__(self) -> list[tuple[str, str, str]]:
        for message in support.queue_messages(self.settings, self.queue):
            self.codes += [
                (c["membership_number"], c["kind"], sealing.unseal(self.key, c["sealed_code"]))
                for c in json.loads(message.body)["codes"]
            ]
        return sorted(self.codes)


def _statuses(settings) -> dict[str, str]:
    engine = sa.create_engine(settings.database_url("codes"), poolclass=sa.pool.NullPool)
    with engine.connect() as c:
        rows = c.execute(sa.text("select membership_number, status from codes")).all()
    engine.dispose()
    return dict(rows)


def _verify_when_open(rpc, code):
    def attempt():
        try:
            return rpc.codes.verify_code(BALLOT, code, "client-1")
        except RemoteError as exc:
            if exc.exc_type == "BallotNotOpen":
                return None
            raise

    return support.wait_for(attempt, what="the ballot to open")


def _refusal(rpc, code) -> str:
    with pytest.raises(RemoteError) as refused:
        rpc.codes.verify_code(BALLOT, code, "client-1")
    return refused.value.exc_type


def test_enrolment_issues_one_code_per_voter_however_often_it_comes(make_settings):
    settings = make_settings("codes")
    issued = Issued(settings)
    with support.running(settings, CodesService), support.rpc_proxy(settings) as rpc:
        _open_ballot(settings)
        payload = {"ballot_id": BALLOT, "voters": VOTERS}
        first = support.publish_event(settings, "voters.enrolled", payload)
        support.publish_event(settings, "voters.enrolled", payload, message_id=first)
        support.publish_event(settings, "voters.enrolled", payload)  # a new message, same voters
        support.wait_for(lambda: len(issued()) >= 2, what="two codes")
        support.wait_for(lambda: support.outbox_drained(settings, "codes"), what="the outbox")
        codes = issued()
        answers = {number: _verify_when_open(rpc, code) for number, _, code in codes}
    assert [(number, kind) for number, kind, _ in codes] == [("M1", "initial"), ("M2", "initial")]
    assert answers == {n: {"membership_number": n} for n in ("M1", "M2")}
    assert _statuses(settings) == {"M1": "issued", "M2": "issued"}


def test_a_mark_redeems_the_code_and_a_withdrawal_revokes_it(make_settings):
    settings = make_settings("codes")
    issued = Issued(settings)
    with support.running(settings, CodesService), support.rpc_proxy(settings) as rpc:
        _open_ballot(settings)
        support.publish_event(settings, "voters.enrolled", {"ballot_id": BALLOT, "voters": VOTERS})
        support.wait_for(lambda: len(issued()) >= 2, what="two codes")
        codes = {n: code for n, _, code in issued()}
        assert _verify_when_open(rpc, codes["M2"]) == {"membership_number": "M2"}
        support.publish_event(
            settings,
            "ballots.marked",
            {"ballot_id": BALLOT, "membership_number": "M1", "channel": "online"},
        )
        support.publish_event(
            settings,
            "voters.withdrawn",
            {"ballot_id": BALLOT, "membership_numbers": ["M2"], "reason": "lapsed"},
        )
        statuses = support.wait_for(
            lambda: (s := _statuses(settings)) == {"M1": "redeemed", "M2": "revoked"} and s,
            what="M1 redeemed and M2 revoked",
        )
        revoked = _refusal(rpc, codes["M2"])
        unknown = _refusal(rpc, "ABCD-EFGH-JKLM-NPQR")
    assert statuses == {"M1": "redeemed", "M2": "revoked"}
    assert revoked == "InvalidCode"
    assert unknown in ("InvalidCode", "MalformedCode")
