"""Members per second through the whole pipeline, with each service's CPU per member.

    .venv/bin/python bench/pipeline.py [--members 20000] [--postgresql] [--profile DIR]
                                       [--idle-seconds 10]

Stands up every service as its own process (``rollcall run``, as ``make
demo`` does: ``rollcall_cli.demo.processes.DemoRun``) on the real broker in a
vhost of its own with an SMTP sink, loads a synthetic register and creates a
ballot, then times the extract of ``--members`` members from the start of its
import until every member has settled: matched (or in review, or excluded),
code issued, and the code emailed or its letter queued (registration's ledger
has nobody ``awaiting_match`` or ``awaiting_code``). The rate is accepted
members divided by that time.

Beside the rate, the CPU seconds each service process used in that window,
per 1,000 members (``/proc/<pid>/stat``: user + system; the PostgreSQL
server's own CPU is not counted), and the bench's own (it reads the extract
and sends its chunks). Before the import, each process's CPU seconds per
second while idle (``--idle-seconds``): the outbox relays and timers cost CPU
whatever the load, so a slower run pays more of it per member. The services
use SQLite files or, with
``--postgresql``, a scratch PostgreSQL database each on ``ROLLCALL_TEST_PG``
(default the local server), dropped at the end. ``--profile DIR`` samples
registration, matching, codes and the mailer with py-spy (without stopping
them) for the first ``--profile-seconds`` of the window and leaves collapsed
stacks in ``DIR/<service>.txt``; a profiled run's rate is not a throughput
figure. Also printed: a baseline of the machine's broker (confirmed publishes
per second of chunk-sized messages), and the load average before and after,
since other work on the machine changes every figure.

Prints one JSON object; exits 1 if a member did not settle or the extract did
not balance.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from harness import bench_ballot, cpu_seconds, py_spy, say

PIPELINE = ("registration", "matching", "codes", "mailer")


def baseline(amqp_uri: str, messages: int = 2000, size: int = 40_000) -> float:
    """Confirmed publishes per second of ``size``-byte messages, batched as the relay does."""
    from rollcall.messaging.publisher import ConfirmingPublisher, Outgoing

    publisher = ConfirmingPublisher(amqp_uri)
    channel = publisher.channel()
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    channel.queue_declare(queue, durable=True, auto_delete=False)
    body = b"x" * size
    batch = [Outgoing("", queue, body, uuid.uuid4().hex) for _ in range(500)]
    started = time.perf_counter()
    for _ in range(messages // len(batch)):
        publisher.publish(batch)
    elapsed = time.perf_counter() - started
    channel.queue_delete(queue)
    channel.close()
    publisher.close()
    return messages / elapsed


def ledger_states(engine: Any, ballot_id: int) -> dict[str, int]:
    """How many of the ballot's members are in each ledger state."""
    with engine.connect() as c:
        rows = c.execute(
            sa.text("SELECT state, count(*) FROM ledger WHERE ballot_id = :b GROUP BY state"),
            {"b": ballot_id},
        )
        return {state: int(n) for state, n in rows}


def run_pipeline(
    run: Any, timeout: float, profile: Path | None, spy_seconds: float, idle: float
) -> dict[str, Any]:
    """Import the extract and wait until the ledger is at rest; the figures of that window."""
    from nameko.standalone.rpc import ClusterRpcProxy

    from rollcall.runtime import nameko_config
    from rollcall_cli.ballots import import_extract
    from services.registration.ledger import IN_FLIGHT

    register, extract, area, _extra = run.make_data()
    run.start()
    run.load_register(register)
    pids = {name: proc.pid for name, proc in run.procs.items()}
    ledger = sa.create_engine(run.settings.database_url("registration"))
    with ClusterRpcProxy(nameko_config(run.settings), timeout=300) as rpc:
        ballot = rpc.registration.create_ballot(
            bench_ballot("Pipeline benchmark", area),
            actor="bench",
        )
        ballot_id = int(ballot["ballot_id"])
        # What each process costs doing nothing (relay and timer loops), for as long as
        # ``idle`` seconds before the import: the part of the CPU that grows with time,
        # not with members.
        resting = {name: cpu_seconds(pid) for name, pid in pids.items()}
        time.sleep(idle)
        rested = {name: cpu_seconds(pid) for name, pid in pids.items()}
        spies = []
        if profile:
            profile.mkdir(parents=True, exist_ok=True)
            for name in PIPELINE:
                spy = py_spy(pids[name], profile / f"{name}.txt", spy_seconds)
                if spy:
                    spies.append(spy)
        before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        own = time.process_time()
        started = time.monotonic()
        summary = import_extract(
            rpc, extract, ballot_id, source="bench", chunk_size=run.settings.chunk_size
        )
        imported = time.monotonic() - started
        own_cpu = time.process_time() - own
        deadline = started + timeout
        # The ledger's counts straight from registration's database (one indexed query),
        # not its ``reconcile`` RPC: polling that costs registration a third of its CPU.
        while True:
            states = ledger_states(ledger, ballot_id)
            in_flight = sum(states.get(s, 0) for s in IN_FLIGHT)
            at_rest = sum(states.values()) >= summary["accepted"] and not in_flight
            if at_rest or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        settled = time.monotonic() - started
        after = {name: cpu_seconds(pid) for name, pid in pids.items()}
        for spy in spies:
            spy.wait(timeout=120)
        report = rpc.registration.reconcile(ballot_id)
    ledger.dispose()
    accepted = int(summary["accepted"])
    per_k = 1000 / max(accepted, 1)
    cpu = {name: after[name] - before[name] for name in pids}
    return {
        "extract": {k: summary[k] for k in ("declared", "accepted", "rejected", "duplicates")},
        "extract_balanced": bool(summary["balanced"]),
        "in_flight_at_end": report["in_flight"],
        "balanced_at_end": bool(report["balanced"]),
        "ledger": {k: v for k, v in report["ledger"].items() if v},
        "seconds_import": round(imported, 2),
        "seconds_import_to_settled": round(settled, 2),
        "members_per_second": round(accepted / settled, 1),
        "cpu_seconds": {name: round(v, 2) for name, v in cpu.items()},
        "cpu_seconds_per_1000_members": {
            **{name: round(v * per_k, 3) for name, v in cpu.items()},
            "bench_import": round(own_cpu * per_k, 3),
        },
        "cpu_seconds_per_1000_members_pipeline_total": round(
            sum(cpu[name] for name in PIPELINE) * per_k, 3
        ),
        "busiest": max(PIPELINE, key=lambda name: cpu[name]),
        "idle_cpu_seconds_per_second": {
            name: round((rested[name] - resting[name]) / idle, 4) if idle else None for name in pids
        },
        "profiled": bool(spies),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--postgresql", action="store_true", help="throwaway PostgreSQL databases")
    parser.add_argument(
        "--replicas", type=int, default=1, help="processes of every service (PostgreSQL)"
    )
    parser.add_argument("--timeout", type=float, default=3600, help="seconds to wait for settling")
    parser.add_argument("--profile", type=Path, default=None)
    parser.add_argument("--profile-seconds", type=float, default=30)
    parser.add_argument(
        "--idle-seconds", type=float, default=10, help="how long to measure the services idle"
    )
    args = parser.parse_args()
    load_before = os.getloadavg()
    from rollcall.config import load_settings
    from rollcall_cli.demo.processes import DemoRun

    output: dict[str, Any] = {
        "members": args.members,
        "baseline_confirmed_chunk_publishes_per_second": round(
            baseline(load_settings().amqp_uri), 1
        ),
    }
    run = DemoRun(
        members=args.members,
        seed=args.seed,
        method="fptp",
        seats=1,
        turnout=1.0,
        keep=False,
        replicas=args.replicas,
        postgresql=args.postgresql,
    )
    output["databases"], output["replicas"] = run.databases, run.replicas
    try:
        say(f"{args.members} members, {output['databases']}, in {run.dir}")
        output.update(
            run_pipeline(run, args.timeout, args.profile, args.profile_seconds, args.idle_seconds)
        )
    finally:
        run.stop()
    output["peak_rss_mb"] = getattr(run, "peaks", None)
    output["cores"] = os.cpu_count()
    output["load_average_before"] = [round(x, 2) for x in load_before]
    output["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    output["ok"] = (
        output["extract_balanced"] and output["balanced_at_end"] and not output["in_flight_at_end"]
    )
    print(json.dumps(output))
    sys.exit(0 if output["ok"] else 1)


if __name__ == "__main__":
    main()
