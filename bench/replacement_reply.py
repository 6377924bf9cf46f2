"""Benchmark: does the replacement route's reply take longer when the details match a member?

The gateway and registration run in this process against the real broker and
PostgreSQL (``ROLLCALL_TEST_PG``, ``ROLLCALL_TEST_AMQP``, default the local
ones), on fresh databases. A ballot's members are brought to ``code_emailed``
by the events matching and the mailer would send. Then, ``--rounds`` times,
three kinds of request are sent in a shuffled order, each kind to its own
``--members`` membership numbers (so no number passes the limit of 3 an hour),
from client addresses that rotate through 127.0.0.0/8 (so none passes 10):

- ``matched``: a member, with the email the party holds (a new code is sent
  on the first round; afterwards the member is waiting for it);
- ``wrong_contact``: a member, with an email the party does not hold;
- ``unknown``: a membership number no member has.

Prints ONE JSON object: per kind, the count, the statuses seen, and the median,
90th percentile and mean wall-clock seconds of the HTTP round trip; and what
registration recorded for each kind once every request was matched.
Run: ``.venv/bin/python bench/replacement_reply.py [--members 100] [--rounds 3] [--seed 11]``.
"""

# ruff: noqa: E402 - nameko needs eventlet's monkey patch before anything imports socket
from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import argparse
import json
import os
import random
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import requests
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gateway.service import GatewayService
from services.registration.service import RegistrationService
from tests import support
from tests.builders import ballots as builders
from tests.integration.gateway.harness import FromAddress


def _decisions(numbers: list[str]) -> list[dict]:  # type: ignore[type-arg]
    return [
        {
            "membership_number": n,
            "decision": "match",
            "elector_id": f"E-{n}",
            "score": 1.0,
            "reasons": "same name at the same address",
            "eligible": True,
        }
        for n in numbers
    ]


def _rows(settings, query: str) -> list:  # type: ignore[no-untyped-def,type-arg]
    engine = sa.create_engine(settings.database_url("registration"), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as c:
            return list(c.execute(sa.text(query)))
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3, choices=(1, 2, 3))
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    pg = os.environ.get("ROLLCALL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
    amqp = os.environ.get("ROLLCALL_TEST_AMQP", "amqp://guest:guest@127.0.0.1:5672/")
    rng = random.Random(args.seed)
    databases = support.Databases(pg)
    tmp = Path("var/bench/replacement")
    try:
        urls = {s: databases.fresh(s) for s in ("gateway", "registration")}
        settings = support.settings_for_test(
            amqp,
            urls,
            secrets_dir=str(support.write_secrets(tmp / "secrets")),
            var_dir=str(tmp),
        )
        settings = replace(settings, gateway_port=support.free_port())
        matched = [f"A{i:04d}" for i in range(args.members)]
        wrong = [f"B{i:04d}" for i in range(args.members)]
        unknown = [f"U{i:04d}" for i in range(args.members)]
        with (
            support.running(settings, GatewayService, RegistrationService),
            support.rpc_proxy(settings) as rpc,
        ):
            records = [builders.member_record(n) for n in matched + wrong]
            bid = support.ballot_with_members(rpc, records)
            members = matched + wrong
            support.publish_event(
                settings, "members.matched", {"ballot_id": bid, "decisions": _decisions(members)}
            )
            sent = [
                {"membership_number": n, "channel": "email", "outcome": "sent"} for n in members
            ]
            support.wait_for(
                lambda: (
                    len(_rows(settings, "select 1 from ledger where state = 'awaiting_code'"))
                    == len(members)
                ),
                timeout=120,
                what="every member awaiting a code",
            )
            support.publish_event(settings, "mail.sent", {"ballot_id": bid, "deliveries": sent})
            support.wait_for(
                lambda: (
                    len(_rows(settings, "select 1 from ledger where state = 'code_emailed'"))
                    == len(members)
                ),
                timeout=120,
                what="every member's code emailed",
            )
            asks = []
            for _ in range(args.rounds):
                batch = (
                    [("matched", n, f"{n.lower()}@example.org") for n in matched]
                    + [("wrong_contact", n, "someone@else.example") for n in wrong]
                    + [("unknown", n, f"{n.lower()}@example.org") for n in unknown]
                )
                rng.shuffle(batch)
                asks += batch
            base = f"http://{settings.gateway_host}:{settings.gateway_port}"
            timings: dict[str, list[float]] = {"matched": [], "wrong_contact": [], "unknown": []}
            statuses: dict[str, dict[str, int]] = {k: {} for k in timings}
            sessions = []
            for i in range(len(asks) // 9 + 1):
                s = requests.Session()
                s.mount("http://", FromAddress(f"127.0.{i // 250}.{i % 250 + 2}"))
                sessions.append(s)
            for i, (kind, number, email) in enumerate(asks):
                body = {"membership_number": number, "email": email}
                started = time.perf_counter()
                response = sessions[i // 9].post(
                    f"{base}/api/ballots/{bid}/replacement", json=body, timeout=30
                )
                timings[kind].append(time.perf_counter() - started)
                code = str(response.status_code)
                statuses[kind][code] = statuses[kind].get(code, 0) + 1
            support.wait_for(
                lambda: len(_rows(settings, "select 1 from replacements")) == len(asks),
                timeout=300,
                what="every request matched",
            )
            outcomes = _rows(
                settings,
                "select substr(membership_number, 1, 1), outcome, count(*) from replacements"
                " group by 1, 2 order by 1, 2",
            )
    finally:
        databases.drop_all()
    letters = {"A": "matched", "B": "wrong_contact", "U": "unknown"}
    recorded: dict[str, dict[str, int]] = {}
    for letter, outcome, n in outcomes:
        recorded.setdefault(letters[letter], {})[outcome] = n
    result = {
        "benchmark": "replacement_reply",
        "members_per_kind": args.members,
        "rounds": args.rounds,
        "reply_seconds": {
            kind: {
                "requests": len(ts),
                "statuses": statuses[kind],
                "median": round(statistics.median(ts), 5),
                "p90": round(statistics.quantiles(ts, n=10)[-1], 5),
                "mean": round(statistics.fmean(ts), 5),
            }
            for kind, ts in timings.items()
        },
        "recorded_by_registration": recorded,
    }
    print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
