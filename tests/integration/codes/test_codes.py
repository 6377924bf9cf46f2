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


def test_a_reissue_works_at_once_unless_a_contact_change_is_still_cooling_off(make_settings):
    settings = make_settings("codes")
    queue = Topology(settings.namespace, settings.retry_delays).queue("mailer", "codes.issued")
    key = settings.secret("mail_seal_key")
    seen: dict[tuple[str, str], tuple[str, str | None]] = {}

    def issued(number: str, kind: str) -> tuple[str, str | None] | None:
        for message in support.queue_messages(settings, queue):
            for c in json.loads(message.body)["codes"]:
                code = sealing.unseal(key, c["sealed_code"])
                seen[(c["membership_number"], c["kind"])] = (code, c.get("not_before"))
        return seen.get((number, kind))

    def reissue(voter: dict) -> None:  # type: ignore[type-arg]
        support.publish_event(
            settings,
            "voters.reissue_requested",
            {"ballot_id": BALLOT, "voter": voter, "source": "officer"},
        )

    with support.running(settings, CodesService), support.rpc_proxy(settings) as rpc:
        definition = builders.ballot_definition(eligibility={"cooling_off_hours": 48})
        support.publish_event(
            settings, "ballot.created", {**definition, "ballot_id": BALLOT, "phase": "draft"}
        )
        support.publish_event(
            settings,
            "ballot.phase_changed",
            {"ballot_id": BALLOT, "phase": "open", "at": datetime.now(UTC).isoformat()},
        )
        support.publish_event(settings, "voters.enrolled", {"ballot_id": BALLOT, "voters": VOTERS})
        old, _ = support.wait_for(lambda: issued("M1", "initial"), what="M1's code")
        support.wait_for(lambda: issued("M2", "initial"), what="M2's code")

        # A lost code: the new one works at once and the old one no longer does.
        reissue(VOTERS[0])
        new, not_before = support.wait_for(lambda: issued("M1", "reissue-2"), what="M1's new code")
        assert not_before is None
        assert _verify_when_open(rpc, new) == {"membership_number": "M1"}
        assert _refusal(rpc, old) == "InvalidCode"

        # A contact change holds the new code; a reissue after it keeps the same hold.
        support.publish_event(
            settings,
            "voters.contact_changed",
            {
                "ballot_id": BALLOT,
                "membership_number": "M2",
                "name": "Mary Seacole",
                "old": {"email": ""},
                "new": {"email": "m2@example.org"},
                "fields_changed": ["email"],
                "reissue": True,
                "voter": {**VOTERS[1], "email": "m2@example.org"},
            },
        )
        _, held_until = support.wait_for(lambda: issued("M2", "reissue-2"), what="M2's held code")
        reissue({**VOTERS[1], "email": "m2@example.org"})
        again, still_held = support.wait_for(
            lambda: issued("M2", "reissue-3"), what="M2's reissued code"
        )
        refused = _refusal(rpc, again)
    assert held_until is not None
    assert datetime.fromisoformat(held_until) > datetime.now(UTC).replace(microsecond=0)
    assert still_held == held_until, "a reissue never shortens a contact change's cooling-off"
    assert refused == "InvalidCode"
