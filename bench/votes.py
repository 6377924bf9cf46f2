"""Online votes per second through the gateway, at several concurrencies; prints ONE JSON object.

    .venv/bin/python bench/votes.py [--members 6000] [--levels 8,32,128] [--votes 600]
                                    [--postgresql] [--profile DIR]
                                    [--replicas 2 [--replicated gateway,tally]]

1. Stands up a ballot with the demo's machinery (``rollcall_cli.demo``): every
   service its own process (``rollcall run``) on the real broker in a vhost of
   its own, an SMTP sink, a synthetic register and extract of ``--members``
   members imported, matched, issued codes and mailed. The services use SQLite
   files, as ``make demo`` does, or with ``--postgresql`` a PostgreSQL database
   each (created on ``ROLLCALL_TEST_PG``, default the local server, and
   dropped at the end). The time from import to every member settled is
   reported too (members per second). ``--replicas N`` runs the services
   named in ``--replicated`` (default the gateway and the tally) N times
   each, competing for the same queues, on PostgreSQL (throwaway databases,
   as ``rollcall demo --replicas`` makes them); the driver's clients go
   round the gateways (client i to gateway i mod N).
2. Opens the ballot and reads the emailed codes from the sink's mailbox.
3. For each concurrency level, a separate process (this file with
   ``--drive``) casts ``--votes`` votes with that many clients at once (one
   thread and one HTTP connection each), each a different voter, and reports
   every vote's latency and answer. Beside it, the CPU seconds each service
   process (and the driver) used during the level, per vote, and per service
   (its replicas added up); and the local RabbitMQ node's (``broker``: the
   machine's, so anything else using it is counted too; not in the services'
   total).
4. Checks afterwards that every accepted vote is marked (tally and the
   ledger agree), so a fast but lossy run cannot pass.

``--profile DIR`` runs py-spy (a dev dependency) on the gateway, codes, tally
and registration during the middle level and leaves their collapsed stacks in
DIR (``<service>-<clients>.txt``); sampling costs CPU, so that level's figures
(marked ``"profiled": true``) are not throughput figures. Other work on the machine changes every figure: the load average
before and after is in the output.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from harness import bench_ballot, broker_pid, cpu_seconds, py_spy, say

ROOT = Path(__file__).resolve().parent.parent


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return 0.0
    k = (len(sorted_values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


# -- the driver (a process of its own) ------------------------------------------
def drive(urls: str, plan_file: Path, clients: int) -> None:
    """Cast every vote of the plan with ``clients`` at once; print one JSON line.

    ``urls``: the vote URL of each gateway, comma-separated; client i uses the i-th mod N.
    """
    import requests

    gateways = urls.split(",")

    plan = json.loads(plan_file.read_text())
    lock = threading.Lock()
    results: list[tuple[float, int]] = []
    queue = list(reversed(plan))

    def client(url: str) -> None:
        session = requests.Session()
        while True:
            with lock:
                if not queue:
                    return
                vote = queue.pop()
            started = time.perf_counter()
            try:
                status = session.post(url, json=vote, timeout=60).status_code
            except requests.RequestException:
                status = 0
            elapsed = time.perf_counter() - started
            with lock:
                results.append((elapsed, status))

    threads = [
        threading.Thread(target=client, args=(gateways[i % len(gateways)],)) for i in range(clients)
    ]
    cpu = time.process_time()
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    print(
        json.dumps(
            {
                "wall": wall,
                "cpu": time.process_time() - cpu,
                "latencies": [r[0] for r in results],
                "statuses": [r[1] for r in results],
            }
        )
    )


# -- the ballot -------------------------------------------------------------------
def stand_up(run: Any, members: int) -> tuple[int, dict[str, str], dict[str, Any]]:
    """Import, match, issue and mail a ballot; open it; (ballot id, codes, pipeline figures)."""
    from nameko.standalone.rpc import ClusterRpcProxy

    from rollcall.runtime import nameko_config
    from rollcall_cli.ballots import import_extract
    from rollcall_cli.demo.mailbox import read_mailbox

    register, extract, area, _extra = run.make_data()
    run.start()
    run.load_register(register)
    with ClusterRpcProxy(nameko_config(run.settings), timeout=120) as rpc:
        ballot = rpc.registration.create_ballot(
            bench_ballot("Vote benchmark", area),
            actor="bench",
        )
        ballot_id = int(ballot["ballot_id"])
        started = time.monotonic()
        summary = import_extract(
            rpc, extract, ballot_id, source="bench", chunk_size=run.settings.chunk_size
        )
        while rpc.registration.reconcile(ballot_id)["in_flight"]:
            time.sleep(0.5)
        settled = time.monotonic() - started
        rpc.registration.change_phase(
            ballot_id, "open", actor="bench", reason="benchmark: reviews may wait", force=True
        )
    codes = read_mailbox(run.dir / "mailbox")
    pipeline = {
        "members": members,
        "accepted": summary["accepted"],
        "seconds_import_to_settled": round(settled, 1),
        "members_per_second": round(summary["accepted"] / settled, 1),
        "emailed_codes": len(codes),
    }
    return ballot_id, codes, pipeline


def wait_open(url: str, code: str) -> None:
    """Until the phase change reached codes and tally (the first vote is then cast)."""
    import requests

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        r = requests.post(url, json={"code": code, "choices": ["Ada Lovelace"]}, timeout=30)
        if r.status_code != 409:
            return
        time.sleep(0.3)
    raise SystemExit("the ballot did not open in 60 s")


def level(
    run: Any, urls: list[str], plan: list[dict[str, Any]], clients: int, profile: Path | None
) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(plan, f)
        plan_file = Path(f.name)
    services = {
        name: proc.pid
        for name, proc in run.procs.items()
        if name != "smtp" and not name.startswith("matching")
    }
    broker = broker_pid()
    if broker is not None:
        services["broker"] = broker
    before = {name: cpu_seconds(pid) for name, pid in services.items()}
    spies = []
    if profile:
        for name in ("gateway", "codes", "tally", "registration"):
            spy = py_spy(services[name], profile / f"{name}-{clients}.txt", 20)
            if spy:
                spies.append(spy)
    done = subprocess.run(
        [
            sys.executable,
            __file__,
            "--drive",
            ",".join(urls),
            "--plan",
            str(plan_file),
            "--clients",
            str(clients),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    after = {name: cpu_seconds(pid) for name, pid in services.items()}
    for spy in spies:
        spy.wait(timeout=120)
    plan_file.unlink()
    driven = json.loads(done.stdout.strip().splitlines()[-1])
    latencies = sorted(driven["latencies"])
    accepted = sum(1 for s in driven["statuses"] if s == 201)
    n = len(plan)
    return {
        "clients": clients,
        "profiled": bool(spies),
        "votes": n,
        "accepted": accepted,
        "errors": n - accepted,
        "error_statuses": sorted({s for s in driven["statuses"] if s != 201}),
        "seconds": round(driven["wall"], 2),
        "votes_per_second": round(accepted / driven["wall"], 1),
        "latency_ms": {
            "p50": round(percentile(latencies, 50) * 1000, 1),
            "p95": round(percentile(latencies, 95) * 1000, 1),
            "p99": round(percentile(latencies, 99) * 1000, 1),
            "max": round(latencies[-1] * 1000, 1) if latencies else 0.0,
            "mean": round(statistics.fmean(latencies) * 1000, 1) if latencies else 0.0,
        },
        "cpu_ms_per_vote": {
            **{name: round((after[name] - before[name]) / n * 1000, 2) for name in services},
            "driver": round(driven["cpu"] / n * 1000, 2),
        },
        "cpu_ms_per_vote_by_service": {
            service: round(
                sum(
                    after[name] - before[name]
                    for name in services
                    if name == service or name.startswith(f"{service}-")
                )
                / n
                * 1000,
                2,
            )
            for service in ("gateway", "codes", "tally", "registration", "mailer")
        },
        "cpu_ms_per_vote_services_total": round(
            sum(after[name] - before[name] for name in services if name != "broker") / n * 1000,
            2,
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=6000)
    parser.add_argument("--levels", default="8,32,128")
    parser.add_argument("--votes", type=int, default=600, help="votes per level")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--postgresql", action="store_true")
    parser.add_argument(
        "--replicas", type=int, default=1, help="processes of each --replicated service"
    )
    parser.add_argument(
        "--replicated", default="gateway,tally", help="services run --replicas times"
    )
    parser.add_argument("--profile", type=Path, default=None)
    parser.add_argument("--drive", help=argparse.SUPPRESS)
    parser.add_argument("--plan", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--clients", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.drive:
        drive(args.drive, args.plan, args.clients)
        return
    levels = [int(x) for x in args.levels.split(",")]
    load_before = os.getloadavg()
    started = time.monotonic()
    from rollcall_cli.demo.processes import DemoRun

    replicas = {s: args.replicas for s in args.replicated.split(",") if s}
    run = DemoRun(
        members=args.members,
        seed=args.seed,
        method="fptp",
        seats=1,
        turnout=1.0,
        keep=False,
        replicas=replicas,
        postgresql=args.postgresql,
        postgres_server=os.environ.get("ROLLCALL_TEST_PG"),
    )
    output: dict[str, Any] = {"databases": run.databases, "replicas": run.replicas}
    try:
        say(f"standing up a {args.members}-member ballot in {run.dir}")
        ballot_id, codes, pipeline = stand_up(run, args.members)
        output["pipeline"] = pipeline
        urls = [f"{gateway}/api/ballots/{ballot_id}/votes" for gateway in run.gateway_urls]
        numbers = sorted(codes)
        wait_open(urls[0], codes[numbers[0]])
        numbers = numbers[1:]
        needed = args.votes * len(levels)
        if len(numbers) < needed:
            raise SystemExit(f"{len(numbers)} codes for {needed} votes: raise --members")
        if args.profile:
            args.profile.mkdir(parents=True, exist_ok=True)
        results = []
        for i, clients in enumerate(levels):
            voters = numbers[i * args.votes : (i + 1) * args.votes]
            plan = [{"code": codes[n], "choices": ["Mary Seacole"]} for n in voters]
            say(f"{clients} clients, {len(plan)} votes")
            profile = args.profile if args.profile and i == len(levels) // 2 else None
            results.append(level(run, urls, plan, clients, profile))
            say(json.dumps(results[-1]))
        output["levels"] = results
        accepted = 1 + sum(r["accepted"] for r in results)
        from nameko.standalone.rpc import ClusterRpcProxy

        from rollcall.runtime import nameko_config

        with ClusterRpcProxy(nameko_config(run.settings), timeout=120) as rpc:
            deadline = time.monotonic() + 300
            while rpc.registration.reconcile(ballot_id)["ledger"]["voted"] < accepted:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            voted = rpc.registration.reconcile(ballot_id)["ledger"]["voted"]
        output["check"] = {"accepted": accepted, "voted_in_ledger": voted, "ok": voted == accepted}
        best = max(results, key=lambda r: r["votes_per_second"])
        output["best"] = {
            "clients": best["clients"],
            "votes_per_second": best["votes_per_second"],
            "p99_ms": best["latency_ms"]["p99"],
        }
    finally:
        run.stop()
    output["seconds"] = round(time.monotonic() - started, 1)
    output["cores"] = os.cpu_count()
    output["load_average_before"] = [round(x, 2) for x in load_before]
    output["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(output))
    sys.exit(0 if output.get("check", {}).get("ok") else 1)


if __name__ == "__main__":
    main()
